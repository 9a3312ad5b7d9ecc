"""The ``vaelab`` command line: a thin layer over the library.

Every user error is printed as one ``error: ...`` line on stderr with a non-zero exit
status (2 for bad input, 3 for a diverged run, 130 for an interruption).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
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
@click.option("--sampler", "sampler_name", help="Latent sampler of the generative metrics (prior, gaussian, gmm, maf, "
              "realnvp, flow); stored as generative_<sampler>.* beside the default sampler's generative.*.")
@click.option("--all-axes", is_flag=True, help="Give the disentanglement metrics every latent axis, also for the "
              "ARD-VAE (default: its active axes, as ARD-VAE Table 1 does).")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def evaluate(run_dir, metric_names, num_samples, seed, checkpoint, device, no_progress, sampler_name, all_axes) -> None:
    """Compute the evaluation suite for a trained run and write RUN_DIR/metrics.json.

    Results merge into an existing metrics.json (groups not recomputed are kept); the file
    is replaced atomically. Example:

      vaelab evaluate runs/vae --metrics mig,factor_vae,latent --num-samples 2000
      vaelab evaluate runs/wae --metrics generative --sampler flow   # FD of flow samples
    """
    from vaelab.evaluate import evaluate_run, generative_group
    from vaelab.train import resolve_device

    names = None if not metric_names else [m.strip() for m in metric_names.split(",") if m.strip()]
    result = evaluate_run(run_dir, names, num_samples=num_samples, seed=seed, checkpoint=checkpoint,
                          device=resolve_device(device), progress=not no_progress, sampler=sampler_name,
                          all_axes=all_axes)
    computed = {generative_group(sampler_name) if n == "generative" else n for n in names} \
        if names is not None else set(result["seconds"])
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
        for dataset, values in cls.Config.dataset_defaults.items():
            click.echo(f"    on {dataset}: " + ", ".join(f"{k} = {v!r}" for k, v in values.items()))


@cli.command(context_settings=CONTEXT)
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo_runs/quickstart"), show_default=True,
              help="Sweep directory (re-running the demo reuses finished runs).")
@click.option("--workers", type=int, default=2, show_default=True, help="Runs trained at once.")
@click.option("--budget", type=float, default=1.0, show_default=True, help="Scale of the training steps.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def demo(out, workers, budget, no_progress) -> None:
    """Train VAE, beta-TCVAE, AVAE and ARD-VAE on procedural dSprites on the CPU, evaluate them,
    print the comparison table and write the HTML report (the `quickstart` preset; minutes)."""
    from vaelab.experiments import presets, report, sweeps

    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    preset = presets.get_preset("quickstart")
    start = time.perf_counter()
    sweeps.run_sweep(preset.sweep(budget), out, workers=workers, progress=not no_progress)
    click.echo(report.terminal_table([out], preset=preset))
    written = report.write_report([out], out / "report", preset=preset)
    click.echo(f"demo: 4 methods on procedural dSprites in {time.perf_counter() - start:.0f} s")
    for path in written.values():
        click.echo(f"wrote {path}")


# --------------------------------------------------------------------------- interpolate


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("-n", "--pairs", type=int, default=8, show_default=True, help="Number of held-out image pairs (rows).")
@click.option("--steps", type=int, default=10, show_default=True, help="Interpolation points per row, ends included.")
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

    if pairs < 1:
        raise click.BadParameter("must be at least 1", param_hint="--pairs")
    if steps < 2:
        raise click.BadParameter("must be at least 2", param_hint="--steps")
    run, model = _load(run_dir, checkpoint, device)
    if len(model.shape) != 3:
        raise VaelabError("interpolate draws image grids; this run's data are vectors")
    data, x = _val_images(run, model, 2 * pairs, seed)
    n = len(x) // 2
    if n < 1:
        raise VaelabError("interpolate needs at least two held-out images; this run's split has fewer")
    path = save_png(_figure_out(run, out, "interpolation.png"),
                    interpolation_grid(model, x[:n], x[n : 2 * n], steps, value_range=data.value_range))
    click.echo(f"wrote {path} ({n} pairs x {steps} steps)")


# --------------------------------------------------------------------------- fit-sampler / histograms


def _val_codes(run, model, n: int | None, seed: int, batch_size: int = 500):
    """Codes of (a seeded random subset of at most ``n`` of) a run's validation items, on the CPU."""
    import torch

    from vaelab.data import load_dataset, split_indices

    cfg = run.config()
    data = load_dataset(cfg.data.name, cfg.data.root, download=False, **cfg.data.options)
    _, val = split_indices(len(data), cfg.data.val_fraction, cfg.data.split_seed, cfg.data.subset)
    val = val[torch.randperm(len(val), generator=torch.Generator().manual_seed(seed))[:n]]
    with torch.no_grad():
        codes = [model.encode(data.images(val[i : i + batch_size]).to(model.device)).cpu()
                 for i in range(0, len(val), batch_size)]
    return torch.cat(codes) if codes else torch.zeros(0, model.latent_dim)


