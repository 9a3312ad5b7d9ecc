"""The ``vaelab`` command line: a thin layer over the library.

Every user error is printed as one ``error: ...`` line on stderr with a non-zero exit
status (2 for bad input, 3 for a diverged run, 130 for an interruption).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import typing
from pathlib import Path

import click

from vaelab.errors import VaelabError

__all__ = ["cli", "main"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _echo_table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None) -> None:
    rows = ([header] if header else []) + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for j, r in enumerate(rows):
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if header and j == 0:
            click.echo("  ".join("-" * w for w in widths))


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="vaelab")
def cli() -> None:
    """vaelab: train, sample and evaluate autoencoder-based generative models.

    Start with `vaelab train --model vae --dataset dsprites --out runs/vae --steps 2000 --subset 20000`,
    then look at runs/vae/figures/. `vaelab models` lists the methods and their settings;
    `vaelab data info dsprites` describes a dataset.
    """


# --------------------------------------------------------------------------- train


@cli.command(context_settings=CONTEXT)
@click.option("--model", "model", help="Model name (see `vaelab models`).")
@click.option("--dataset", help="Dataset: dsprites, shapes3d, mnist, cifar10, celeba, imagenet32, digits, mog.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run directory to create.")
@click.option("--epochs", type=int, help="Budget in epochs (default: the dataset's value from the seeds).")
@click.option("--steps", type=int, help="Budget in optimisation steps (instead of epochs).")
@click.option("--subset", type=int, help="Train on only N items of the training split.")
@click.option("--batch-size", type=int, help="Minibatch size (default 100).")
@click.option("--seed", type=int, help="Seed of initialisation, data order and sampling (default 0).")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), help="Device (default auto).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="YAML config (model/data/train sections).")
@click.option("--data-root", help="Local path of the dataset files (real datasets).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its latest checkpoint (start it if absent).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option("--no-figures", is_flag=True, help="Skip writing figures after training.")
@click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
def train(model, dataset, out, epochs, steps, subset, batch_size, seed, device, config_file, data_root,
          resume, no_progress, no_figures, overrides) -> None:
    """Train a model into a new run directory.

    KEY=VALUE pairs set any config field: model fields (beta=4, latent_dim=10,
    architecture=mlp), data.* and train.* fields (train.lr=1e-3, data.val_fraction=0.05,
    train.checkpoint_every=500). Example:

      vaelab train --model beta_vae --dataset dsprites --out runs/bvae --steps 3000 --subset 30000 beta=4
    """
    from vaelab.config import build_config
    from vaelab.models import model_class
    from vaelab.runs import Run
    from vaelab.samplers import default_sampler_name, run_sampler
    from vaelab.train import train as run_training
    from vaelab.viz import write_run_figures

    run = Run(out)
    base = run.config().to_dict() if resume and run.exists() else None
    config = build_config(base=base, file=config_file, overrides=list(overrides), model=model, dataset=dataset,
                          epochs=epochs, steps=steps, subset=subset, batch_size=batch_size, seed=seed,
                          device=device, data_root=data_root)
    status = run_training(config, out, resume=resume, progress=not no_progress)
    sampler = default_sampler_name(model_class(config.model))
    if sampler != "prior":
        run_sampler(run, sampler, run.load_model("best"))
    figures = [] if no_figures else write_run_figures(Run(out))
    click.echo(f"run {out}: {status['steps']} steps, {status['epochs']} epochs, "
               f"best validation loss {status['best_val_loss']:.4f} (epoch {status['best_epoch'] + 1}), "
               f"{status['seconds']:.0f} s on {status.get('device', '?')}")
    for f in figures:
        click.echo(f"  wrote {f}")


# --------------------------------------------------------------------------- sample / reconstruct / traverse


def _load(run_dir: Path, checkpoint: str, device: str):
    from vaelab.runs import Run
    from vaelab.train import resolve_device

    run = Run.open(run_dir)
    return run, run.load_model(checkpoint, resolve_device(device))


def _figure_out(run, out: Path | None, name: str) -> Path:
    return out if out is not None else run.figures_dir / name


run_arg = click.argument("run_dir", type=click.Path(path_type=Path))
ckpt_opt = click.option("--checkpoint", type=click.Choice(["best", "latest"]), default="best", show_default=True,
                        help="Which checkpoint to use.")
device_opt = click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True)
seed_opt = click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random draws.")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--num", type=int, default=64, show_default=True, help="Number of samples.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/samples.png).")
@click.option("--sampler", "sampler_name", help="Latent sampler: prior, gaussian, gmm (default: the model's own, "
              "gaussian for rae); fitted to the training codes and saved in RUN_DIR/samplers on first use.")
def sample(run_dir, num, seed, checkpoint, device, out, sampler_name) -> None:
    """Generate samples from a trained run and save them as an image grid (or .npy for vector data)."""
    import numpy as np
    import torch

    from vaelab.io import atomic_path
    from vaelab.samplers import default_sampler_name, generate, run_sampler
    from vaelab.viz import sample_grid, save_png

    if num < 1:
        raise click.BadParameter("must be at least 1", param_hint="--num")
    run, model = _load(run_dir, checkpoint, device)
    sampler = run_sampler(run, sampler_name or default_sampler_name(model), model, checkpoint)
    g = torch.Generator(device=model.device).manual_seed(seed)
    if len(model.shape) != 3:
        path = out or run.path / "samples.npy"
        with atomic_path(path) as tmp:
            np.save(open(tmp, "wb"), generate(model, sampler, num, g).cpu().numpy())
    else:
        path = save_png(_figure_out(run, out, "samples.png"),
                        sample_grid(model, num, g, value_range=_range(run), sampler=sampler))
    click.echo(f"wrote {path}")


def _range(run) -> tuple[float, float] | None:
    ckpt_meta = run.load_checkpoint("best")["meta"]
    vr = ckpt_meta.get("value_range")
    return None if vr is None else tuple(vr)


def _val_images(run, model, n: int, seed: int):
    import torch

    from vaelab.data import load_dataset, split_indices

    cfg = run.config()
    data = load_dataset(cfg.data.name, cfg.data.root, download=False, **cfg.data.options)
    _, val = split_indices(len(data), cfg.data.val_fraction, cfg.data.split_seed, cfg.data.subset)
    pool = val if len(val) else torch.arange(len(data))
    pick = pool[torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))[:n]]
    return data, data.images(pick)


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--num", type=int, default=32, show_default=True, help="Number of validation images.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/reconstructions.png).")
def reconstruct(run_dir, num, seed, checkpoint, device, out) -> None:
    """Reconstruct validation images: rows of inputs alternate with their reconstructions."""
    from vaelab.viz import reconstruction_grid, save_png

    run, model = _load(run_dir, checkpoint, device)
    if len(model.shape) != 3:
        raise VaelabError("reconstruct draws image grids; this run's data are vectors")
    data, x = _val_images(run, model, num, seed)
    path = save_png(_figure_out(run, out, "reconstructions.png"),
                    reconstruction_grid(model, x, value_range=data.value_range))
    click.echo(f"wrote {path}")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("--dims", help="Comma-separated latent dimensions (default all).")
@click.option("--limit", type=float, default=2.0, show_default=True, help="Traverse each dimension over [-limit, limit].")
@click.option("--steps", type=int, default=9, show_default=True, help="Values per dimension.")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output file (default RUN_DIR/figures/traversal.png).")
def traverse(run_dir, dims, limit, steps, seed, checkpoint, device, out) -> None:
    """Latent traversal: one row per latent dimension, starting from the code of a validation image."""
    from vaelab.viz import save_png, traversal_grid

    run, model = _load(run_dir, checkpoint, device)
    if len(model.shape) != 3:
        raise VaelabError("traverse draws image grids; this run's data are vectors")
    try:
        dim_list = None if not dims else [int(d) for d in dims.split(",")]
    except ValueError:
        raise click.BadParameter(f"{dims!r} is not a comma-separated list of integers", param_hint="--dims") from None
    if dim_list and any(not 0 <= d < model.latent_dim for d in dim_list):
        raise click.BadParameter(f"dimensions must be in [0, {model.latent_dim})", param_hint="--dims")
    if steps < 2:
        raise click.BadParameter("must be at least 2", param_hint="--steps")
    data, x = _val_images(run, model, 1, seed)
    path = save_png(_figure_out(run, out, "traversal.png"),
                    traversal_grid(model, x, dim_list, limit, steps, value_range=data.value_range))
    click.echo(f"wrote {path}")


# --------------------------------------------------------------------------- evaluate


def _summary_rows(metrics: dict[str, float], groups: set[str]) -> list[tuple[str, str]]:
    """The metrics of ``groups`` worth a terminal line: no per-axis or per-factor details."""
    detail = (".relevance_", "directions.angle")
    rows = []
    for key, value in metrics.items():
        group = key.split(".")[0]
        if group not in groups or any(d in key for d in detail) or key.count(".") > 1:
            continue
        rows.append((key, f"{value:.4f}"))
    return rows


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("--metrics", "metric_names", help="Comma-separated metric groups (default: every one that applies): "
              "reconstruction, latent, generative, beta_vae, factor_vae, mig, dci, sap, directions, "
              "pca_factor_vae, pca_mig, downstream.")
@click.option("--num-samples", type=int, help="Cap every sample count (default: the papers' counts, e.g. 10,000).")
@seed_opt
@ckpt_opt
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="auto", show_default=True)
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def evaluate(run_dir, metric_names, num_samples, seed, checkpoint, device, no_progress) -> None:
    """Compute the evaluation suite for a trained run and write RUN_DIR/metrics.json.

    Results merge into an existing metrics.json (groups not recomputed are kept); the file
    is replaced atomically. Example:

      vaelab evaluate runs/vae --metrics mig,factor_vae,latent --num-samples 2000
    """
    from vaelab.evaluate import evaluate_run
    from vaelab.train import resolve_device

    names = None if not metric_names else [m.strip() for m in metric_names.split(",") if m.strip()]
    result = evaluate_run(run_dir, names, num_samples=num_samples, seed=seed, checkpoint=checkpoint,
                          device=resolve_device(device), progress=not no_progress)
    computed = set(names) if names is not None else set(result["seconds"])
    _echo_table(_summary_rows(result["metrics"], computed), ("metric", "value"))
    if "features" in result and "generative" in computed:
        click.echo(f"generative features: {result['features'].get('name', result['features'])}")
    click.echo(f"wrote {Path(run_dir) / 'metrics.json'}")


# --------------------------------------------------------------------------- data


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
        _echo_table(rows, ("factor", "size", "values"))
        click.echo(f"factor sizes: {list(ds.factor_sizes)}")
    else:
        click.echo("no ground-truth factors")


@data.command("preview", context_settings=CONTEXT)
@click.argument("name")
@data_root_opt
@click.option("-n", "--num", type=int, default=64, show_default=True, help="Number of random items.")
@click.option("--by-factor", is_flag=True, help="One row per factor, stepping through its values.")
@seed_opt
@click.option("--out", type=click.Path(path_type=Path), help="Output PNG (default NAME-preview.png).")
def data_preview(name, data_root, num, by_factor, seed, out) -> None:
    """Save a PNG grid of random items (or of each factor's values with --by-factor)."""
    import torch

    from vaelab.data import load_dataset
    from vaelab.viz import image_grid, save_png

    ds = load_dataset(name, data_root)
    if len(ds.shape) != 3:
        raise VaelabError(f"{name} holds vectors, not images; there is nothing to preview")
    g = torch.Generator().manual_seed(seed)
    ncol = 8
    if by_factor:
        if not ds.has_factors:
            raise VaelabError(f"{name} has no ground-truth factors; drop --by-factor")
        ncol = min(10, max(ds.factor_sizes))
        base = ds.sample_factors(1, g)[0]
        rows = []
        for k, size in enumerate(ds.factor_sizes):
            f = base.repeat(ncol, 1)
            f[:, k] = torch.linspace(0, size - 1, ncol).round().long()
            rows.append(ds.render(f))
        x = torch.cat(rows)
    else:
        x = ds.images(torch.randperm(len(ds), generator=g)[: max(1, num)])
    path = save_png(out or Path(f"{name}-preview.png"), image_grid(x, ncol=ncol, value_range=ds.value_range),
                    scale=2)
    click.echo(f"wrote {path}")


# --------------------------------------------------------------------------- models / demo


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


@cli.command(context_settings=CONTEXT)
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo_runs/vae-dsprites"), show_default=True,
              help="Run directory (re-running the demo continues or reuses it).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def demo(out, no_progress) -> None:
    """Train a VAE on procedural dSprites on the CPU and write its figures (a few minutes)."""
    from vaelab.config import build_config
    from vaelab.runs import Run
    from vaelab.train import train as run_training
    from vaelab.viz import write_run_figures

    config = build_config(model="vae", dataset="dsprites", **DEMO_FLAGS, overrides=DEMO_OVERRIDES)
    run = Run(out)
    if run.exists() and run.status().get("status") == "finished":
        click.echo(f"the demo run in {out} is already finished; reusing it")
    status = run_training(config, out, resume=True, progress=not no_progress)
    figures = write_run_figures(Run(out))
    click.echo(f"demo: VAE on procedural dSprites, {status['steps']} steps in {status['seconds']:.0f} s, "
               f"best validation loss {status['best_val_loss']:.2f}")
    for f in figures:
        click.echo(f"  wrote {f}")


DEMO_FLAGS = {"steps": 3000, "subset": 60000, "device": "cpu", "seed": 0}
DEMO_OVERRIDES = ["latent_dim=6", "train.batch_size=64"]


# --------------------------------------------------------------------------- bandwidth

TABLE_DIMS = (10, 20, 40, 50, 70, 100)
TABLE_SIZES = (500, 1000, 2000, 5000, 10000)


@cli.command(context_settings=CONTEXT)
@click.option("--latent-dim", "-l", type=int, help="Latent dimension l.")
@click.option("--kde-samples", "-m", type=int, help="Number of KDE samples m.")
@click.option("--trials", type=int, default=3, show_default=True, help="Independent trials averaged.")
@click.option("--method", type=click.Choice(["root", "adam"]), default="root", show_default=True,
              help="root: exact maximisation on a fixed Monte Carlo sample; adam: the authors' procedure.")
@click.option("--seed", type=int, default=0, show_default=True)
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
        _echo_table(rows_i, ("l \\ m", *map(str, TABLE_SIZES)))
        click.echo("\nTable II: h = alpha h_opt (Eq. 11)")
        _echo_table(rows_ii, ("l \\ m", *map(str, TABLE_SIZES)))
        click.echo(f"\n{trials} trials per cell, method {method}, {time.perf_counter() - start:.0f} s")
        return
    if latent_dim is None or kde_samples is None:
        raise click.UsageError("give --latent-dim and --kde-samples, or --table")
    r = search(latent_dim, kde_samples, trials=trials, method=method, seed=seed)
    _echo_table([("h_opt (Eq. 10)", f"{r.h_opt_label()}  ({r.h_opt:.4f} +- {r.h_opt_std:.4f})"),
                 ("alpha (Eq. 11)", f"{r.alpha:.4f}"),
                 ("h = alpha h_opt", f"{r.h:.4f}"),
                 ("generation variance 1 - h^2", f"{r.generation_variance:.4f}")])


# --------------------------------------------------------------------------- entry point


def _one_line(e: object) -> str:
    return " ".join(str(e).split())


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI, turning user errors into one-line messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="vaelab", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except VaelabError as e:
        if os.environ.get("VAELAB_DEBUG"):
            raise
        click.echo(f"error: {_one_line(e)}", err=True)
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        return 130
    except OSError as e:
        if os.environ.get("VAELAB_DEBUG"):
            raise
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        click.echo(f"error: {_one_line(e.strerror or e)}{where}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
