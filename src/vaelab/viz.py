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
    "label_rows",
    "axis_label",
    "save_png",
    "reconstruction_grid",
    "sample_grid",
    "traversal_grid",
    "traversal_axes",
    "MAX_FIGURE_AXES",
    "traversal_motion",
    "interpolate_codes",
    "interpolation_grid",
    "plot_training_curves",
    "plot_latent_scatter",
    "write_run_figures",
    "plot_relevance",
    "scaled_traversal_grid",
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


def axis_label(d: int) -> str:
    """The name of latent axis ``d`` in every figure and table: ``z0``, ``z1``, ... (numbered from 0,
    as ``--dims``, ``vaelab relevance`` and the ``latent.relevance_<d>`` metrics)."""
    return f"z{int(d)}"


def label_rows(grid: np.ndarray, labels: Sequence[str], row_height: int, pad: int = 2,
               min_pitch: int = 14) -> np.ndarray:
    """Adds a white margin left of an :func:`image_grid` with ``labels[r]`` beside row ``r``.

    Rows of ``row_height`` pixels (``pad`` between them, as :func:`image_grid` lays them out)
    shorter than ``min_pitch`` are first enlarged by an integer factor (nearest neighbour) so
    that a line of text fits each row.
    """
    from PIL import Image, ImageDraw, ImageFont

    k = max(1, math.ceil(min_pitch / (row_height + pad)))
    big = np.repeat(np.repeat(grid, k, axis=0), k, axis=1)
    font = ImageFont.load_default()
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    boxes = [measure.textbbox((0, 0), str(t), font=font) for t in labels]
    margin = max([b[2] for b in boxes] + [0]) + 6
    canvas = Image.new("RGB", (margin + big.shape[1], big.shape[0]), (255, 255, 255))
    canvas.paste(Image.fromarray(big), (margin, 0))
    draw = ImageDraw.Draw(canvas)
    for r, (text, box) in enumerate(zip(labels, boxes)):
        middle = k * (pad + r * (row_height + pad) + row_height / 2)
        draw.text((3, round(middle - (box[1] + box[3]) / 2)), str(text), fill=(0, 0, 0), font=font)
    return np.asarray(canvas)


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


MAX_FIGURE_AXES = 10
"""Most latent axes a default figure shows (traversal rows, histogram panels), so its cost is bounded."""


def traversal_axes(codes: Tensor, cap: int = MAX_FIGURE_AXES) -> list[int]:
    """The latent axes a default figure shows: all of them when there are at most ``cap``, else the
    ``cap`` axes along which ``(N, L)`` codes spread most (largest variance), in axis order."""
    dims = codes.shape[1]
    if dims <= cap:
        return list(range(dims))
    spread = codes.float().var(0, correction=0) if len(codes) > 1 else codes.float().abs().mean(0)
    return sorted(torch.argsort(spread, descending=True, stable=True)[:cap].tolist())


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


@torch.no_grad()
def traversal_motion(
    model: torch.nn.Module,
    x: Tensor,
    dims: Sequence[int] | None = None,
    limit: float = 2.0,
    threshold: float = 0.5,
) -> Tensor:
    """How much each traversal row of :func:`traversal_grid` changes the picture: per latent
    dimension, the number of pixels (summed over channels) whose decoded value differs by more
    than ``threshold`` between the row's two ends (that dimension at ``-limit`` and ``+limit``),
    averaged over the items of ``x``. A row that moves or reshapes a dSprites sprite changes
    tens to hundreds of pixels; a dead dimension changes none.

    Returns:
        ``(len(dims),)`` float tensor.
    """
    model.eval()
    z0 = model.encode(x.to(model.device))
    dims = list(range(model.latent_dim)) if dims is None else list(dims)
    out = []
    for d in dims:
        low, high = z0.clone(), z0.clone()
        low[:, d], high[:, d] = -limit, limit
        changed = (model.decode(low) - model.decode(high)).abs() > threshold
        out.append(changed.flatten(1).sum(1).float().mean())
    return torch.stack(out).cpu()


