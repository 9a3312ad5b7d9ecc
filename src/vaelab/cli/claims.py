"""``vaelab claims``: the verdicts of the seeds' claims over run directories."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from vaelab.cli.app import CONTEXT, cli

__all__ = ["claims"]


@cli.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--preset", help="Judge this preset's claims only; runs outside a preset sweep count as its runs.")
@click.option("--page", type=click.Path(path_type=Path), help="Also write the reproduction page (Markdown) here.")
@click.option("--ladder", type=click.Path(path_type=Path),
              help="Also write the budget-ladder figure (PNG) here; with --page, linked from it.")
@click.option("--note", default="", help="A paragraph for the page (e.g. which preset version ran).")
def claims(paths, preset, page, ladder, note) -> None:
    """Verdicts of the seeds' headline claims (holds / fails / inconclusive / not run) over run directories.

    PATHS are run directories or directories holding them (sweep --out directories). A run's preset
    and budget come from its sweep's name (`vaelab sweep --preset X --budget B`). Each claim gets one
    verdict per budget, with its margin, a bootstrap interval over seeds and how many seeds agree.
    Exits 0 whatever the verdicts. Example:

    \b
      vaelab claims runs/ard-t7-b0.001 runs/ard-t7-b0.003 --preset ard-table7
    """
    from vaelab.experiments import claim_report
    from vaelab.experiments.claims import judge_runs
    from vaelab.experiments.presets import get_preset

    if preset is not None:
        get_preset(preset)
    verdicts, notes = judge_runs(list(paths), preset)
    click.echo(claim_report.claims_text(verdicts))
    for n in notes:
        click.echo(n)
    figure = claim_report.write_ladder(verdicts, ladder) if ladder is not None else None
    if figure is not None:
        click.echo(f"wrote {figure}")
    if page is not None:
        from vaelab.io import write_text

        words = ["vaelab", "claims", *map(str, paths), *(["--preset", preset] if preset else []),
                 "--page", str(page), *(["--ladder", str(ladder)] if ladder is not None else []),
                 *(["--note", note] if note else [])]
        link = None if figure is None else Path(os.path.relpath(figure, page.parent)).as_posix()
        text = claim_report.reproduction_page(verdicts, claim_report.run_sets(list(paths)), shlex.join(words),
                                              note, link)
        write_text(page, text)
        click.echo(f"wrote {page}")
