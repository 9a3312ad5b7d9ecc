"""Evaluation of a trained run: evaluate, relevance, fit-sampler."""

from __future__ import annotations

from pathlib import Path

import click

from vaelab.cli.app import (
    CONTEXT,
    MAX_ROWS,
    STEPS,
    FiniteFloat,
    ckpt_opt,
    cli,
    device_opt,
    echo_table,
    load_run,
    run_arg,
    seed_opt,
    show_progress,
    val_codes,
)

__all__ = ["evaluate", "fit_sampler", "relevance"]

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
    is replaced atomically after every group, so an interruption keeps the finished groups.
    The full suite on dSprites encodes the factor grid once (progress bar) and stores the
    codes in RUN_DIR/codes/ for later evaluations of the same checkpoint. Example:

      vaelab evaluate runs/vae --metrics mig,factor_vae,latent --num-samples 2000
      vaelab evaluate runs/wae --metrics generative --sampler flow   # FD of flow samples
    """
    from vaelab.api import evaluate as evaluate_api
    from vaelab.evaluate import generative_group

    names = None if metric_names is None else [m.strip() for m in metric_names.split(",") if m.strip()]
    result = evaluate_api(run_dir, names, num_samples=num_samples, seed=seed, checkpoint=checkpoint,
                          device=device, progress=show_progress(no_progress), sampler=sampler_name,
                          all_axes=all_axes)
    computed = {generative_group(sampler_name) if n == "generative" else n for n in names} \
        if names is not None else set(result["seconds"])
    echo_table(_summary_rows(result["metrics"], computed), ("metric", "value"))
    if "features" in result and "generative" in computed:
        click.echo(f"generative features: {result['features'].get('name', result['features'])}")
    click.echo(f"wrote {Path(run_dir) / 'metrics.json'}")


@cli.command(context_settings=CONTEXT)
@run_arg
@click.option("--reading", type=click.Choice(["code", "paper"]),
              help="Jacobian weight: code (the authors' released code) or paper (Eq. 19 as printed); "
                   "default: the ARD-VAE's own setting, else code.")
@click.option("--fraction", type=FiniteFloat(), help="Share of the total relevance the active axes explain "
              "(default: the ARD-VAE's own setting, else 0.99).")
@click.option("--num-samples", type=int, default=100, show_default=True,
              help="Held-out items whose decoder Jacobians give the weights (Eq. 19).")
@click.option("--all-axes", is_flag=True, help="Traverse every axis, inactive ones framed in red (supp. Fig. 4), "
              "instead of the active axes only.")
@click.option("--steps", type=STEPS, default=9, show_default=True,
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

    from vaelab.api import heldout_images, load
    from vaelab.models import ARDVAE
    from vaelab.viz import axis_label, label_rows, save_png, scaled_traversal_grid

    if num_samples < 1:
        raise click.BadParameter("must be at least 1", param_hint="--num-samples")
    if fraction is not None and not 0.0 < fraction <= 1.0:
        raise click.BadParameter("must be in (0, 1]", param_hint="--fraction")
    trained = load(run_dir, checkpoint, device)
    run, model = trained.run, trained.model
    ard = isinstance(model, ARDVAE)
    rel = trained.relevance(fraction=fraction, reading=reading, num_samples=num_samples, seed=seed)
    scores, active, variance, reading, fraction = rel.scores, rel.active, rel.variance, rel.reading, rel.fraction
    source = "the prior variance b/a" if ard else f"the second moment of {rel.num_codes} held-out codes"
    order = torch.argsort(scores, descending=True, stable=True).tolist()
    total = float(scores.sum())
    rows, running = [], 0.0
    for rank, axis in enumerate(order, 1):
        running += float(scores[axis])
        rows.append((rank, axis, f"{float(scores[axis]):.4g}", f"{running / total if total > 0 else 0.0:.4f}",
                     "yes" if axis in active else "no"))
    echo_table(rows, ("rank", "axis", "relevance", "cumulative", "active"))
    click.echo(f"active axes: {len(active)} of {model.latent_dim} explain {fraction:.0%} of the relevance "
               f"({reading} reading, {min(num_samples, rel.num_codes)} Jacobians, variance: {source}): "
               f"{' '.join(map(str, active)) or 'none'}")
    folder = out if out is not None else run.figures_dir
    paths = [rel.plot(folder / "relevance.png", title=run.config().model)]
    if len(model.shape) == 3:
        dims = (order if all_axes else active)[:MAX_ROWS]
        if len(dims) < (len(order) if all_axes else len(active)):
            click.echo(f"the traversal shows the {MAX_ROWS} most relevant of those axes")
        if dims:
            framed = [d for d in order if d not in active] if all_axes else []
            _, x = heldout_images(run, 1, seed)
            grid = scaled_traversal_grid(model, x, dims, variance.sqrt().cpu(), 3.0, steps,
                                         value_range=trained.value_range, framed=framed)
            grid = label_rows(grid, [axis_label(d) for d in dims], x.shape[-2])
            paths.append(save_png(folder / "relevance_traversal.png", grid, scale=2))
        else:
            click.echo("no active axes to traverse")
    for p in paths:
        click.echo(f"wrote {p}")


@cli.command("fit-sampler", context_settings=CONTEXT)
@run_arg
@click.option("--kind", required=True, type=click.Choice(["maf", "realnvp", "flow", "gaussian", "gmm"]),
              help="Density: a normalising flow (maf, realnvp, or flow: the one VCAE Table 5 uses for this "
                   "model), a full-covariance Gaussian or a 10-component Gaussian mixture.")
@click.option("--epochs", type=int, help="Training epochs of a flow (default 100, VCAE B.3.1 / B.4.1).")
@click.option("--patience", type=int, help="Early stopping of a flow (an option; VCAE trains every epoch): stop "
              "after this many epochs without a better likelihood of a held-out tenth of the codes.")
@click.option("--max-codes", type=int, help="Fit on a random subset of at most this many training items "
              "(default: all of them, as VCAE Algorithm 1 does).")
@seed_opt
@ckpt_opt
@device_opt
def fit_sampler(run_dir, kind, epochs, patience, max_codes, seed, checkpoint, device) -> None:
    """Fit a latent density to a run's encoded training set and save it in RUN_DIR/samplers.

    Prints the mean log-likelihood of held-out codes (the validation items) under the fitted
    density and under a single full-covariance Gaussian fitted to the same training codes.
    For models with fixed latent noise (cwae, vcae, tc_vcae) the flows are fitted to noisy
    codes (fresh noise in every minibatch, VCAE Algorithm 1), and both densities are then
    compared on noisy held-out codes. Example:

      vaelab fit-sampler runs/vcae --kind maf --epochs 50 --patience 10
    """
    import math

    import torch

    from vaelab.samplers.flows import FLOW_KINDS
    from vaelab.samplers import (
        GaussianSampler,
        encode_training_codes,
        fit_run_sampler,
        resolve_sampler_name,
    )

    if max_codes is not None and max_codes < 2:
        raise click.BadParameter("must be at least 2", param_hint="--max-codes")
    run, model = load_run(run_dir, checkpoint, device)
    name = resolve_sampler_name(kind, model)
    options = {}
    for flag, value in (("--epochs", epochs), ("--patience", patience)):
        if value is None:
            continue
        if name not in FLOW_KINDS:
            raise click.BadParameter(f"applies to the flow samplers ({', '.join(FLOW_KINDS)}, flow) only",
                                     param_hint=flag)
        if value < 1:
            raise click.BadParameter("must be at least 1", param_hint=flag)
    if epochs is not None:
        options["epochs"] = epochs
    if patience is not None:
        options.update(patience=patience, val_fraction=0.1)
    sampler = fit_run_sampler(run, name, model, checkpoint, max_codes=max_codes, seed=seed, **options)
    train_codes = encode_training_codes(run, model, max_codes, seed)
    detail = ""
    if name in FLOW_KINDS:
        detail = (f"; {sampler.val_fraction:.0%} held out for early stopping, best epoch {int(sampler.fit_epochs)}"
                  if sampler.patience else f"; {int(sampler.fit_epochs)} epochs, fresh noise in every minibatch")
    click.echo(f"fitted {name} to {len(train_codes)} training codes ({checkpoint} checkpoint{detail})")
    click.echo(f"wrote {run.path / 'samplers' / f'{name}.pt'}")
    held = val_codes(run, model, max_codes, seed)
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
    echo_table(rows, ("density", "log-lik"))
