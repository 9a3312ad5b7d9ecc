"""Figures of a report: per method, from its first seed's run, on the CPU with fixed seeds.

Reconstructions and samples, traversals along axes and Algorithm-2 directions, a metric MDS
of codes against prior samples (AVAE Fig. 1), latent histograms, relevance bars, angle
heatmaps, ARD-VAE prior variances and curves, training curves (see :mod:`vaelab.experiments.report`).
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from vaelab.errors import VaelabError
from vaelab.experiments.results import Row, RunResult
from vaelab.runs import Run


__all__ = ["MethodFigures", "write_figures"]

GROUND_TRUTH_DATASETS = ("dsprites", "shapes3d")


@dataclass(frozen=True)
class _Figure:
    title: str
    path: Path
    caption: str = ""


@dataclass
class MethodFigures:
    row: Row
    run: RunResult
    figures: list[_Figure]


def _heldout_codes(model, data, run: Run, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` held-out items of a fixed permutation (those of ``vaelab evaluate``) and their codes."""
    from vaelab.evaluate import _heldout

    heldout, index = _heldout(run, data)
    pick = index[torch.randperm(len(index), generator=torch.Generator().manual_seed(0))][:n]
    x = heldout.images(pick)
    with torch.no_grad():
        codes = torch.cat([model.encode(x[i : i + 250]) for i in range(0, len(x), 250)]).double()
    return x, codes


def _default_sampler(run: Run, model) -> tuple[Any, str]:
    """The model's default sampler (``None`` for the prior) and a caption; never writes to the run."""
    from vaelab.errors import RunError
    from vaelab.samplers import default_sampler_name, encode_training_codes, make_sampler, run_sampler

    name = default_sampler_name(model)
    if name == "prior":
        return None, "prior"
    try:
        return run_sampler(run, name, model, "best", fit=False), f"the run's {name} sampler"
    except RunError:
        sampler = make_sampler("gaussian", model)
        sampler.fit(encode_training_codes(run, model, max_codes=2000, seed=0), torch.Generator().manual_seed(0))
        return sampler, f"a Gaussian fitted to 2000 training codes (the run has no saved {name} sampler)"


