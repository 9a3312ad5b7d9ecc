"""The ``vaelab`` command line: a thin layer over the library, one module per group of commands."""

from vaelab.cli import claims, data, evaluate, experiments, export, figures, models, train
from vaelab.cli.app import cli, main

__all__ = ["claims", "cli", "data", "evaluate", "experiments", "export", "figures", "main", "models", "train"]
