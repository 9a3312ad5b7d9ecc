"""Figures: image grids, reconstructions, samples, latent traversals, training curves."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import torch
from torch import Tensor

from vaelab.io import atomic_path

if TYPE_CHECKING:
    from vaelab.runs import Run
    from vaelab.samplers import Sampler

__all__ = [
    "image_grid",
    "save_png",
    "reconstruction_grid",
    "sample_grid",
    "traversal_grid",
    "plot_training_curves",
    "plot_latent_scatter",
    "write_run_figures",
]


def _to_unit(images: Tensor, value_range: tuple[float, float] | None) -> Tensor:
    lo, hi = value_range if value_range is not None else (float(images.min()), float(images.max()))
    return ((images.detach().float().cpu() - lo) / max(hi - lo, 1e-12)).clamp_(0.0, 1.0)


def image_grid(
    images: Tensor,
    ncol: int = 8,
    value_range: tuple[float, float] | None = (0.0, 1.0),
    pad: int = 2,
    pad_value: float = 0.5,
) -> np.ndarray:
    """Tiles ``(B, C, H, W)`` images into one ``(H', W', 3)`` uint8 array, row by row."""
    if images.ndim != 4:
        raise ValueError(f"image_grid needs (B, C, H, W) images, got shape {tuple(images.shape)}")
    x = _to_unit(images, value_range)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    b, _, h, w = x.shape
    ncol = max(1, min(ncol, b))
    nrow = math.ceil(b / ncol)
    grid = torch.full((3, nrow * (h + pad) + pad, ncol * (w + pad) + pad), pad_value)
    for i in range(b):
        r, c = divmod(i, ncol)
        grid[:, pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = x[i, :3]
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def save_png(path: str | Path, array: np.ndarray, scale: int = 1) -> Path:
    """Writes a uint8 ``(H, W, 3)`` array as a PNG atomically, optionally upscaled (nearest)."""
    from PIL import Image

    img = Image.fromarray(array)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
    return Path(path)


@torch.no_grad()
def reconstruction_grid(model: torch.nn.Module, x: Tensor, ncol: int = 8,
                        value_range: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
    """Alternating rows of inputs and their reconstructions."""
    model.eval()
    x = x.to(model.device)
    rec = model.reconstruct(x)
    rows = []
    for i in range(0, len(x), ncol):
        rows += [x[i : i + ncol], rec[i : i + ncol]]
    return image_grid(torch.cat(rows), ncol=ncol, value_range=value_range)


@torch.no_grad()
def sample_grid(model: torch.nn.Module, n: int = 64, generator: torch.Generator | None = None,
                ncol: int = 8, value_range: tuple[float, float] | None = (0.0, 1.0),
                sampler: "Sampler | None" = None) -> np.ndarray:
    """Decoded draws from the model's prior, or from ``sampler`` (:mod:`vaelab.samplers`) when given."""
    from vaelab.samplers import generate

    model.eval()
    images = model.sample(n, generator) if sampler is None else generate(model, sampler, n, generator)
    return image_grid(images, ncol=ncol, value_range=value_range)


@torch.no_grad()
def traversal_grid(
    model: torch.nn.Module,
    x: Tensor,
    dims: Sequence[int] | None = None,
    limit: float = 2.0,
    steps: int = 9,
    value_range: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    """One row per latent dimension: the code of ``x`` with that dimension set to each of
    ``steps`` values evenly spaced in ``[-limit, limit]`` (prior units), decoded."""
    model.eval()
    z0 = model.encode(x[:1].to(model.device))[0]
    dims = list(range(model.latent_dim)) if dims is None else list(dims)
    values = torch.linspace(-limit, limit, steps, device=z0.device)
    z = z0.repeat(len(dims) * steps, 1)
    for r, d in enumerate(dims):
        z[r * steps : (r + 1) * steps, d] = values
    return image_grid(model.decode(z), ncol=steps, value_range=value_range)


def plot_training_curves(log_file: str | Path, path: str | Path) -> Path | None:
    """Plots every ``train/*`` and ``val/*`` column of a run's ``log.csv`` against the epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log_file = Path(log_file)
    if not log_file.is_file():
        return None
    with open(log_file, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    names = sorted({k.split("/", 1)[1] for k in rows[0] if "/" in k})
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
    epochs = [int(r["epoch"]) + 1 for r in rows]
    for ax, name in zip(axes[0], names):
        for split, style in (("train", "-"), ("val", "--")):
            vals = [float(r[f"{split}/{name}"]) if r.get(f"{split}/{name}") else np.nan for r in rows]
            if not all(np.isnan(vals)):
                ax.plot(epochs, vals, style, marker="o", ms=3, label=split)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def plot_latent_scatter(codes: Tensor, labels: Tensor | None, path: str | Path, title: str = "codes") -> Path:
    """Scatter plot of the first two latent coordinates, coloured by label when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = codes.detach().cpu().numpy()
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(c[:, 0], c[:, 1] if c.shape[1] > 1 else np.zeros(len(c)), s=3,
               c=None if labels is None else labels.cpu().numpy(), cmap="tab10")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def write_run_figures(run: "Run", which: str = "best", seed: int = 0) -> list[Path]:
    """Writes a trained run's standard figures into ``RUN/figures`` and returns their paths.

    Images: reconstructions of validation items, samples from the model's default sampler
    (fitted and saved in ``RUN/samplers`` when it is not the prior), a traversal of every latent
    dimension; vectors: a scatter plot of validation codes. Always: the training curves.
    """
    from vaelab.data import load_dataset, split_indices
    from vaelab.samplers import default_sampler_name, run_sampler

    model = run.load_model(which)
    cfg = run.config()
    data = load_dataset(cfg.data.name, cfg.data.root, download=False, **cfg.data.options)
    _, val = split_indices(len(data), cfg.data.val_fraction, cfg.data.split_seed, cfg.data.subset)
    pool = val if len(val) else torch.arange(len(data))
    pick = pool[torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))]
    out = run.figures_dir
    written = []
    if len(data.shape) == 3:
        vr = data.value_range
        written.append(save_png(out / "reconstructions.png",
                                reconstruction_grid(model, data.images(pick[:32]), value_range=vr), scale=2))
        g = torch.Generator().manual_seed(seed)
        sampler = run_sampler(run, default_sampler_name(model), model, which)
        written.append(save_png(out / "samples.png", sample_grid(model, 64, g, value_range=vr, sampler=sampler),
                                scale=2))
        written.append(save_png(out / "traversal.png",
                                traversal_grid(model, data.images(pick[:1]), value_range=vr), scale=2))
    else:
        x = data.images(pick[:2000])
        with torch.no_grad():
            codes = model.encode(x.to(model.device))
        labels = data.labels[pick[:2000]] if data.labels is not None else None
        written.append(plot_latent_scatter(codes, labels, out / "latents.png", title=f"{cfg.model} codes"))
    curves = plot_training_curves(run.log_file, out / "curves.png")
    if curves is not None:
        written.append(curves)
    return written
