"""Sharing a trained model: ``vaelab export``."""

from __future__ import annotations

from pathlib import Path

import click

from vaelab.cli.app import CONTEXT, ckpt_opt, cli, run_arg

__all__ = ["export"]


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("--format", "fmt", type=click.Choice(["safetensors"]), default="safetensors", show_default=True,
              help="Weight format.")
@click.option("--out", type=click.Path(path_type=Path), help="Export directory to create (default RUN_DIR/export).")
@ckpt_opt
def export(run_dir, fmt, out, checkpoint) -> None:
    """Write a run's weights as model.safetensors plus config.json, loadable without pickle.

    `vaelab.load(EXPORT_DIR)` rebuilds the model from these two files (and sampler.safetensors,
    the fitted default sampler of RAE / VCAE runs). Example:

      vaelab export runs/ard --out shared/ard
    """
    from vaelab.api import export as export_run

    path = export_run(run_dir, out, checkpoint=checkpoint, format=fmt)
    for p in sorted(path.iterdir()):
        click.echo(f"wrote {p}")