@cli.command("fit-sampler", context_settings=CONTEXT)
@run_arg
@click.option("--kind", required=True, type=click.Choice(["maf", "realnvp", "flow", "gaussian", "gmm"]),
              help="Density: a normalising flow (maf, realnvp, or flow: the one VCAE Table 5 uses for this "
                   "model), a full-covariance Gaussian or a 10-component Gaussian mixture.")
@click.option("--epochs", type=int, help="Most training epochs of a flow (default 100; early stopping on "
              "a held-out tenth of the codes).")
@click.option("--max-codes", type=int, default=10_000, show_default=True,
              help="Fit on a random subset of at most this many training items.")
@seed_opt
@ckpt_opt
@device_opt
def fit_sampler(run_dir, kind, epochs, max_codes, seed, checkpoint, device) -> None:
    """Fit a latent density to a run's encoded training set and save it in RUN_DIR/samplers.

    Prints the mean log-likelihood of held-out codes (the validation items) under the fitted
    density and under a single full-covariance Gaussian fitted to the same training codes.
    For models with fixed latent noise (cwae, vcae, tc_vcae) the flows are fitted to noisy
    codes, and both densities are then compared on noisy held-out codes. Example:

      vaelab fit-sampler runs/vcae --kind maf --epochs 50
    """
    import math

    import torch

    from vaelab.flows import FLOW_KINDS
    from vaelab.samplers import GaussianSampler, encode_training_codes, fit_run_sampler, resolve_sampler_name

    if max_codes < 2:
        raise click.BadParameter("must be at least 2", param_hint="--max-codes")
    run, model = _load(run_dir, checkpoint, device)
    name = resolve_sampler_name(kind, model)
    options = {}
    if epochs is not None:
        if name not in FLOW_KINDS:
            raise click.BadParameter(f"applies to the flow samplers ({', '.join(FLOW_KINDS)}, flow) only",
                                     param_hint="--epochs")
        if epochs < 1:
            raise click.BadParameter("must be at least 1", param_hint="--epochs")
        options["epochs"] = epochs
    sampler = fit_run_sampler(run, name, model, checkpoint, max_codes=max_codes, seed=seed, **options)
    train_codes = encode_training_codes(run, model, max_codes, seed)
    detail = (f"; {sampler.val_fraction:.0%} held out for early stopping, best epoch {int(sampler.fit_epochs)}"
              if name in FLOW_KINDS and sampler.val_fraction > 0 else "")
    click.echo(f"fitted {name} to {len(train_codes)} training codes ({checkpoint} checkpoint{detail})")
    click.echo(f"wrote {run.path / 'samplers' / f'{name}.pt'}")
    held = _val_codes(run, model, max_codes, seed)
    if len(held) == 0:
        click.echo("no validation items (data.val_fraction=0): held-out comparison skipped")
        return
    noise = getattr(sampler, "noise_var", None) or 0.0
    g = torch.Generator().manual_seed(seed + 1)
    if noise:
        train_codes = train_codes + math.sqrt(noise) * torch.randn(train_codes.shape, generator=g)
        held = held + math.sqrt(noise) * torch.randn(held.shape, generator=g)
    gaussian = GaussianSampler(model.latent_dim).fit(train_codes)
    with torch.no_grad():
        rows = [(name, f"{float(sampler.log_prob(held).mean()):.4f}"),
                ("gaussian (single)", f"{float(gaussian.log_prob(held).mean()):.4f}")]
    noise_note = f", noise N(0, {noise:g} I) added" if noise else ""
    click.echo(f"held-out log-likelihood per code in nats ({len(held)} validation codes{noise_note}):")
    _echo_table(rows, ("density", "log-lik"))


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
    from vaelab.viz import plot_latent_histograms

    if num < 1:
        raise click.BadParameter("must be at least 1", param_hint="--num")
    if bins < 1:
        raise click.BadParameter("must be at least 1", param_hint="--bins")
    run, model = _load(run_dir, checkpoint, device)
    codes = _val_codes(run, model, num, seed)
    if len(codes) == 0:
        raise VaelabError(f"{run.path} has no validation items to encode (data.val_fraction=0)")
    path = plot_latent_histograms(codes, _figure_out(run, out, "histograms.png"), bins=bins,
                                  title=f"{run.config().model} codes ({len(codes)} validation items)")
    click.echo(f"wrote {path}")


