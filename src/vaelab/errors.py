"""User-facing errors: each carries one line saying what is wrong and what to do."""

from __future__ import annotations

__all__ = ["VaelabError", "ConfigError", "DataError", "RunError", "TrainingDiverged"]


class VaelabError(Exception):
    """An error caused by the user's input; the CLI prints its message on one line and exits non-zero."""

    exit_code = 2


class ConfigError(VaelabError):
    """An invalid configuration value, key or file."""


class DataError(VaelabError):
    """A missing, corrupt or mis-shaped data file, or a dataset that cannot do what was asked."""


class RunError(VaelabError):
    """A run directory that cannot be used as asked (exists, has no checkpoint, ...)."""


class TrainingDiverged(VaelabError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""

    exit_code = 3
