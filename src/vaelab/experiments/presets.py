"""The seeds' experiments as presets: published settings, a budget knob, published numbers.

Each preset is a sweep at the published settings (methods, datasets, latent sizes, seeds,
the dataset's epochs of the seeds, the papers' metric sample counts) plus the table's
columns and the published numbers (``vaelab.experiments.published``). ``budget`` scales
the training budget and the metric sample counts down for a CPU run: at ``budget < 1``
every run trains for ``ceil(budget * epochs * N / batch)`` steps (N the dataset's
nominal training-set size) and metrics use ``max(500, budget * 10,000)`` samples.

Example:
    >>> spec = get_preset("ard-table1").sweep(budget=0.01)
    >>> spec.overrides["steps"], spec.num_samples
    (2212, 500)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from vaelab.config import DATASET_DEFAULTS
from vaelab.errors import ConfigError
from vaelab.experiments.published import TABLES
from vaelab.experiments.sweeps import SweepSpec

__all__ = ["Column", "Preset", "PRESETS", "NOMINAL_SIZES", "get_preset"]

NOMINAL_SIZES = {"dsprites": 737_280, "shapes3d": 480_000, "mnist": 60_000, "digits": 1_500, "celeba": 162_770,
                 "cifar10": 50_000, "imagenet32": 1_281_167, "mog": 10_000}
"""Training-set sizes the budget knob uses to turn epochs into steps."""

DEFAULT_SAMPLES = 10_000
MIN_SAMPLES = 500


@dataclass(frozen=True)
class Column:
    """A table column: a ``metrics.json`` key (or ``train.best_val_loss``), its label and direction.

    ``higher_is_better=None`` means "no best": nothing is bolded (e.g. a count or a diagnostic).
    ``target`` (optional) makes "best" mean "closest to target" (e.g. entropy vs l / 2).
    """

    key: str
    label: str
    higher_is_better: bool | None = True
    target: float | None = None
    fmt: str = ".3f"


@dataclass(frozen=True)
class Preset:
    """One experiment of the seeds.

    Attributes:
        name: CLI name.
        source: Where it is published (paper and table).
        description: One line.
        base: The sweep at budget 1 (the published settings).
        columns: The table's columns.
        published: ``dataset -> method -> column key -> value`` (a float, or ``(mean, std)``).
    """

    name: str
    source: str
    description: str
    base: SweepSpec
    columns: tuple[Column, ...]
    published: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    methods = property(lambda self: self.base.methods)
    datasets = property(lambda self: self.base.datasets)

    def sweep(self, budget: float = 1.0) -> SweepSpec:
        """The sweep at ``budget`` (1: the published settings; 0.01: a hundredth of the steps)."""
        if not budget > 0:
            raise ConfigError(f"budget must be positive, got {budget}")
        if budget == 1.0:
            return self.base
        overrides = dict(self.base.overrides)
        if "steps" in overrides:
            steps = math.ceil(budget * overrides["steps"])
        else:
            batch = int(overrides.get("batch_size", 100))
            steps = max(math.ceil(budget * (overrides.get("epochs") or DATASET_DEFAULTS[d]["epochs"])
                                  * NOMINAL_SIZES[d] / batch) for d in self.base.datasets)
        overrides.pop("epochs", None)
        overrides["steps"] = max(1, steps)
        samples = self.base.num_samples or DEFAULT_SAMPLES
        num_samples = max(MIN_SAMPLES, min(samples, round(samples * budget)))
        return replace(self.base, overrides=overrides, num_samples=num_samples,
                       name=f"{self.base.name} (budget {budget:g})")

    def describe(self, budget: float = 1.0) -> str:
        """The sweep file of ``budget`` as YAML, then the published numbers."""
        spec = self.sweep(budget)
        doc = {"name": spec.name, "methods": list(spec.methods), "datasets": list(spec.datasets),
               "seeds": list(spec.seeds), "overrides": dict(spec.overrides)}
        if spec.grid:
            doc["grid"] = {k: list(v) for k, v in spec.grid.items()}
        if spec.method_overrides:
            doc["method_overrides"] = {k: dict(v) for k, v in spec.method_overrides.items()}
        if spec.metrics is not None:
            doc["metrics"] = list(spec.metrics)
        if spec.num_samples is not None:
            doc["num_samples"] = spec.num_samples
        lines = [f"# {self.name}: {self.source}", f"# {self.description}", yaml.safe_dump(doc, sort_keys=False)]
        if self.published:
            lines.append("# published numbers (mean, std):")
            for dataset, methods in self.published.items():
                for method, values in methods.items():
                    cells = ", ".join(f"{k}={v}" for k, v in values.items())
                    lines.append(f"#   {dataset} / {method}: {cells}")
        return "\n".join(lines) + "\n"


PUBLISHED_KEYS = {
    "generative.fd": "generative.prior_fd", "generative.fd_reconstruction": "generative.reconstruction_fd",
    "generative.fd_interpolation": "generative.interpolation_fd", "generative.precision": "generative.prior_precision",
    "generative.recall": "generative.prior_recall", "generative.fd_flow": "generative_flow.prior_fd",
    "reconstruction.test_error": "reconstruction.mse_per_image", "reconstruction.error": "reconstruction.mse_per_image",
}
"""Keys of ``published.TABLES`` -> vaelab's ``metrics.json`` keys."""