# --------------------------------------------------------------------------- relevance

RELEVANCE_VARIANCE_CODES = 10_000


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("--reading", type=click.Choice(["code", "paper"]),
              help="Jacobian weight: code (the authors' released code) or paper (Eq. 19 as printed); "
                   "default: the ARD-VAE's own setting, else code.")
@click.option("--fraction", type=float, help="Share of the total relevance the active axes explain "
              "(default: the ARD-VAE's own setting, else 0.99).")
@click.option("--num-samples", type=int, default=100, show_default=True,
              help="Held-out items whose decoder Jacobians give the weights (Eq. 19).")
@click.option("--all-axes", is_flag=True, help="Traverse every axis, inactive ones framed in red (supp. Fig. 4), "
              "instead of the active axes only.")
@click.option("--steps", type=int, default=9, show_default=True,
              help="Values per traversed axis, in [-3 sigma, 3 sigma].")
@seed_opt
@ckpt_opt
@device_opt
@click.option("--out", type=click.Path(path_type=Path), help="Directory of the figures (default RUN_DIR/figures).")
def relevance(run_dir, reading, fraction, num_samples, all_axes, steps, seed, checkpoint, device, out) -> None:
    """Relevance of each latent axis and the active axes of any trained model (ARD-VAE Eq. 19-20).

    The score of axis l is its decoder-Jacobian weight over --num-samples held-out codes
    times a variance: the prior variance b/a for the ARD-VAE, otherwise the uncentred
    second moment of (up to 10,000) held-out codes (ARD-VAE supp. Table 13). The active
    axes are the fewest whose scores explain --fraction of the total (Section 3.4). Prints
    the scores sorted and writes relevance.png (bars) and relevance_traversal.png (the
    axes sorted by relevance, each in [-3 sigma, 3 sigma], sigma the square root of its
    variance; supp. Fig. 2-4). Example:

      vaelab relevance runs/ard --reading paper --fraction 0.95
    """
    import torch

    from vaelab.metrics.latent import active_dimensions, relevance_scores
    from vaelab.models import ARDVAE
    from vaelab.viz import plot_relevance, save_png, scaled_traversal_grid

    if num_samples < 1:
        raise click.BadParameter("must be at least 1", param_hint="--num-samples")
    if fraction is not None and not 0.0 < fraction <= 1.0:
        raise click.BadParameter("must be in (0, 1]", param_hint="--fraction")
    if steps < 2:
        raise click.BadParameter("must be at least 2", param_hint="--steps")
    run, model = _load(run_dir, checkpoint, device)
    ard = isinstance(model, ARDVAE)
    reading = reading or (model.config.relevance_reading if ard else "code")
    fraction = fraction if fraction is not None else (model.config.active_fraction if ard else 0.99)
    data, x = _val_images(run, model, num_samples if ard else max(num_samples, RELEVANCE_VARIANCE_CODES), seed)
    with torch.no_grad():
        codes = torch.cat([model.encode(x[i : i + 500].to(model.device)) for i in range(0, len(x), 500)])
    variance = model.relevance_variance(codes)
    source = "the prior variance b/a" if ard else f"the second moment of {len(codes)} held-out codes"
    scores = relevance_scores(model.decode, codes, variance=variance, reading=reading, num_jacobian=num_samples).cpu()
    active = active_dimensions(scores, fraction).tolist()
    order = torch.argsort(scores, descending=True, stable=True).tolist()
    total = float(scores.sum())
    rows, running = [], 0.0
    for rank, axis in enumerate(order, 1):
        running += float(scores[axis])
        rows.append((rank, axis, f"{float(scores[axis]):.4g}", f"{running / total if total > 0 else 0.0:.4f}",
                     "yes" if axis in active else "no"))
    _echo_table(rows, ("rank", "axis", "relevance", "cumulative", "active"))
    click.echo(f"active axes: {len(active)} of {model.latent_dim} explain {fraction:.0%} of the relevance "
               f"({reading} reading, {min(num_samples, len(codes))} Jacobians, variance: {source}): "
               f"{' '.join(map(str, active)) or 'none'}")
    folder = out if out is not None else run.figures_dir
    paths = [plot_relevance(scores, active, folder / "relevance.png", title=run.config().model)]
    if len(model.shape) == 3:
        dims = order if all_axes else active
        if dims:
            framed = [d for d in order if d not in active] if all_axes else []
            grid = scaled_traversal_grid(model, x[:1], dims, variance.sqrt().cpu(), 3.0, steps,
                                         value_range=data.value_range, framed=framed)
            paths.append(save_png(folder / "relevance_traversal.png", grid, scale=2))
        else:
            click.echo("no active axes to traverse")
    for p in paths:
        click.echo(f"wrote {p}")


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


