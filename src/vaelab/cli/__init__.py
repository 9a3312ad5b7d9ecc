"""The ``vaelab`` command line: a thin layer over the library, one module per group of commands."""

from vaelab.cli import data, evaluate, experiments, figures, models, train
from vaelab.cli.app import cli, main

__all__ = ["cli", "data", "evaluate", "experiments", "figures", "main", "models", "train"]
