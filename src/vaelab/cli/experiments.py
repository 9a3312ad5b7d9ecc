"""Sweeps, presets and reports: ``vaelab sweep``, ``vaelab presets``, ``vaelab report``."""

from __future__ import annotations

from pathlib import Path

import click

from vaelab.cli.app import CONTEXT, POSITIVE, cli, echo_table, show_progress

__all__ = ["presets", "presets_list", "presets_show", "report", "sweep"]

@cli.command(context_settings=CONTEXT)
@click.argument("sweep_file", required=False, type=click.Path(path_type=Path))
@click.option("--preset", help="Run one of the seeds' experiments instead of a file (see `vaelab presets list`).")
@click.option("--budget", type=POSITIVE, default=1.0, show_default=True,
              help="With --preset: scale of epochs / steps and metric sample counts (1 = the published settings).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Sweep directory (one run directory per run).")
@click.option("--workers", type=int, default=1, show_default=True, help="Runs trained at once by the local executor; with GPUs, worker k uses GPU k mod #GPUs "
              "(several runs per GPU when workers > GPUs).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local processes, or a Ray cluster (pip install 'vaelab[ray]').")
@click.option("--address", help="Ray cluster address (default: start a local Ray instance).")
@click.option("--no-report", is_flag=True, help="Skip writing the report after the runs.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
@click.option("--dry-run", is_flag=True, help="Print the number of runs, the training steps left and an estimate "
              "of the training time (from a short timing of each model), then stop; writes nothing.")
def sweep(sweep_file, preset, budget, out, workers, executor, address, no_report, no_progress, dry_run) -> None:
    """Train and evaluate every run of a sweep file or preset, then print the table and write the report.

    A sweep file names methods, datasets, seeds, overrides and an optional grid:

    \b
      methods: [vae, beta_tcvae, avae]
      datasets: [dsprites]
      seeds: [0, 1, 2]
      overrides: {steps: 2000, subset: 50000}
      grid: {beta: [1, 4]}
      metrics: [mig, factor_vae]
      num_samples: 2000

    Re-running the same command skips finished runs and resumes half-finished ones. Before
    starting, the sweep prints its number of runs and an estimate of the training time
    (--dry-run: only that). Examples:

    \b
      vaelab sweep sweep.yaml --out runs/sweep --workers 2
      vaelab sweep --preset avae-table4 --budget 0.05 --out runs/avae-t4
    """
    from vaelab.experiments import presets, report, sweeps

    if (sweep_file is None) == (preset is None):
        raise click.UsageError("give either SWEEP_FILE or --preset NAME")
    if budget <= 0:
        raise click.BadParameter("must be positive", param_hint="--budget")
    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    if preset is not None:
        chosen = presets.get_preset(preset)
        spec = chosen.sweep(budget)
    else:
        chosen, spec = None, sweeps.load_sweep(sweep_file)
    if dry_run:
        click.echo(f"{spec.name or 'sweep'}: {sweeps.plan_sweep(spec, out, workers).line()}")
        return
    sweeps.run_sweep(spec, out, workers=workers, executor=executor, address=address,
                     progress=show_progress(no_progress))
    click.echo(report.terminal_table([out], preset=chosen))
    if not no_report:
        _write_report(report, [out], out / "report", chosen)


@cli.group(context_settings=CONTEXT)
def presets() -> None:
    """The seeds' experiments with their published settings and numbers."""


@presets.command("list", context_settings=CONTEXT)
def presets_list() -> None:
    """List the presets: name, source table, methods and datasets."""
    from vaelab.experiments.presets import PRESETS

    echo_table([(p.name, p.source, ",".join(p.methods), ",".join(p.datasets)) for p in PRESETS.values()],
                ("name", "source", "methods", "datasets"))


@presets.command("show", context_settings=CONTEXT)
@click.argument("name")
@click.option("--budget", type=POSITIVE, default=1.0, show_default=True, help="Budget scale to apply.")
def presets_show(name, budget) -> None:
    """Print a preset as a sweep file (at --budget) with its published numbers."""
    from vaelab.experiments.presets import get_preset

    click.echo(get_preset(name).describe(budget), nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Report directory (default FIRST_PATH/report).")
@click.option("--preset", help="Preset whose layout and published numbers to use.")
@click.option("--format", "formats", default="md,tex,html", show_default=True, help="Comma-separated formats.")
def report(paths, out, preset, formats) -> None:
    """Tables (mean +- std over seeds) and figures of a set of run directories, as Markdown, LaTeX and HTML.

    PATHS are run directories or directories holding them (a sweep's --out). Example:

    \b
      vaelab report runs/sweep --preset avae-table4
    """
    from vaelab.experiments import presets as preset_registry
    from vaelab.experiments import report as reports

    chosen = preset_registry.get_preset(preset) if preset else None
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    click.echo(reports.terminal_table(list(paths), preset=chosen))
    _write_report(reports, list(paths), out or Path(paths[0]) / "report", chosen, wanted)


def _write_report(reports, paths, out: Path, chosen, formats=None) -> None:
    """Writes the report and names each document, saying which ones replaced an earlier report's."""
    before = {f for f in reports.REPORT_FILES if (out / f).is_file()}
    for path in reports.write_report(paths, out, preset=chosen, formats=formats).values():
        click.echo(f"wrote {path}" + (" (regenerated: replaces the previous report)" if path.name in before else ""))
