"""Datasets: ``vaelab data info`` and ``vaelab data preview``."""

from __future__ import annotations

from pathlib import Path

import click

from vaelab.cli.app import CONTEXT, COUNT, cli, echo_table, seed_opt
from vaelab.errors import VaelabError

__all__ = ["data", "data_info", "data_preview", "factor_rows"]

@cli.group(context_settings=CONTEXT)
def data() -> None:
    """Inspect datasets: factor tables and preview grids."""


data_root_opt = click.option("--data-root", help="Local path of the dataset files (real datasets).")


@data.command("info", context_settings=CONTEXT)
@click.argument("name")
@data_root_opt
def data_info(name, data_root) -> None:
    """Print a dataset's size, shape, value range and ground-truth factors."""
    from vaelab.data import load_dataset

    ds = load_dataset(name, data_root)
    click.echo(f"{ds.name}: {len(ds):,} items of shape {tuple(ds.shape)}, values in {ds.value_range}")
    if ds.labels is not None:
        click.echo(f"labels: {int(ds.labels.max()) + 1} classes")
    if ds.has_factors:
        rows = []
        for k, (fname, size) in enumerate(zip(ds.factor_names, ds.factor_sizes)):
            v = ds.factor_values(k)
            rows.append((fname, size, f"{float(v[0]):.4g} .. {float(v[-1]):.4g}"))
        echo_table(rows, ("factor", "size", "values"))
        click.echo(f"factor sizes: {list(ds.factor_sizes)}")
    else:
        click.echo("no ground-truth factors")


@data.command("preview", context_settings=CONTEXT)
@click.argument("name")
@data_root_opt
@click.option("-n", "--num", type=COUNT, default=64, show_default=True, help="Number of random items.")
@click.option("--by-factor", is_flag=True, help="One row per factor, stepping through its values.")
@seed_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output PNG (default NAME-preview.png).")
def data_preview(name, data_root, num, by_factor, seed, out) -> None:
    """Save a PNG grid of random items (or of each factor's values with --by-factor)."""
    import torch

    from vaelab.data import load_dataset
    from vaelab.viz import image_grid, label_rows, save_png

    ds = load_dataset(name, data_root)
    if len(ds.shape) != 3:
        raise VaelabError(f"{name} holds vectors, not images; there is nothing to preview")
    g = torch.Generator().manual_seed(seed)
    if by_factor:
        if not ds.has_factors:
            raise VaelabError(f"{name} has no ground-truth factors; drop --by-factor")
        x, shown = factor_rows(ds, ds.sample_factors(1, g)[0])
        grid = label_rows(image_grid(x, ncol=len(x) // ds.num_factors, value_range=ds.value_range),
                          list(ds.factor_names), ds.shape[-2])
        echo_table([(fname, len(v), ", ".join(f"{float(t):.4g}" for t in v))
                    for fname, v in zip(ds.factor_names, shown)], ("factor (row)", "shown", "values"))
    else:
        grid = image_grid(ds.images(torch.randperm(len(ds), generator=g)[:num]), ncol=8,
                          value_range=ds.value_range)
    path = save_png(out or Path(f"{name}-preview.png"), grid, scale=2)
    click.echo(f"wrote {path}")


def factor_rows(ds, base, ncol: int = 10):
    """One row per factor: ``base`` with that factor set to each of its own values (evenly spaced
    ones when it has more than ``ncol``), left-aligned, the rest of the row blank (grid colour).

    Returns:
        The ``(K * ncol, C, H, W)`` images and, per factor, the values shown.
    """
    import torch

    ncol = min(ncol, max(ds.factor_sizes))
    lo, hi = ds.value_range
    rows, shown = [], []
    for k, size in enumerate(ds.factor_sizes):
        index = torch.linspace(0, size - 1, min(size, ncol)).round().long().unique()
        f = base.repeat(len(index), 1)
        f[:, k] = index
        blank = torch.full((ncol - len(index), *ds.shape), lo + 0.5 * (hi - lo))
        rows.append(torch.cat([ds.render(f).float(), blank]))
        shown.append(ds.factor_values(k)[index])
    return torch.cat(rows), shown
