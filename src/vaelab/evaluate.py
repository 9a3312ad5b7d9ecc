"""Evaluating a trained run: every metric of the seeds, written to ``RUN/metrics.json``.

Metric groups (``vaelab evaluate RUN --metrics a,b``):

====================  =========================================================  ==================
group                 what                                                       needs
====================  =========================================================  ==================
``reconstruction``    MSE per pixel of held-out reconstructions                   --
``latent``            Gaussian-fit KL, whitened KDE entropy, MMD, relevance       --
``generative``        Frechet distance and precision / recall of reconstructions, --
                      interpolations and prior samples (feature net recorded)
``beta_vae``          beta-VAE metric                                             factors
``factor_vae``        FactorVAE metric                                            factors
``mig``               MIG                                                         factors
``dci``               DCI disentanglement, completeness, informativeness          factors
``sap``               SAP                                                         factors
``directions``        AVAE Algorithm 2 directions and their pairwise angles       factors
``pca_factor_vae``    PCA FactorVAE metric                                        factors
``pca_mig``           PCA MIG                                                     factors
``downstream``        GBT accuracy from 10 / 100 / 1,000 / 10,000 labels          factors or labels
====================  =========================================================  ==================

Every group draws from its own generator, seeded from ``(seed, group)``, so its numbers
do not depend on which other groups ran. ``num_samples`` caps every sample count (the
defaults are the seeds'); the cap used is stored with the results.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor
from tqdm.auto import tqdm

from vaelab.data import TEST_SPLITS, Dataset, load_dataset, split_indices
from vaelab.errors import VaelabError, VaelabWarning
from vaelab.io import save_torch, write_json
from vaelab.models import Model
from vaelab.nets import memory_layout
from vaelab.runs import Run

__all__ = ["METRICS", "GROUND_TRUTH_METRICS", "GRID_CODES", "ENCODE_BATCH", "evaluate_run", "evaluate_untrained",
           "EvalContext", "generative_group"]

ENCODE_BATCH = 128
"""Observations per encoder call in evaluation: on 2 CPU cores the dSprites encoder runs about 1.6x
faster at 128 than at 500 (smaller feature maps stay in cache; ``benchmarks/bench_metrics.py``)."""


@dataclass
class EvalContext:
    """What a metric group needs: the model, the data and the held-out items."""

    run: Run | None
    model: Model
    data: Dataset
    heldout: Dataset
    heldout_index: Tensor
    device: torch.device
    cap: int | None
    progress: bool
    checkpoint: str = "best"
    cache: Any = None
    extras: dict[str, Any] | None = None
    sampler: str | None = None
    all_axes: bool = False

    def n(self, default: int) -> int:
        return default if self.cap is None else min(default, self.cap)

    def encode(self, x: Tensor) -> Tensor:
        """Codes of observations through the fast path: inference mode, the model's layout
        (channels-last for convolutional networks), batches of :data:`ENCODE_BATCH`."""
        layout = memory_layout(self.model, self.model.shape)
        x = torch.as_tensor(x, dtype=torch.float32)
        out = []
        with torch.inference_mode():
            for i in range(0, len(x), ENCODE_BATCH):
                chunk = x[i : i + ENCODE_BATCH].to(self.device)
                out.append(self.model.encode(chunk.contiguous(memory_format=layout) if chunk.dim() == 4 else chunk))
        return torch.cat(out).cpu() if out else torch.zeros(0, self.model.latent_dim)

    def codes(self) -> Tensor:
        """Codes of (up to) 10,000 held-out items, the first of a fixed permutation."""
        if self.extras is None:
            self.extras = {}
        if "codes" not in self.extras:
            pick = self.heldout_index[torch.randperm(len(self.heldout_index), generator=torch.Generator().manual_seed(0))]
            pick = pick[: self.n(10_000)]
            self.extras["codes"] = torch.cat([self.encode(self.heldout.images(pick[i : i + 2000]))
                                              for i in range(0, len(pick), 2000)])
        return self.extras["codes"]

    def encoder(self):
        """The encoder given to ground-truth metrics: a per-item code cache over the grid, on the
        model's ``evaluation_axes`` (every axis when ``all_axes``), shared by every group and
        stored beside the checkpoint (``RUN/codes/CHECKPOINT.pt``) once the whole grid is encoded."""
        from vaelab.metrics.disentanglement import CodeCache

        if self.cache is None:
            axes = self.axes()
            encode = self.encode if axes is None else (lambda x: self.encode(x)[:, axes])
            self.cache = CodeCache(self.data, encode, batch_size=2000, progress=self.progress)
            self._load_codes()
        return self.cache

    def _codes_key(self) -> dict[str, Any]:
        digest = hashlib.sha256(self.run.checkpoint_path(self.checkpoint).read_bytes()).hexdigest()
        axes = self.axes()
        return {"checkpoint": digest, "axes": None if axes is None else axes.tolist(), "items": len(self.data)}

    def _codes_file(self) -> Path:
        return self.run.path / "codes" / f"{self.checkpoint}.pt"

    def _load_codes(self) -> None:
        path = self._codes_file()
        if not path.is_file():
            return
        try:
            stored = torch.load(path, weights_only=True)
            if stored["key"] == self._codes_key():
                self.cache.load_state_dict(stored["state"])
        except Exception:  # a stale or damaged file is recomputed and replaced
            return

    def fill_codes(self) -> None:
        """Encodes the whole grid once (with a progress bar) and stores the codes for later evaluations."""
        cache = self.encoder()
        if cache.num_encoded == len(self.data):
            return
        cache.fill()
        save_torch(self._codes_file(), {"key": self._codes_key(), "state": cache.state_dict()})

    def axes(self) -> Tensor | None:
        """The axes the ground-truth metrics use (``None``: all)."""
        return None if self.all_axes else self.model.evaluation_axes()


def _reconstruction(ctx: EvalContext, g: torch.Generator) -> dict[str, Any]:
    pick = ctx.heldout_index[torch.randperm(len(ctx.heldout_index), generator=g)][: ctx.n(10_000)]
    per_image, count = [], 0
    with torch.no_grad():
        for i in range(0, len(pick), 500):
            x = ctx.heldout.images(pick[i : i + 500]).to(ctx.device)
            per_image += (ctx.model.reconstruct(x) - x).square().flatten(1).sum(1).tolist()
            count += x.numel()
    total = math.fsum(per_image)  # exact over items: the same number at any thread count
    return {"reconstruction.mse": total / count, "reconstruction.mse_per_image": total / len(pick)}


def _latent(ctx: EvalContext, g: torch.Generator) -> dict[str, Any]:
    from vaelab.metrics.latent import latent_statistics

    prior_var = ctx.model.prior().variance.detach().double().cpu()
    return latent_statistics(ctx.model, ctx.codes(), g, prior_var=prior_var)


def _generative(ctx: EvalContext, g: torch.Generator) -> dict[str, Any]:
    from vaelab.metrics.features import get_feature_extractor
    from vaelab.metrics.generative import generative_metrics

    from vaelab.samplers import generate, resolve_sampler_name, run_sampler

    features = get_feature_extractor(ctx.data, progress=ctx.progress)
    name = resolve_sampler_name(ctx.sampler or ctx.model.default_sampler, ctx.model)
    sample = None
    if name != "prior":
        sampler = run_sampler(ctx.run, name, ctx.model, which=ctx.checkpoint)
        sample = lambda n, gen: generate(ctx.model, sampler, n, gen)
    out = generative_metrics(ctx.model, ctx.heldout, ctx.heldout_index, g, num_samples=ctx.n(10_000),
                             features=features, progress=ctx.progress, sample=sample)
    out["sampler"] = name
    return {f"{generative_group(ctx.sampler)}.{k}": v for k, v in out.items()}


def generative_group(sampler: str | None) -> str:
    """The key prefix of generative metrics: ``generative`` for the model's default sampler, else
    ``generative_<sampler>`` (e.g. ``generative_flow.fd``), so that several samplers sit side by side."""
    return "generative" if sampler is None else f"generative_{sampler}"


def _gt(name: str, defaults: dict[str, int]) -> Callable[[EvalContext, torch.Generator], dict[str, Any]]:
    def run(ctx: EvalContext, g: torch.Generator) -> dict[str, Any]:
        from vaelab.metrics import directions, disentanglement

        fn = getattr(disentanglement, f"{name}_score", None) or getattr(directions, f"{name}_score")
        return fn(ctx.data, ctx.encoder(), g, **{k: ctx.n(v) for k, v in defaults.items()})

    return run


def _directions(ctx: EvalContext, g: torch.Generator) -> dict[str, Any]:
    from vaelab.metrics.directions import direction_angles, latent_directions

    d = latent_directions(ctx.data, ctx.encoder(), g, num_votes=ctx.n(10_000), num_spread_estimate=ctx.n(10_000))
    angles = direction_angles(d)
    axes = ctx.axes()
    if axes is not None:  # stored in the full code space, zero on the axes the metrics do not see
        d = torch.zeros(len(d), ctx.model.latent_dim, dtype=d.dtype).index_copy_(1, axes.cpu(), d)
    k = len(angles)
    off = angles[~torch.eye(k, dtype=torch.bool)]
    return {"directions.mean_angle": float(off.mean()) if k > 1 else math.nan,
            "directions.min_angle": float(off.min()) if k > 1 else math.nan,
            "arrays": {"directions.vectors": d.tolist(), "directions.angles": angles.tolist()}}


def _downstream(ctx: EvalContext, g: torch.Generator) -> dict[str, Any]:
    from vaelab.metrics.downstream import TRAIN_SIZES, downstream_accuracy

    sizes = [s for s in TRAIN_SIZES if s <= ctx.n(10_000)]
    n_train, n_test = max(sizes), ctx.n(5_000)
    if ctx.data.has_factors:
        factors = ctx.data.sample_factors(n_train + n_test, g)
        x_source = lambda f: ctx.data.render(f)
        targets = factors
    elif ctx.heldout.labels is not None:
        if len(ctx.heldout_index) < 2:
            raise VaelabError("downstream needs held-out items with labels")
        pick = ctx.heldout_index[torch.randint(len(ctx.heldout_index), (n_train + n_test,), generator=g)]
        factors, targets = pick, ctx.heldout.labels[pick]
        x_source = lambda p: ctx.heldout.images(p)
    else:
        raise VaelabError(f"downstream needs ground-truth factors or labels; {ctx.data.name} has neither")
    codes = torch.cat([ctx.encode(x_source(factors[i : i + 500])) for i in range(0, len(factors), 500)])
    return downstream_accuracy(codes[:n_train], targets[:n_train], codes[n_train:], targets[n_train:], sizes=sizes)


GROUND_TRUTH_METRICS: dict[str, Callable[[EvalContext, torch.Generator], dict[str, Any]]] = {
    "beta_vae": _gt("beta_vae", {"num_train": 10_000, "num_eval": 5_000}),
    "factor_vae": _gt("factor_vae", {"num_train": 10_000, "num_eval": 5_000, "num_variance_estimate": 10_000}),
    "mig": _gt("mig", {"num_train": 10_000}),
    "dci": _gt("dci", {"num_train": 10_000, "num_test": 5_000}),
    "sap": _gt("sap", {"num_train": 10_000, "num_test": 5_000}),
    "directions": _directions,
    "pca_factor_vae": _gt("pca_factor_vae", {"num_train": 10_000, "num_eval": 5_000, "num_spread_estimate": 10_000}),
    "pca_mig": _gt("pca_mig", {"num_train": 10_000, "num_votes": 10_000, "num_spread_estimate": 10_000}),
}

GRID_CODES: dict[str, Callable[[Callable[[int], int]], int]] = {
    "beta_vae": lambda n: (n(10_000) + n(5_000)) * 64 * 2,
    "factor_vae": lambda n: n(10_000) + (n(10_000) + n(5_000)) * 64,
    "mig": lambda n: n(10_000),
    "dci": lambda n: n(10_000) + n(5_000),
    "sap": lambda n: n(10_000) + n(5_000),
    "directions": lambda n: n(10_000) * 100,
    "pca_factor_vae": lambda n: (n(10_000) + n(5_000)) * 100,
    "pca_mig": lambda n: n(10_000) * 100 + n(10_000),
}
"""Codes each ground-truth group requests at the sample counts ``n`` (the cap applied to each
default): when the chosen groups ask for more codes than the grid has items, the whole grid is
encoded once up front (nearly every item would be touched anyway)."""

METRICS: dict[str, Callable[[EvalContext, torch.Generator], dict[str, Any]]] = {
    "reconstruction": _reconstruction,
    "latent": _latent,
    **GROUND_TRUTH_METRICS,
    "downstream": _downstream,
    "generative": _generative,
}


def _heldout(run: Run, data: Dataset) -> tuple[Dataset, Tensor]:
    cfg = run.config().data
    if cfg.name in TEST_SPLITS:
        test = load_dataset(cfg.name, cfg.root, split="test", **cfg.options)
        return test, torch.arange(len(test))
    _, val = split_indices(len(data), cfg.val_fraction, cfg.split_seed, cfg.subset)
    return data, (val if len(val) else torch.arange(len(data)))


def _select(names: list[str] | None, data: Dataset, heldout: Dataset) -> list[str]:
    if names is None:
        names = [n for n in METRICS if n not in GROUND_TRUTH_METRICS or data.has_factors]
        if not data.has_factors and heldout.labels is None:
            names.remove("downstream")
        from vaelab.metrics.features import has_features

        if len(data.shape) != 3 or not has_features(data):
            names.remove("generative")  # vectors, or no features to compare samples in (own data without labels)
        return names
    if not names:
        raise VaelabError(f"no metric group named; give some of: {', '.join(METRICS)} (or leave out --metrics)")
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise VaelabError(f"unknown metric {unknown[0]!r}; choose from: {', '.join(METRICS)}")
    needs = [n for n in names if n in GROUND_TRUTH_METRICS]
    if needs and not data.has_factors:
        raise VaelabError(f"metric {needs[0]!r} needs ground-truth factors and dataset {data.name} has none; "
                          f"use e.g. --metrics reconstruction,latent,generative")
    return list(dict.fromkeys(names))


def _seed_for(seed: int, name: str) -> int:
    return seed * 1_000_003 + zlib.crc32(name.encode())


def evaluate_run(
    run_dir: str | Path,
    metrics: list[str] | None = None,
    num_samples: int | None = None,
    seed: int = 0,
    checkpoint: str = "best",
    device: str | torch.device = "cpu",
    progress: bool = True,
    sampler: str | None = None,
    all_axes: bool = False,
) -> dict[str, Any]:
    """Computes metric groups for a trained run and merges them into ``RUN/metrics.json``.

    Args:
        run_dir: The run directory.
        metrics: Group names (see the module docstring); all that apply when ``None``.
        num_samples: Cap on every sample count (``None``: the seeds' defaults).
        seed: Seed of every random draw.
        checkpoint: ``"best"`` or ``"latest"``.
        device: Device of the model.
        progress: Show progress bars.
        sampler: Latent sampler of the ``generative`` group (``prior``, ``gaussian``, ``gmm``, ``maf``,
            ``realnvp``, ``flow``); its results are stored as ``generative_<sampler>.*``. ``None``: the
            model's default sampler, stored as ``generative.*``.
        all_axes: Give the ground-truth metrics every latent axis, also for a model that
            names its own (the ARD-VAE's active axes, ARD-VAE Table 1).

    Returns:
        The full contents of ``metrics.json`` after the update.
    """
    if num_samples is not None and num_samples < 10:
        raise VaelabError(f"num_samples must be at least 10, got {num_samples}")
    run = Run.open(run_dir)
    run.read_metrics()
    model = run.load_model(checkpoint, device)
    cfg = run.config()
    data = load_dataset(cfg.data.name, cfg.data.root, download=False, **cfg.data.options)
    heldout, index = _heldout(run, data)
    if num_samples is not None and num_samples > len(index):
        warnings.warn(VaelabWarning(f"num_samples={num_samples} is more than the {len(index)} held-out items; "
                                    f"the metrics of held-out items use all {len(index)}"))
    names = _select(metrics, data, heldout)
    if sampler is not None and "generative" not in names:
        raise VaelabError("a sampler applies to the generative metrics only; add --metrics generative")
    if sampler is not None:
        from vaelab.samplers import make_sampler

        make_sampler(sampler, model)
    model.to(memory_format=memory_layout(model, model.shape))
    ctx = EvalContext(run, model, data, heldout, index, torch.device(device), num_samples, progress, checkpoint,
                      sampler=sampler, all_axes=all_axes)
    groups = [generative_group(sampler) if n == "generative" else n for n in names]
    axes = ctx.axes()

    def settings(group: str, used_sampler: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"checkpoint": checkpoint, "seed": seed, "num_samples": num_samples}
        if used_sampler is not None:
            out["sampler"] = used_sampler
        if group in GROUND_TRUTH_METRICS:
            out["axes"] = "all" if axes is None else axes.tolist()
        return out

    path = run.path / "metrics.json"
    merged = run.read_metrics()
    merged = {"run": str(run.path), **{k: merged.get(k, {}) for k in ("metrics", "arrays", "settings", "seconds")},
              **{k: merged[k] for k in ("features", "encoding") if k in merged}}

    grid = [n for n in names if n in GRID_CODES]
    if grid and sum(GRID_CODES[n](ctx.n) for n in grid) >= len(data):
        start = time.perf_counter()
        ctx.fill_codes()
        merged["encoding"] = {"checkpoint": checkpoint, "items": len(data),
                              "seconds": round(time.perf_counter() - start, 3)}
    bar = tqdm(names, disable=not progress, desc="evaluating", unit="metric", leave=False)
    for name, group in zip(bar, groups):
        bar.set_postfix_str(name)
        start = time.perf_counter()
        out = METRICS[name](ctx, torch.Generator().manual_seed(_seed_for(seed, name)))
        merged["seconds"][group] = round(time.perf_counter() - start, 3)
        merged["arrays"].update(out.pop("arrays", {}))
        used_sampler = None
        if f"{group}.features" in out:
            used = {**out.pop(f"{group}.features"), "sampler": out.pop(f"{group}.sampler")}
            if group == "generative":
                merged["features"] = used
            used_sampler = used["sampler"]
        merged["metrics"].update({k: float(v) for k, v in out.items() if isinstance(v, (int, float))})
        merged["settings"][group] = settings(group, used_sampler)
        write_json(path, merged)
    bar.close()
    return merged


def evaluate_untrained(config: Any, metrics: list[str], num_samples: int | None = None, seed: int = 0
                       ) -> dict[str, float]:
    """Ground-truth metrics of an untrained network: the reference a trained run's numbers are read against.

    The model of ``config`` (a :class:`vaelab.config.RunConfig`) is built with the run's seed, as
    training builds it before its first step, and scored with the same metric functions, sample
    counts (``num_samples`` caps them) and seeds as :func:`evaluate_run`, on the CPU.
    """
    from vaelab.models import build_model

    unknown = [m for m in metrics if m not in GROUND_TRUTH_METRICS]
    if unknown:
        raise VaelabError(f"evaluate_untrained takes ground-truth metrics only; got {', '.join(unknown)}")
    data = load_dataset(config.data.name, config.data.root, download=False, **config.data.options)
    torch.manual_seed(config.train.seed)
    model = build_model(config.model, config.model_config, data.shape, data.value_range).eval()
    model.to(memory_format=memory_layout(model, model.shape))
    ctx = EvalContext(None, model, data, data, torch.arange(0), torch.device("cpu"), num_samples, False)
    axes = ctx.axes()
    ctx.cache = ctx.encode if axes is None else (lambda x: ctx.encode(x)[:, axes])
    out: dict[str, float] = {}
    for name in metrics:
        scores = GROUND_TRUTH_METRICS[name](ctx, torch.Generator().manual_seed(_seed_for(seed, name)))
        out.update({k: float(v) for k, v in scores.items() if isinstance(v, (int, float))})
    return out