def plot_training_curves(log_file: str | Path, path: str | Path) -> Path | None:
    """Plots a run's ``log.csv`` against the epoch (numbered from 1, integer ticks): one panel per loss entry (train and
    validation lines) and one per value a model's hook logs (e.g. ``ard/prior_var_max``,
    ARD-VAE Fig. 1b; ``avae/beta``)."""
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
    columns = list(rows[0])
    pairs = list(dict.fromkeys(k.split("/", 1)[1] for k in columns if k.startswith(("train/", "val/"))))
    hooks = [k for k in columns if "/" in k and not k.startswith(("train/", "val/"))]
    panels = [(name, [(f"train/{name}", "-", "train"), (f"val/{name}", "--", "val")]) for name in pairs]
    panels += [(key, [(key, "-", None)]) for key in hooks]
    ncol = min(4, len(panels))
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
    epochs = [int(r["epoch"]) for r in rows]
    for ax, (title, series) in zip(axes.flat, panels):
        for key, style, label in series:
            values = [float(r[key]) if r.get(key) not in (None, "") else np.nan for r in rows]
            if not all(np.isnan(values)):
                ax.plot(epochs, values, style, marker="o", ms=3, label=label)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        if any(label for _, _, label in series) and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
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
    ax.set_xlabel(axis_label(0))
    ax.set_ylabel(axis_label(1))
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
    dimension (of the :data:`MAX_FIGURE_AXES` of largest spread when there are more, see
    :func:`traversal_axes`); vectors: a scatter plot of validation codes. Always: the training curves.
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
        with torch.no_grad():
            codes = model.encode(data.images(pick[:500]).to(model.device)).cpu()
        dims = traversal_axes(codes)
        grid = traversal_grid(model, data.images(pick[:1]), dims, value_range=vr)
        labels = [axis_label(d) for d in dims]
        written.append(save_png(out / "traversal.png", label_rows(grid, labels, data.shape[-2]), scale=2))
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


def interpolate_codes(z_a: Tensor, z_b: Tensor, steps: int) -> Tensor:
    """Codes :math:`(1 - t) z_a + t z_b` at ``steps`` evenly spaced :math:`t \\in [0, 1]`.

    Args:
        z_a, z_b: ``(P, L)`` codes of the pairs' first and second items.

    Returns:
        ``(P * steps, L)`` codes, pair by pair, ``z_a`` first and ``z_b`` last in each pair.
    """
    t = torch.linspace(0.0, 1.0, steps, dtype=z_a.dtype, device=z_a.device)[None, :, None]
    return ((1.0 - t) * z_a[:, None] + t * z_b[:, None]).reshape(-1, z_a.shape[1])


@torch.no_grad()
def interpolation_grid(
    model: torch.nn.Module,
    x_a: Tensor,
    x_b: Tensor,
    steps: int = 10,
    value_range: tuple[float, float] | None = (0.0, 1.0),
    with_inputs: bool = True,
) -> np.ndarray:
    """One row per pair ``(x_a[i], x_b[i])``: the decoded :func:`interpolate_codes` of their codes,
    framed by the two input images when ``with_inputs`` (``steps + 2`` columns)."""
    model.eval()
    x_a, x_b = x_a.to(model.device), x_b.to(model.device)
    decoded = model.decode(interpolate_codes(model.encode(x_a), model.encode(x_b), steps))
    rows = decoded.reshape(len(x_a), steps, *decoded.shape[1:])
    if with_inputs:
        rows = torch.cat([x_a[:, None].to(rows.dtype), rows, x_b[:, None].to(rows.dtype)], dim=1)
    return image_grid(rows.flatten(0, 1), ncol=rows.shape[1], value_range=value_range)


