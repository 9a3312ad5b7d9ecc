"""The ``vaelab`` command group, the options and helpers its commands share, and the entry point.

Every user error is printed as one ``error: ...`` line on stderr with a non-zero exit
status (2 for bad input, 3 for a diverged run, 130 for an interruption, 1 for an internal error).
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from pathlib import Path

import click

from vaelab.errors import MAX_SEED, VaelabError, VaelabWarning

__all__ = ["CONTEXT", "COUNT", "MAX_ROWS", "POSITIVE", "STEPS", "FiniteFloat", "cli", "ckpt_opt", "device_opt",
           "echo_table", "figure_out", "load_run", "main", "run_arg", "seed_opt", "show_progress", "val_codes",
           "val_images", "value_range"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def echo_table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None) -> None:
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


def load_run(run_dir: Path, checkpoint: str, device: str):
    from vaelab.api import load

    trained = load(run_dir, checkpoint, device)
    if trained.run is None:
        from vaelab.errors import RunError

        raise RunError(f"{run_dir} is an export, not a run directory; this command needs the run")
    return trained.run, trained.model


def show_progress(no_progress: bool) -> bool:
    """Progress bars only on a terminal: output redirected to a log gets no carriage returns or escape codes."""
    return not no_progress and sys.stderr.isatty()


def figure_out(run, out: Path | None, name: str) -> Path:
    return out if out is not None else run.figures_dir / name


class FiniteFloat(click.FloatRange):
    """A float option that must be finite (``nan`` and ``inf`` are refused), optionally in a range."""

    name = "finite float"

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        if not math.isfinite(value):
            self.fail(f"{value} is not a finite number", param, ctx)
        return value


COUNT = click.IntRange(min=1)
MAX_ROWS = 64
"""Most rows (axes, pairs) and columns (steps) of a figure a command draws, so that its cost is bounded."""
STEPS = click.IntRange(2, MAX_ROWS)
POSITIVE = FiniteFloat(min=0.0, min_open=True)

run_arg = click.argument("run_dir", type=click.Path(path_type=Path))
ckpt_opt = click.option("--checkpoint", type=click.Choice(["best", "latest"]), default="best", show_default=True,
                        help="Which checkpoint to use.")
device_opt = click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True)
seed_opt = click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
                        help="Seed of the random draws.")


def value_range(run, checkpoint: str = "best") -> tuple[float, float] | None:
    ckpt_meta = run.load_checkpoint(checkpoint)["meta"]
    vr = ckpt_meta.get("value_range")
    return None if vr is None else tuple(vr)


def val_images(run, model, n: int, seed: int):
    from vaelab.api import heldout_images

    return heldout_images(run, n, seed)


def val_codes(run, model, n: int | None, seed: int, batch_size: int = 500):
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


def _one_line(e: object) -> str:
    return " ".join(str(e).split())


def _usage_error(e: click.ClickException) -> str:
    """A click usage error on one line, pointing at the command's --help."""
    ctx = getattr(e, "ctx", None)
    where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
    return f"error: {_one_line(e.format_message()).rstrip('.')}{where}"


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, VaelabWarning):
        click.echo(f"warning: {_one_line(message)}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI: the one error boundary of vaelab.

    A user error (:class:`VaelabError`, a click usage error, an unreadable file) prints one
    ``error: ...`` line and returns its exit status (2 for bad input). Any other exception
    raised while reading a user's file or value (see :func:`vaelab.errors.user_input`) is
    bad input too and names that file or value; the rest are internal errors (exit 1).
    ``VAELAB_DEBUG=1`` re-raises instead, with the traceback.
    """
    debug = bool(os.environ.get("VAELAB_DEBUG"))
    previous_showwarning, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        cli.main(args=argv, prog_name="vaelab", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        if isinstance(e, click.UsageError):
            click.echo(_usage_error(e), err=True)
        else:
            click.echo(f"error: {_one_line(e.format_message())}", err=True)
        return e.exit_code
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except VaelabError as e:
        if debug:
            raise
        click.echo(f"error: {_one_line(e)}", err=True)
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        return 130
    except OSError as e:
        if debug:
            raise
        where = f": {e.filename}" if getattr(e, "filename", None) else ""
        click.echo(f"error: {_one_line(e.strerror or e)}{where}", err=True)
        return 2
    except Exception as e:
        if debug:
            raise
        what = getattr(e, "vaelab_input", None)
        detail = f"{type(e).__name__}: {_one_line(e)}" if str(e) else type(e).__name__
        if what is not None:
            click.echo(f"error: {what}: {detail}; fix it and try again (VAELAB_DEBUG=1 shows the traceback)",
                       err=True)
            return 2
        click.echo(f"error: internal error {detail}; rerun with VAELAB_DEBUG=1 for the traceback and report it",
                   err=True)
        return 1
    finally:
        warnings.showwarning = previous_showwarning
    return 0
