"""Figures of a trained run: sample, reconstruct, traverse, interpolate, histograms."""

from __future__ import annotations

from pathlib import Path

import click

from vaelab.cli.app import (
    CONTEXT,
    COUNT,
    MAX_ROWS,
    POSITIVE,
    STEPS,
    ckpt_opt,
    cli,
    device_opt,
    figure_out,
    load_run,
    run_arg,
    seed_opt,
    val_codes,
    val_images,
    value_range,
)
from vaelab.errors import VaelabError

__all__ = ["histograms", "interpolate", "reconstruct", "sample", "traverse"]

@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--num", type=int, default=64, show_default=True, help="Number of samples.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/samples.png).")
@click.option("--sampler", "sampler_name", help="Latent sampler: prior, gaussian, gmm, maf, realnvp, flow (default: "
              "the model's own: gaussian for rae, flow for vcae); fitted to the training codes and saved in "
              "RUN_DIR/samplers on first use.")
def sample(run_dir, num, seed, checkpoint, device, out, sampler_name) -> None:
    """Generate samples from a trained run and save them as an image grid (or .npy for vector data)."""
    import numpy as np
    import torch

    from vaelab.io import atomic_path
    from vaelab.samplers import default_sampler_name, generate, run_sampler
    from vaelab.viz import sample_grid, save_png

    if num < 1:
        raise click.BadParameter("must be at least 1", param_hint="--num")
    run, model = load_run(run_dir, checkpoint, device)
    sampler = run_sampler(run, sampler_name or default_sampler_name(model), model, checkpoint)
    g = torch.Generator(device=model.device).manual_seed(seed)
    if len(model.shape) != 3:
        path = out or run.path / "samples.npy"
        with atomic_path(path) as tmp:
            np.save(open(tmp, "wb"), generate(model, sampler, num, g).cpu().numpy())
    else:
        path = save_png(figure_out(run, out, "samples.png"),
                        sample_grid(model, num, g, value_range=value_range(run, checkpoint), sampler=sampler))
    click.echo(f"wrote {path}")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--num", type=COUNT, default=32, show_default=True, help="Number of validation images.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/reconstructions.png).")
def reconstruct(run_dir, num, seed, checkpoint, device, out) -> None:
    """Reconstruct validation images: rows of inputs alternate with their reconstructions."""
    from vaelab.viz import reconstruction_grid, save_png

    run, model = load_run(run_dir, checkpoint, device)
    if len(model.shape) != 3:
        raise VaelabError("reconstruct draws image grids; this run's data are vectors")
    data, x = val_images(run, model, num, seed)
    path = save_png(figure_out(run, out, "reconstructions.png"),
                    reconstruction_grid(model, x, value_range=data.value_range))
    click.echo(f"wrote {path}")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("--dims", help="Comma-separated latent dimensions (default all).")
@click.option("--limit", type=POSITIVE, default=2.0, show_default=True,
              help="Traverse each dimension over [-limit, limit].")
@click.option("--steps", type=STEPS, default=9, show_default=True, help="Values per dimension.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/traversal.png).")
def traverse(run_dir, dims, limit, steps, seed, checkpoint, device, out) -> None:
    """Latent traversal: one row per latent dimension (labelled z0, z1, ... as --dims counts), starting
    from the code of a validation image."""
    from vaelab.viz import MAX_FIGURE_AXES, axis_label, label_rows, save_png, traversal_axes, traversal_grid

    try:
        dim_list = None if not dims else [int(d) for d in dims.split(",")]
    except ValueError:
        raise click.BadParameter(f"{dims!r} is not a comma-separated list of integers", param_hint="--dims") from None
    if dim_list and len(dim_list) > MAX_ROWS:
        raise click.BadParameter(f"names {len(dim_list)} dimensions; at most {MAX_ROWS} rows fit one figure",
                                 param_hint="--dims")
    run, model = load_run(run_dir, checkpoint, device)
    if len(model.shape) != 3:
        raise VaelabError("traverse draws image grids; this run's data are vectors")
    if dim_list and any(not 0 <= d < model.latent_dim for d in dim_list):
        raise click.BadParameter(f"dimensions must be in [0, {model.latent_dim})", param_hint="--dims")
    if dim_list is None and model.latent_dim > MAX_FIGURE_AXES:
        dim_list = traversal_axes(val_codes(run, model, 500, seed))
        click.echo(f"traversing the {len(dim_list)} of {model.latent_dim} dimensions whose held-out codes spread "
                   f"most (--dims picks others): {','.join(map(str, dim_list))}")
    data, x = val_images(run, model, 1, seed)
    grid = traversal_grid(model, x, dim_list, limit, steps, value_range=data.value_range)
    labels = [axis_label(d) for d in (dim_list or range(model.latent_dim))]
    path = save_png(figure_out(run, out, "traversal.png"), label_rows(grid, labels, data.shape[-2]))
    click.echo(f"wrote {path}")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--pairs", type=click.IntRange(1, MAX_ROWS), default=8, show_default=True,
              help="Number of held-out image pairs (rows).")
@click.option("--steps", type=STEPS, default=10, show_default=True, help="Interpolation points per row, ends included.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/interpolation.png).")
def interpolate(run_dir, pairs, steps, seed, checkpoint, device, out) -> None:
    """Linear interpolation between the codes of random held-out image pairs.

    One row per pair: the first image, the decoded codes (1 - t) z_a + t z_b for STEPS
    values of t from 0 to 1, and the second image. Works for every model.
    """
    from vaelab.viz import interpolation_grid, save_png

    run, model = load_run(run_dir, checkpoint, device)
    if len(model.shape) != 3:
        raise VaelabError("interpolate draws image grids; this run's data are vectors")
    data, x = val_images(run, model, 2 * pairs, seed)
    n = len(x) // 2
    if n < 1:
        raise VaelabError("interpolate needs at least two held-out images; this run's split has fewer")
    path = save_png(figure_out(run, out, "interpolation.png"),
                    interpolation_grid(model, x[:n], x[n : 2 * n], steps, value_range=data.value_range))
    click.echo(f"wrote {path} ({n} pairs x {steps} steps)")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--num", type=int, default=5000, show_default=True, help="Number of validation items encoded.")
@click.option("--bins", type=int, default=50, show_default=True, help="Histogram bins per dimension.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/histograms.png).")
def histograms(run_dir, num, bins, seed, checkpoint, device, out) -> None:
    """Per-dimension histograms of validation codes with the N(0, 1) density overlaid (VCAE Figs. 10-12)."""
    from vaelab.viz import plot_latent_histograms, traversal_axes

    if num < 1:
        raise click.BadParameter("must be at least 1", param_hint="--num")
    if bins < 1:
        raise click.BadParameter("must be at least 1", param_hint="--bins")
    run, model = load_run(run_dir, checkpoint, device)
    codes = val_codes(run, model, num, seed)
    if len(codes) == 0:
        raise VaelabError(f"{run.path} has no validation items to encode (data.val_fraction=0)")
    axes = traversal_axes(codes, MAX_ROWS)
    if len(axes) < model.latent_dim:
        click.echo(f"showing the {len(axes)} of {model.latent_dim} dimensions whose codes spread most")
    path = plot_latent_histograms(codes, figure_out(run, out, "histograms.png"), bins=bins, axes=axes,
                                  title=f"{run.config().model} codes ({len(codes)} validation items)")
    click.echo(f"wrote {path}")