def plot_relevance(scores: Tensor, active: Sequence[int], path: str | Path, title: str = "relevance") -> Path:
    """Bar chart of per-axis relevance scores (ARD-VAE Fig. 1a) and their cumulative share.

    Left: the score of each axis in axis order (log scale when positive), active axes in
    colour. Right: the cumulative fraction of the total relevance over the axes sorted by
    score, as the 99% rule of Section 3.4 reads it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = torch.as_tensor(scores, dtype=torch.float64).cpu()
    active_set = {int(a) for a in active}
    colours = ["tab:blue" if i in active_set else "tab:gray" for i in range(len(s))]
    order = torch.argsort(s, descending=True, stable=True)
    total = float(s.sum())
    cumulative = (s[order].cumsum(0) / total).numpy() if total > 0 else np.zeros(len(s))
    fig, (ax, cx) = plt.subplots(1, 2, figsize=(max(6.0, 0.25 * len(s) + 4.0), 3.0))
    ax.bar(range(len(s)), s.numpy(), color=colours)
    if bool((s > 0).any()):
        ax.set_yscale("log")
    ax.set_xlabel("latent axis")
    ax.set_ylabel("relevance")
    ax.set_title(f"{title}: {len(active_set)} of {len(s)} active")
    cx.plot(range(1, len(s) + 1), cumulative, marker="o", ms=3)
    cx.axvline(len(active_set), color="tab:red", ls="--", lw=1)
    cx.set_xlabel("axes, most relevant first")
    cx.set_ylabel("cumulative fraction")
    cx.set_ylim(0.0, 1.05)
    for axis in (ax, cx):
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


@torch.no_grad()
def scaled_traversal_grid(
    model: torch.nn.Module,
    x: Tensor,
    dims: Sequence[int],
    scales: Tensor,
    limit: float = 3.0,
    steps: int = 9,
    value_range: tuple[float, float] | None = (0.0, 1.0),
    framed: Sequence[int] = (),
    pad: int = 2,
) -> np.ndarray:
    """One row per axis in ``dims`` (in that order): the code of ``x`` with axis ``d`` set to
    ``steps`` values evenly spaced in ``[-limit * scales[d], limit * scales[d]]``, decoded.

    With ``scales`` the prior standard deviations and ``limit = 3`` this is the
    :math:`[-3\\sigma, 3\\sigma]` traversal of ARD-VAE supp. Fig. 2-4; the rows of the axes in
    ``framed`` get a red frame (the irrelevant axes of Fig. 4).
    """
    model.eval()
    dims = list(dims)
    z0 = model.encode(x[:1].to(model.device))[0]
    unit = torch.linspace(-limit, limit, steps, device=z0.device)
    z = z0.repeat(len(dims) * steps, 1)
    for r, d in enumerate(dims):
        z[r * steps : (r + 1) * steps, d] = unit * scales[d].to(z0)
    grid = image_grid(model.decode(z), ncol=steps, value_range=value_range, pad=pad)
    h, framed = x.shape[-2], set(framed)
    for r, d in enumerate(dims):
        if d in framed:
            top, bottom = r * (h + pad), r * (h + pad) + h + 2 * pad
            grid[top : top + pad, :] = grid[bottom - pad : bottom, :] = (220, 30, 30)
            grid[top:bottom, :pad] = grid[top:bottom, -pad:] = (220, 30, 30)
    return grid


__all__ += ["plot_latent_histograms", "plot_scatter_panels"]


def plot_latent_histograms(codes: Tensor, path: str | Path, bins: int = 50, title: str | None = None,
                           reference: bool = True, axes: Sequence[int] | None = None) -> Path:
    """One histogram per latent dimension of ``(N, L)`` codes (of the dimensions ``axes`` when given),
    as densities, with the :math:`\\mathcal{N}(0, 1)` density overlaid when ``reference`` (VCAE Figs. 5, 10-12)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picked = list(range(codes.shape[1])) if axes is None else list(axes)
    c = codes.detach().float().cpu()[:, picked].numpy()
    dims = c.shape[1]
    ncol = math.ceil(math.sqrt(dims))
    nrow = math.ceil(dims / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.4 * ncol, 2.0 * nrow), squeeze=False)
    for d, ax in enumerate(axes.flat):
        if d >= dims:
            ax.axis("off")
            continue
        lo, hi = min(float(c[:, d].min()), -3.0), max(float(c[:, d].max()), 3.0)
        ax.hist(c[:, d], bins=bins, range=(lo, hi), density=True, color="tab:blue", alpha=0.7)
        if reference:
            t = np.linspace(lo, hi, 200)
            ax.plot(t, np.exp(-0.5 * t**2) / math.sqrt(2 * math.pi), color="tab:red", lw=1)
        ax.set_title(axis_label(picked[d]), fontsize=8)
        ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def plot_scatter_panels(panels: Sequence[tuple[str, Tensor, Tensor | None]], path: str | Path,
                        size: float = 3.2) -> Path:
    """Side-by-side scatter plots of the first two coordinates of each ``(title, points, labels)``
    panel, coloured by label (VCAE Fig. 2: data, VCAE codes, cWAE codes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size), squeeze=False)
    for ax, (name, points, labels) in zip(axes[0], panels):
        p = points.detach().float().cpu().numpy()
        colours = {} if labels is None else {"c": labels.cpu().numpy(), "cmap": "tab10", "vmin": 0, "vmax": 9}
        ax.scatter(p[:, 0], p[:, 1] if p.shape[1] > 1 else np.zeros(len(p)), s=2, **colours)
        ax.set_title(name, fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return Path(path)


__all__ += ["direction_traversal_grid", "plot_embedding", "plot_angle_heatmap", "plot_prior_variances",
            "plot_ard_curves"]


def _savefig(fig, path: str | Path, dpi: int = 100) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
    return Path(path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@torch.no_grad()
def direction_traversal_grid(
    model: torch.nn.Module,
    x: Tensor,
    directions: Tensor,
    centers: Tensor,
    scales: Tensor,
    limit: float = 2.0,
    steps: int = 9,
    value_range: tuple[float, float] | None = (0.0, 1.0),
) -> np.ndarray:
    r"""One row per unit direction :math:`d_k` (AVAE Algorithm 2): the code :math:`z_0` of ``x``
    moved along :math:`d_k` so that its projection :math:`d_k^\top z` takes ``steps`` values evenly
    spaced in ``centers[k] +- limit * scales[k]``, decoded.

    Args:
        directions: ``(K, L)`` unit directions.
        centers, scales: ``(K,)`` mean and standard deviation of the codes' projections.
    """
    model.eval()
    z0 = model.encode(x[:1].to(model.device))[0]
    d = torch.as_tensor(directions, dtype=z0.dtype, device=z0.device)
    unit = torch.linspace(-limit, limit, steps, dtype=z0.dtype, device=z0.device)
    target = centers.to(z0)[:, None] + unit[None, :] * scales.to(z0)[:, None]  # (K, steps)
    shift = target - (d @ z0)[:, None]
    z = z0 + shift[..., None] * d[:, None, :]  # (K, steps, L)
    return image_grid(model.decode(z.reshape(-1, len(z0))), ncol=steps, value_range=value_range)


def plot_embedding(groups: Sequence[tuple[str, np.ndarray]], path: str | Path, title: str = "") -> Path:
    """Scatter plot of 2-D points, one colour per ``(name, (N, 2) points)`` group (AVAE Fig. 1)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    for (name, points), colour in zip(groups, ("tab:blue", "tab:orange", "tab:green", "tab:red")):
        p = np.asarray(points)
        ax.scatter(p[:, 0], p[:, 1], s=6, alpha=0.7, color=colour, label=name)
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=8, loc="best")
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _savefig(fig, path)


