"""Training: ``vaelab train`` and ``vaelab demo``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from vaelab.cli.app import CONTEXT, POSITIVE, cli, show_progress
from vaelab.errors import MAX_SEED

__all__ = ["demo", "summary_line", "train"]

@cli.command(context_settings=CONTEXT)
@click.option("--model", "model", help="Model name (see `vaelab models`).")
@click.option("--dataset", help="Dataset: dsprites, shapes3d, mnist, cifar10, celeba, imagenet32, digits, mog, "
              "or the path of your own data: a folder of PNG / JPEG images, a .npy / .npz array or an .h5 file.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run directory to create.")
@click.option("--epochs", type=int, help="Budget in epochs (default: the dataset's value from the seeds).")
@click.option("--steps", type=int, help="Budget in optimisation steps (instead of epochs).")
@click.option("--subset", type=int, help="Train on only N items of the training split.")
@click.option("--batch-size", type=int, help="Minibatch size (default 100).")
@click.option("--seed", type=click.IntRange(0, MAX_SEED),
              help="Seed of initialisation, data order and sampling (default 0).")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), help="Device (default auto).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="YAML config (model/data/train sections).")
@click.option("--data-root", help="Local path of the dataset files (real datasets).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its latest checkpoint (start it if absent).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option("--no-figures", is_flag=True, help="Skip writing figures after training.")
@click.option("--logger", "loggers", multiple=True, type=click.Choice(["csv", "tensorboard", "wandb", "mlflow"]),
              help="Also log to Weights & Biases or MLflow (optional extras; repeatable). CSV and "
                   "TensorBoard logs are always written.")
@click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
def train(model, dataset, out, epochs, steps, subset, batch_size, seed, device, config_file, data_root,
          resume, no_progress, no_figures, loggers, overrides) -> None:
    """Train a model into a new run directory.

    KEY=VALUE pairs set any config field: model fields (beta=4, latent_dim=10,
    architecture=mlp), data.* and train.* fields (train.lr=1e-3, data.val_fraction=0.05,
    train.checkpoint_every=500). Example:

      vaelab train --model beta_vae --dataset dsprites --out runs/bvae --steps 3000 --subset 30000 beta=4
      vaelab train --model ard_vae --dataset ./my_pngs --out runs/mine --steps 300 data.options.size=32
    """
    from vaelab.api import fit

    flags = {"epochs": epochs, "steps": steps, "subset": subset, "batch_size": batch_size, "seed": seed,
             "device": device, "data_root": data_root}
    run = fit(model, dataset, out, config=config_file, overrides=list(overrides), resume=resume, loggers=loggers,
              figures=not no_figures, progress=show_progress(no_progress),
              **{k: v for k, v in flags.items() if v is not None})
    status = run.status()
    if run.trained_steps == 0:
        click.echo(f"run {out} is already finished: {summary_line(status)}; nothing trained or written "
                   "(give a larger --steps or --epochs to continue it)")
        return
    click.echo(f"run {out}: {summary_line(status)}")
    for f in [] if no_figures else status.get("figures", []):
        click.echo(f"  wrote {f}")


def summary_line(status: dict) -> str:
    """``50 steps (2 epochs + 10 steps), best validation loss 1.2345 at epoch 3 (step 50), 12 s on cpu``:
    the numbers of ``status.json``, epochs numbered from 1 as in ``log.csv``."""
    epochs = f"{status['epochs']} epoch{'s' * (status['epochs'] != 1)}"
    partial = status.get("epoch_steps") or 0
    text = f"{status['steps']} steps ({epochs}" + (f" + {partial} steps" if partial else "") + ")"
    if status.get("best_val_loss") is not None:
        text += (f", best validation loss {status['best_val_loss']:.4f} at epoch {status['best_epoch']} "
                 f"(step {status['best_step']})")
    return text + f", {status['seconds']:.0f} s on {status.get('device', '?')}"


def _untrained_line(preset) -> str:
    """The demo's first method before training, scored like the trained runs: what learning moved."""
    from vaelab.evaluate import evaluate_untrained
    from vaelab.experiments.sweeps import expand, run_config

    spec = preset.base
    first = expand(spec)[0]
    scores = evaluate_untrained(run_config(first), ["mig", "factor_vae"], spec.num_samples, seed=0)
    pruned = " (every axis below its 0.05 std threshold)" if scores["factor_vae.num_active_dims"] == 0 else ""
    return (f"untrained {first.model} (its network before the first step, same metrics): "
            f"MIG {scores['mig']:.3f}, FactorVAE metric {scores['factor_vae.eval_accuracy']:.3f}{pruned}")


@cli.command(context_settings=CONTEXT)
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo_runs/quickstart"), show_default=True,
              help="Sweep directory (re-running the demo reuses finished runs).")
@click.option("--workers", type=int, default=2, show_default=True, help="Runs trained at once.")
@click.option("--budget", type=POSITIVE, default=1.0, show_default=True, help="Scale of the training steps.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def demo(out, workers, budget, no_progress) -> None:
    """Train VAE, beta-TCVAE, AVAE and ARD-VAE on procedural dSprites on the CPU, evaluate them,
    print the comparison table and write the HTML report (the `quickstart` preset; minutes)."""
    from vaelab.experiments import presets, report, sweeps

    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    preset = presets.get_preset("quickstart")
    start = time.perf_counter()
    sweeps.run_sweep(preset.sweep(budget), out, workers=workers, progress=show_progress(no_progress))
    click.echo(report.terminal_table([out], preset=preset))
    click.echo(_untrained_line(preset))
    written = report.write_report([out], out / "report", preset=preset)
    click.echo(f"demo: 4 methods on procedural dSprites in {time.perf_counter() - start:.0f} s")
    for path in written.values():
        click.echo(f"wrote {path}")
