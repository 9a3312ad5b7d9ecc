"""User-facing errors: each carries one line saying what is wrong and what to do."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

__all__ = ["VaelabError", "ConfigError", "DataError", "RunError", "TrainingDiverged", "VaelabWarning",
           "MAX_SEED", "check_seed", "user_input"]

MAX_SEED = 2**32 - 1
"""Largest seed: NumPy and scikit-learn random states take ``0 .. 2**32 - 1``."""


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


class VaelabWarning(UserWarning):
    """Something the user asked for was adjusted (a cap, a clamp); the CLI prints it as one ``warning:`` line."""


def check_seed(name: str, seed: object) -> int:
    """Returns ``seed`` if it is an integer in ``[0, MAX_SEED]``, else raises :class:`ConfigError`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"invalid {name}={seed!r}: need an integer in [0, {MAX_SEED}]")
    return seed


@contextmanager
def user_input(what: str) -> Iterator[None]:
    """Names the user's file or value behind any unexpected error raised inside the block.

    The CLI's error boundary prints such an error as one line, ``error: WHAT: ...``, with exit
    status 2; errors raised outside every such block are reported as internal errors.
    """
    try:
        yield
    except VaelabError:
        raise
    except Exception as e:
        if getattr(e, "vaelab_input", None) is None:
            e.vaelab_input = what
        raise