# --------------------------------------------------------------------------- sweep / presets / report


@cli.command(context_settings=CONTEXT)
@click.argument("sweep_file", required=False, type=click.Path(path_type=Path))
@click.option("--preset", help="Run one of the seeds' experiments instead of a file (see `vaelab presets list`).")
@click.option("--budget", type=float, default=1.0, show_default=True,
              help="With --preset: scale of epochs / steps and metric sample counts (1 = the published settings).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Sweep directory (one run directory per run).")
@click.option("--workers", type=int, default=1, show_default=True, help="Runs trained at once by the local executor.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local processes, or a Ray cluster (pip install 'vaelab[ray]').")
@click.option("--address", help="Ray cluster address (default: start a local Ray instance).")
@click.option("--no-report", is_flag=True, help="Skip writing the report after the runs.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def sweep(sweep_file, preset, budget, out, workers, executor, address, no_report, no_progress) -> None:
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

    Re-running the same command skips finished runs and resumes half-finished ones.
    Examples:

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
    sweeps.run_sweep(spec, out, workers=workers, executor=executor, address=address, progress=not no_progress)
    click.echo(report.terminal_table([out], preset=chosen))
    if not no_report:
        for path in report.write_report([out], out / "report", preset=chosen).values():
            click.echo(f"wrote {path}")


@cli.group(context_settings=CONTEXT)
def presets() -> None:
    """The seeds' experiments with their published settings and numbers."""


@presets.command("list", context_settings=CONTEXT)
def presets_list() -> None:
    """List the presets: name, source table, methods and datasets."""
    from vaelab.experiments.presets import PRESETS

    _echo_table([(p.name, p.source, ",".join(p.methods), ",".join(p.datasets)) for p in PRESETS.values()],
                ("name", "source", "methods", "datasets"))


@presets.command("show", context_settings=CONTEXT)
@click.argument("name")
@click.option("--budget", type=float, default=1.0, show_default=True, help="Budget scale to apply.")
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
    written = reports.write_report(list(paths), out or Path(paths[0]) / "report", preset=chosen, formats=wanted)
    for path in written.values():
        click.echo(f"wrote {path}")


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