def plot_angle_heatmap(angles, names: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Pairwise angles in degrees between factor directions as an annotated heatmap (AVAE Fig. 4)."""
    plt = _pyplot()
    a = np.asarray(angles, dtype=float)
    k = len(a)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * k, 0.8 + 0.7 * k))
    image = ax.imshow(a, vmin=0.0, vmax=90.0, cmap="viridis")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{a[i, j]:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if a[i, j] < 45 else "black")
    ax.set_xticks(range(k), list(names), rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(k), list(names), fontsize=7)
    fig.colorbar(image, ax=ax, label="degrees", shrink=0.8)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _savefig(fig, path)


def plot_prior_variances(variances: Tensor, path: str | Path, title: str = "prior variances") -> Path:
    """Bar chart of the per-axis prior variances ``b / a`` of an ARD-VAE (log scale; ARD-VAE Fig. 1a)."""
    plt = _pyplot()
    v = torch.as_tensor(variances, dtype=torch.float64).cpu().numpy()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.25 * len(v) + 2.0), 3.0))
    ax.bar(range(len(v)), v, color="tab:purple")
    if (v > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("latent axis")
    ax.set_ylabel("prior variance b / a")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _savefig(fig, path)


def plot_ard_curves(log_file: str | Path, path: str | Path, title: str = "ARD prior") -> Path | None:
    """The ARD-VAE's per-epoch prior variance range and active axes from ``log.csv`` (ARD-VAE Fig. 1b);
    ``None`` when the log has no ``ard/`` columns."""
    log_file = Path(log_file)
    if not log_file.is_file():
        return None
    with open(log_file, newline="") as f:
        rows = list(csv.DictReader(f))
    keys = ("ard/prior_var_min", "ard/prior_var_max")
    if not rows or not all(k in rows[0] for k in keys):
        return None
    plt = _pyplot()
    epochs = [int(r["epoch"]) for r in rows]
    value = lambda r, k: float(r[k]) if r.get(k) not in (None, "") else np.nan
    fig, ax = plt.subplots(figsize=(4.8, 3.0))
    for key, style in zip(keys, ("--", "-")):
        ax.plot(epochs, [value(r, key) for r in rows], style, marker="o", ms=3, label=key.split("/")[1])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylabel("prior variance")
    if "ard/active_dims" in rows[0]:
        twin = ax.twinx()
        twin.step(epochs, [value(r, "ard/active_dims") for r in rows], where="mid", color="tab:red",
                  label="active axes")
        twin.set_ylabel("active axes", color="tab:red")
        twin.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _savefig(fig, path)


def plot_claim_ladder(panels: Sequence[tuple[str, Sequence[float], Sequence[Sequence[float]]]],
                      path: str | Path) -> Path:
    """Each claim's margin against the training budget (issue "budget ladder").

    Args:
        panels: Per claim ``(title, budgets, margins per seed at each budget)``.
        path: PNG file.
    """
    plt = _pyplot()
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.5 * rows), squeeze=False)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    for ax, (title, budgets, margins) in zip(axes.ravel(), panels):
        for b, ms in zip(budgets, margins):
            ax.scatter([b] * len(ms), ms, s=12, color="tab:blue", alpha=0.8, zorder=3)
        ax.plot(budgets, [float(np.mean(m)) if len(m) else np.nan for m in margins], color="tab:blue", lw=1)
        ax.axhline(0.0, color="black", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xticks(list(budgets), [f"{b:g}" for b in budgets])
        ax.minorticks_off()
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("budget", fontsize=7)
        ax.set_ylabel("margin", fontsize=7)
    fig.tight_layout()
    return _savefig(fig, path)


__all__ += ["plot_claim_ladder"]
