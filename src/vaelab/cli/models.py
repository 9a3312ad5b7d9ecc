"""The model registry and the AVAE bandwidth: ``vaelab models``, ``vaelab bandwidth``."""

from __future__ import annotations

import dataclasses
import typing

import click

from vaelab.cli.app import CONTEXT, COUNT, cli, echo_table
from vaelab.errors import MAX_SEED

__all__ = ["bandwidth", "models"]

@cli.command(context_settings=CONTEXT)
def models() -> None:
    """List the registered models and their config fields with defaults."""
    from vaelab.models import MODELS

    for name, cls in MODELS.items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        click.echo(f"{name}: {doc}")
        hints = typing.get_type_hints(cls.Config)
        for f in dataclasses.fields(cls.Config):
            default = f.default if f.default is not dataclasses.MISSING else "(dataset default)"
            default = "(dataset default)" if default is None and f.name in ("latent_dim", "architecture", "likelihood") else default
            click.echo(f"    {f.name} = {default!r}  [{getattr(hints[f.name], '__name__', hints[f.name])}]")
        for dataset, values in cls.Config.dataset_defaults.items():
            click.echo(f"    on {dataset}: " + ", ".join(f"{k} = {v!r}" for k, v in values.items()))


TABLE_DIMS = (10, 20, 40, 50, 70, 100)
TABLE_SIZES = (500, 1000, 2000, 5000, 10000)


@cli.command(context_settings=CONTEXT)
@click.option("--latent-dim", "-l", type=COUNT, help="Latent dimension l.")
@click.option("--kde-samples", "-m", type=COUNT, help="Number of KDE samples m.")
@click.option("--trials", type=COUNT, default=3, show_default=True, help="Independent trials averaged.")
@click.option("--method", type=click.Choice(["root", "adam"]), default="root", show_default=True,
              help="root: exact maximisation on a fixed Monte Carlo sample; adam: the authors' procedure.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True)
@click.option("--table", is_flag=True, help="Compute AVAE Tables I and II (l in 10..100, m in 500..10000).")
def bandwidth(latent_dim, kde_samples, trials, method, seed, table) -> None:
    """KDE bandwidth of the AVAE for latent size l and m KDE samples (AVAE Eq. 10-11, Tables I-II).

    Prints h_opt (Eq. 10; "> 1.0" as Table I prints it), alpha = (1 + h_opt^2)^-1/2 (Eq. 11),
    the bandwidth h = alpha h_opt used in training (Table II) and the generation variance 1 - h^2.
    Results are cached in $VAELAB_CACHE/bandwidths.json.
    """
    import time

    from vaelab.kde import bandwidth as search

    if table:
        rows_i, rows_ii = [], []
        start = time.perf_counter()
        for l in TABLE_DIMS:
            results = [search(l, m, trials=trials, method=method, seed=seed) for m in TABLE_SIZES]
            rows_i.append((str(l), *(f"{r.h_opt_label()} ({r.h_opt:.3f})" for r in results)))
            rows_ii.append((str(l), *(f"{r.h:.2f} +- {r.h_opt_std * r.alpha:.2f}" for r in results)))
        click.echo("Table I: h_opt (Eq. 10), exact value in brackets")
        echo_table(rows_i, ("l \\ m", *map(str, TABLE_SIZES)))
        click.echo("\nTable II: h = alpha h_opt (Eq. 11)")
        echo_table(rows_ii, ("l \\ m", *map(str, TABLE_SIZES)))
        click.echo(f"\n{trials} trials per cell, method {method}, {time.perf_counter() - start:.0f} s")
        return
    if latent_dim is None or kde_samples is None:
        raise click.UsageError("give --latent-dim and --kde-samples, or --table")
    r = search(latent_dim, kde_samples, trials=trials, method=method, seed=seed)
    echo_table([("h_opt (Eq. 10)", f"{r.h_opt_label()}  ({r.h_opt:.4f} +- {r.h_opt_std:.4f})"),
                 ("alpha (Eq. 11)", f"{r.alpha:.4f}"),
                 ("h = alpha h_opt", f"{r.h:.4f}"),
                 ("generation variance 1 - h^2", f"{r.generation_variance:.4f}")])