PUBLISHED_METHODS = {"dip_vae": "dip_vae_ii"}
"""Method names of the tables -> vaelab's (the thesis does not say which DIP-VAE; we run DIP-VAE-II)."""


def _method_label(method: str, variants: dict[str, dict[str, Any]], dataset: str) -> str:
    if method not in variants:
        return PUBLISHED_METHODS.get(method, method)
    variant = dict(variants[method])
    base = variant.pop("method")
    settings = {k: (v[dataset] if isinstance(v, dict) else v) for k, v in variant.items()}
    return base + "".join(f" {k}={v}" for k, v in settings.items())


def _published(name: str, columns: tuple[Column, ...]) -> dict[str, dict[str, dict[str, Any]]]:
    """The table's published numbers under vaelab's keys and method labels, percentages as fractions."""
    table = TABLES.get(name, {})
    keys = {c.key for c in columns}
    percent = {k for k, v in table.get("scale", {}).items() if v == "percent"}
    variants = table.get("settings", {}).get("variants") or {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for dataset, methods in table.get("values", {}).items():
        for method, cells in methods.items():
            row = {}
            for key, value in cells.items():
                if key in percent:
                    value = tuple(v / 100 for v in value) if isinstance(value, tuple) else value / 100
                if PUBLISHED_KEYS.get(key, key) in keys:
                    row[PUBLISHED_KEYS.get(key, key)] = value
            if row:
                out.setdefault(dataset, {})[_method_label(method, variants, dataset)] = row
    return out


def _preset(name: str, source: str, description: str, columns: tuple[Column, ...], **sweep: Any) -> Preset:
    sweep.setdefault("overrides", {})
    sweep["overrides"] = {"batch_size": 100, **sweep["overrides"]}
    base = SweepSpec(name=name, **{k: tuple(v) if k in ("methods", "datasets", "seeds", "metrics") else v
                                   for k, v in sweep.items()})
    return Preset(name, source, description, base, columns, _published(name, columns))


_FD = (Column("generative.reconstruction_fd", "FD rec.", False), Column("generative.interpolation_fd", "FD int.", False),
       Column("generative.prior_fd", "FD N", False))
_PR = (Column("generative.prior_precision", "precision", True), Column("generative.prior_recall", "recall", True))
_AVAE_REAL = {"methods": ["vae", "beta_tcvae", "rae", "aae", "wae_mmd", "avae"],
              "datasets": ["mnist", "celeba", "cifar10"], "seeds": range(5)}
_DISENTANGLE = (Column("factor_vae.eval_accuracy", "FactorVAE metric"), Column("mig", "MIG"),
                Column("latent.active_dims", "active", None, fmt=".1f"))

_ALL = [
    _preset("avae-table3", "AVAE Table III", "Frechet distance of reconstructions, interpolations and N(0, I) samples",
            _FD, metrics=["generative"], **_AVAE_REAL),
    _preset("avae-table4", "AVAE Table IV", "precision / recall of N(0, I) samples", _PR, metrics=["generative"],
            **_AVAE_REAL),
    _preset("avae-table5", "AVAE Table V", "KL between a Gaussian fitted to held-out codes and the prior",
            (Column("latent.kl_gaussian", "KL", False),), metrics=["latent"], **_AVAE_REAL),
    _preset("avae-table6", "AVAE Table VI", "whitened KDE entropy of held-out codes (ground truth l / 2)",
            (Column("latent.entropy", "entropy", True), Column("latent.entropy_ground_truth", "l / 2", None)),
            metrics=["latent"], **_AVAE_REAL),
    _preset("avae-table7", "AVAE Table VII", "PCA FactorVAE, PCA MIG and MSE on the ground-truth data sets, l = 6",
            (Column("pca_factor_vae.eval_accuracy", "PCA FactorVAE"), Column("pca_mig", "PCA MIG"),
             Column("reconstruction.mse", "MSE", False, fmt=".4f")),
            methods=["vae", "beta_tcvae", "rae", "aae", "wae_mmd", "avae"], datasets=["dsprites", "shapes3d"],
            seeds=range(10), metrics=["pca_factor_vae", "pca_mig", "reconstruction", "directions"]),
    _preset("ard-table1", "ARD-VAE Table 1", "FactorVAE metric, MIG and active axes; ARD-VAE from L = 10",
            _DISENTANGLE, methods=["vae", "beta_tcvae", "dip_vae_i", "dip_vae_ii", "rae", "ard_vae"],
            datasets=["dsprites", "shapes3d"], seeds=range(5), metrics=["factor_vae", "mig", "latent"],
            method_overrides={"ard_vae": {"latent_dim": 10}}),
    _preset("ard-table2", "ARD-VAE Table 2", "FD and precision / recall of samples, with the active axes",
            (Column("latent.active_dims", "active", None, fmt=".1f"), Column("generative.prior_fd", "FD", False),
             *_PR), methods=["vae", "beta_tcvae", "rae", "wae_mmd", "ard_vae"], datasets=["mnist", "cifar10"],
            seeds=range(5), metrics=["generative", "latent"]),
    _preset("ard-table3", "ARD-VAE Table 3", "active axes and FD of the ARD-VAE from 2L and 4L on MNIST (L = 16)",
            (Column("latent.active_dims", "active", None, fmt=".1f"), Column("generative.prior_fd", "FD", False)),
            methods=["ard_vae"], datasets=["mnist"], seeds=range(5), grid={"latent_dim": (32, 64)},
            metrics=["generative", "latent"]),
    _preset("ard-table7", "ARD-VAE supp. Table 7", "active axes of the ARD-VAE against the ground truth (6)",
            (Column("latent.active_dims", "active", None, fmt=".1f"),), methods=["ard_vae"],
            datasets=["dsprites", "shapes3d"], seeds=range(5), grid={"latent_dim": (10, 15, 20, 30)},
            metrics=["latent"]),
    _preset("vcae-toy", "VCAE Section 6.1", "reconstruction MSE on the four-Gaussian mixture in 100-D",
            (Column("reconstruction.mse", "MSE", False, fmt=".4g"),), methods=["vcae", "cwae"], datasets=["mog"],
            seeds=range(3), metrics=["reconstruction", "latent"]),
    _preset("vcae-table2", "VCAE Table 2", "test MSE and FD of N(0, I) and flow samples on MNIST and CelebA",
            (Column("reconstruction.mse_per_image", "test L2", False, fmt=".2f"),
             Column("generative.prior_fd", "FD P_Z", False), Column("generative_flow.prior_fd", "FD flow", False)),
            methods=["vae", "cwae", "vcae"], datasets=["mnist", "celeba"], seeds=range(1),
            metrics=["reconstruction", "generative", "generative:flow"]),
    _preset("vcae-table3", "VCAE Table 3", "FactorVAE metric of TC-VCAE and FactorVAE on 3D Shapes",
            (Column("factor_vae.eval_accuracy", "score"), Column("reconstruction.mse_per_image", "error", False,
                                                                 fmt=".1f")),
            methods=["tc_vcae", "factor_vae"], datasets=["shapes3d"], seeds=range(3),
            metrics=["factor_vae", "reconstruction"]),
    _preset("thesis-table5.3", "Thesis Table 5.3", "beta-VAE, FactorVAE and MIG metrics of the beta-VAE over beta",
            (Column("beta_vae.eval_accuracy", "beta-VAE metric"), Column("factor_vae.eval_accuracy", "FactorVAE"),
             Column("mig", "MIG")), methods=["beta_vae"], datasets=["dsprites"], seeds=range(10),
            grid={"beta": (1, 3, 10, 30)}, metrics=["beta_vae", "factor_vae", "mig"],
            overrides={"latent_dim": 10, "architecture": "thesis", "batch_size": 64}),
    _preset("thesis-table5.6", "Thesis Table 5.6", "disentanglement metrics across models (best beta of each)",
            (Column("beta_vae.eval_accuracy", "beta-VAE metric"), Column("factor_vae.eval_accuracy", "FactorVAE"),
             Column("mig", "MIG"), Column("dci.disentanglement", "DCI")),
            methods=["beta_vae", "beta_tcvae", "factor_vae", "dip_vae_ii"], datasets=["dsprites"], seeds=range(10),
            metrics=["beta_vae", "factor_vae", "mig", "dci"],
            overrides={"latent_dim": 10, "architecture": "thesis", "batch_size": 64},
            method_overrides={"beta_vae": {"beta": 3}, "factor_vae": {"gamma": 10}, "beta_tcvae": {"beta": 1},
                              "dip_vae_ii": {"lambda_od": 1}}),
    _preset("quickstart", "vaelab", "VAE, beta-TCVAE, AVAE and ARD-VAE on procedural dSprites in minutes on a CPU",
            (Column("mig", "MIG"), Column("factor_vae.eval_accuracy", "FactorVAE metric"),
             Column("reconstruction.mse", "MSE", False, fmt=".4f"), Column("latent.kl_gaussian", "KL", False),
             Column("latent.active_dims", "active", None, fmt=".1f")),
            methods=["vae", "beta_tcvae", "avae", "ard_vae"], datasets=["dsprites"], seeds=range(1),
            metrics=["reconstruction", "latent", "mig", "factor_vae"], num_samples=1000,
            overrides={"steps": 1200, "subset": 30_000, "batch_size": 64},
            method_overrides={"avae": {"kde_samples": 1000}, "ard_vae": {"latent_dim": 10, "alpha_size": 2000}}),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _ALL}


def get_preset(name: str) -> Preset:
    """The preset ``name``; a one-line error listing the presets otherwise."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)} (see `vaelab presets list`)")
    return PRESETS[name]