def _mds(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """Metric MDS of ``(N, L)`` points into 2-D (sklearn), deterministic for a seed."""
    from sklearn.manifold import MDS

    params = inspect.signature(MDS).parameters
    options: dict[str, Any] = {"n_components": 2, "n_init": 1, "max_iter": 300, "random_state": seed}
    if "init" in params:
        options["init"] = "classical_mds"
    if "normalized_stress" in params:
        options["normalized_stress"] = "auto"
    return MDS(**options).fit_transform(points)


def _relevance(model, codes: torch.Tensor, metrics: dict[str, float]) -> tuple[torch.Tensor, str]:
    """Relevance scores of every axis: from ``metrics.json`` when evaluated, else from 50 held-out codes."""
    stored = [metrics.get(f"latent.relevance_{i}") for i in range(model.latent_dim)]
    if all(v is not None for v in stored):
        return torch.tensor(stored, dtype=torch.float64), "metrics.json"
    from vaelab.metrics.latent import relevance_scores

    z = codes.float()
    scores = relevance_scores(model.decode, z, variance=model.relevance_variance(z), num_jacobian=50)
    return scores.double().cpu(), f"decoder Jacobians of 50 and variances of {len(z)} held-out codes"


def _directions(result: RunResult, data, model, codes: torch.Tensor) -> tuple[np.ndarray, str]:
    """Algorithm-2 directions in the full code space: from ``metrics.json`` when evaluated, else
    estimated in the subspace the codes occupy, on the model's evaluation axes (the ARD-VAE's active ones)."""
    axes = model.evaluation_axes()
    if "directions.vectors" in result.arrays:
        d = np.asarray(result.arrays["directions.vectors"], dtype=np.float64)
        if d.shape[1] != model.latent_dim and axes is not None and d.shape[1] == len(axes):
            d = _embed(d, axes, model.latent_dim)
        return d, "from metrics.json"
    from vaelab.metrics.directions import latent_directions

    votes = 8 * data.num_factors
    encode = lambda x: model.encode(torch.as_tensor(x, dtype=torch.float32)).detach()
    pick = encode if axes is None else (lambda x: encode(x)[:, axes])
    with torch.no_grad():
        d = latent_directions(data, pick, torch.Generator().manual_seed(0), batch_size=64, num_votes=votes,
                              num_spread_estimate=2000).numpy()
    where = "" if axes is None else f" on the {len(axes)} active axes"
    return (d if axes is None else _embed(d, axes, model.latent_dim),
            f"estimated for the report from {votes} votes of 64 items{where}")


def _embed(d: np.ndarray, axes: torch.Tensor, latent_dim: int) -> np.ndarray:
    full = np.zeros((len(d), latent_dim))
    full[:, axes.cpu().numpy()] = d
    return full


def _scale(shape: Sequence[int]) -> int:
    return int(min(4, max(1, round(64 / shape[-1]))))


class _Figures:
    """Collects one run's figures into ``folder``; a figure whose input is missing is skipped with a note."""

    def __init__(self, folder: Path, stem: str, label: str, notes: list[str]):
        self.folder, self.stem, self.label, self.notes = folder, stem, label, notes
        self.figures: list[_Figure] = []

    def add(self, title: str, make: Callable[[Path], "Path | tuple[Path, str] | None"], caption: str = "") -> None:
        path = self.folder / f"{self.stem}-{re.sub(r'[^a-z0-9]+', '_', title.lower()).strip('_')}.png"
        try:
            made = make(path)
        except (VaelabError, OSError, RuntimeError, ValueError) as e:
            self.notes.append(f"{self.label}: no {title} figure ({' '.join(str(e).split())})")
            return
        if isinstance(made, tuple):
            made, caption = made
        if made is not None:
            self.figures.append(_Figure(title, made, caption))


def _image_figures(figs: _Figures, result: RunResult, model, data, x: torch.Tensor, codes: torch.Tensor,
                   scores: torch.Tensor) -> None:
    from vaelab import viz

    vr, s, l = data.value_range, _scale(data.shape), model.latent_dim
    figs.add("reconstructions", lambda p: viz.save_png(
        p, viz.reconstruction_grid(model, x[:16], ncol=8, value_range=vr), scale=s),
        "held-out items (odd rows) and their reconstructions (even rows)")

    def samples(p: Path) -> tuple[Path, str]:
        sampler, source = _default_sampler(Run(result.path), model)
        grid = viz.sample_grid(model, 32, torch.Generator().manual_seed(0), ncol=8, value_range=vr, sampler=sampler)
        return viz.save_png(p, grid, scale=s), f"decoded draws from {source}"

    figs.add("samples", samples)
    dims = torch.argsort(scores, descending=True, stable=True)[:10].tolist() if l > 10 else list(range(l))
    figs.add("traversal", lambda p: viz.save_png(
        p, viz.label_rows(viz.traversal_grid(model, x[:1], dims, limit=2.0, steps=9, value_range=vr),
                          [viz.axis_label(d) for d in dims], data.shape[-2]), scale=s),
        f"one row per latent axis ({', '.join(map(viz.axis_label, dims))}), set to 9 values in [-2, 2]")
    if data.name not in GROUND_TRUTH_DATASETS or not data.has_factors:
        return

    def directions(p: Path) -> tuple[Path, str]:
        d, how = _directions(result, data, model, codes)
        proj = torch.from_numpy(codes.numpy() @ d.T)
        grid = viz.direction_traversal_grid(model, x[:1], torch.from_numpy(d), proj.mean(0), proj.std(0), 2.0, 9, vr)
        grid = viz.label_rows(grid, list(data.factor_names)[: len(d)], data.shape[-2])
        return viz.save_png(p, grid, scale=s), (f"one row per factor ({', '.join(data.factor_names)}): the code "
                                                f"moved along the factor's Algorithm-2 direction ({how}) over "
                                                f"+-2 std of the projected held-out codes")

    figs.add("direction traversal", directions)


def _latent_figures(figs: _Figures, model, codes: torch.Tensor, scores: torch.Tensor, source: str) -> None:
    from vaelab import viz
    from vaelab.metrics.latent import active_dimensions

    n, l = min(200, len(codes)), model.latent_dim

    def mds(p: Path) -> Path:
        prior = model.sample_latent(200, torch.Generator().manual_seed(1)).double().cpu()
        e = _mds(torch.cat([codes[:n], prior]).numpy())
        return viz.plot_embedding([(f"held-out codes ({n})", e[:n]), ("prior samples (200)", e[n:])], p,
                                  title=figs.label)

    figs.add("MDS", mds, "2-D metric MDS of held-out codes and prior samples, pooled (AVAE Fig. 1)")
    title = f"{figs.label}: {len(codes)} held-out codes" + (f", first 16 of {l} axes" if l > 16 else "")
    figs.add("latent histograms", lambda p: viz.plot_latent_histograms(codes[:, :16], p, title=title),
             "per-axis histograms of held-out codes with the N(0, 1) density (VCAE Fig. 10)")
    fraction = getattr(model.config, "active_fraction", 0.99)
    figs.add("relevance", lambda p: viz.plot_relevance(scores, active_dimensions(scores, fraction).tolist(), p,
                                                       title=figs.label),
             f"relevance scores (ARD-VAE Eq. 20; {source}); the active axes explain {fraction:.0%} of the total")
    if hasattr(model, "prior_variance"):
        figs.add("prior variances", lambda p: viz.plot_prior_variances(model.prior_variance, p, title=figs.label),
                 "ARD-VAE prior variances b / a per axis")


def _run_figures(result: RunResult, figs: _Figures, datasets: dict[str, Any]) -> None:
    """Every figure of one run that it has the inputs for."""
    from vaelab import viz
    from vaelab.data import load_dataset

    run = Run(result.path)
    data = None
    try:
        model = run.load_model("best", "cpu")
        cfg = run.config().data
        key = json.dumps([cfg.name, cfg.root, cfg.options], sort_keys=True)
        if key not in datasets:
            datasets[key] = load_dataset(cfg.name, cfg.root, download=False, **cfg.options)
        data = datasets[key]
        x, codes = _heldout_codes(model, data, run, 500)
    except (VaelabError, OSError) as e:
        figs.notes.append(f"{figs.label}: no model figures ({' '.join(str(e).split())})")
    else:
        scores, source = _relevance(model, codes, result.metrics)
        if len(data.shape) == 3:
            _image_figures(figs, result, model, data, x, codes, scores)
        _latent_figures(figs, model, codes, scores, source)
    if "directions.angles" in result.arrays:
        angles = np.asarray(result.arrays["directions.angles"], dtype=float)
        names = list(getattr(data, "factor_names", ()) or ())
        names = names if len(names) == len(angles) else [f"factor {k}" for k in range(len(angles))]
        figs.add("direction angles", lambda p: viz.plot_angle_heatmap(angles, names, p, title=figs.label),
                 "pairwise angles between the Algorithm-2 factor directions (AVAE Fig. 4)")
    figs.add("ARD variance curves", lambda p: viz.plot_ard_curves(run.log_file, p, title=figs.label),
             "per-epoch range of the ARD prior variances and the active axes (ARD-VAE Fig. 1b)")
    figs.add("training curves", lambda p: viz.plot_training_curves(run.log_file, p), "from log.csv")


def write_figures(rows: Sequence["Row"], notes: list[str], out: Path) -> list[MethodFigures]:
    """Figures of each row's first-seed run into ``out/figures``; what cannot be drawn is noted in ``notes``."""
    datasets: dict[str, Any] = {}
    used: set[str] = set()
    methods = []
    for row in rows:
        stem = re.sub(r"[^A-Za-z0-9_.=-]+", "_", f"{row.dataset}-{row.method}").strip("_")
        while stem in used:
            stem += "_"
        used.add(stem)
        figs = _Figures(out / "figures", stem, f"{row.dataset} / {row.method}", notes)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            _run_figures(row.runs[0], figs, datasets)
        methods.append(MethodFigures(row, row.runs[0], figs.figures))
    return methods
