r"""Samplers: the latent distributions a trained model generates from.

A sampler draws codes that the decoder turns into observations. ``"prior"`` is the model's
own prior (:meth:`~vaelab.models.base.Model.sample_latent`); the others are densities
fitted after training to encoded training codes -- the ex-post density estimation of
Ghosh et al. (2020, Section 4): a full-covariance Gaussian (the RAE default) or a Gaussian
mixture. Samplers are ``nn.Module`` objects whose state lives in buffers (or parameters, for
the normalising flows that later join :data:`SAMPLERS`), so ``state_dict`` round-trips them.

A model names its default sampler in the class attribute ``default_sampler`` (``"prior"``
when absent). A run keeps its fitted samplers in ``RUN/samplers/NAME.pt``.

Example:
    >>> sampler = make_sampler("gaussian", model).fit(model.encode(x))
    >>> images = model.decode(sampler.sample(16, torch.Generator().manual_seed(0)))
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import Tensor

from vaelab.errors import ConfigError, RunError
from vaelab.io import save_torch
from vaelab.samplers.base import GaussianSampler, GMMSampler, PriorSampler, Sampler
from vaelab.samplers.flows import FLOW_KINDS, flow_kind

if TYPE_CHECKING:
    from vaelab.models.base import Model
    from vaelab.runs import Run

__all__ = [
    "Sampler",
    "PriorSampler",
    "GaussianSampler",
    "GMMSampler",
    "SAMPLERS",
    "SAMPLER_ALIASES",
    "resolve_sampler_name",
    "make_sampler",
    "default_sampler_name",
    "save_sampler",
    "load_sampler",
    "encode_training_codes",
    "fit_run_sampler",
    "run_sampler",
    "generate",
]


SAMPLERS: dict[str, type[Sampler]] = {
    "prior": PriorSampler,
    "gaussian": GaussianSampler,
    "gmm": GMMSampler,
    **FLOW_KINDS,
}

# Names that stand for a registered sampler chosen per model (``"flow"``: :func:`vaelab.samplers.flows.flow_kind`).
SAMPLER_ALIASES: dict[str, Callable[["Model"], str]] = {"flow": flow_kind}


def _sampler_class(name: str) -> type[Sampler]:
    if name not in SAMPLERS:
        raise ConfigError(f"unknown sampler {name!r}; choose one of: {', '.join([*SAMPLERS, *SAMPLER_ALIASES])}")
    return SAMPLERS[name]


def resolve_sampler_name(name: str, model: "Model") -> str:
    """The registered sampler ``name`` stands for: itself, or what its alias picks for ``model``."""
    return SAMPLER_ALIASES[name](model) if name in SAMPLER_ALIASES else name


def make_sampler(name: str, model: "Model", **options: Any) -> Sampler:
    """Builds the (unfitted) sampler ``name`` (or alias) for ``model``'s latent space."""
    return _sampler_class(resolve_sampler_name(name, model))(model.latent_dim, **options).attach(model)


def default_sampler_name(model: "Model | type[Model]") -> str:
    """The sampler a model (or model class) generates with by default: its ``default_sampler``, else ``"prior"``."""
    return model.default_sampler


@torch.no_grad()
def generate(model: "Model", sampler: Sampler, n: int, generator: torch.Generator | None = None) -> Tensor:
    """Decodes ``n`` codes drawn from ``sampler``."""
    z = sampler.sample(n, generator)
    return model.decode(z.to(model.device, next(model.parameters()).dtype))


def save_sampler(path: str | Path, sampler: Sampler, meta: dict[str, Any] | None = None) -> Path:
    """Writes a sampler (name, options, state, ``meta``) to ``path`` atomically."""
    names = [k for k, v in SAMPLERS.items() if type(sampler) is v]
    if not names:
        raise ConfigError(f"{type(sampler).__name__} is not in vaelab.samplers.SAMPLERS; register it to save it")
    name = names[0]
    save_torch(path, {"name": name, "latent_dim": sampler.latent_dim, "options": sampler.options(),
                      "state": sampler.state_dict(), "meta": dict(meta or {})})
    return Path(path)


def load_sampler(path: str | Path, model: "Model | None" = None) -> tuple[Sampler, dict[str, Any]]:
    """Reads a sampler saved by :func:`save_sampler`; returns it and its ``meta``."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        sampler = _sampler_class(blob["name"])(blob["latent_dim"], **blob["options"])
        sampler.load_state_dict(blob["state"])
    except ConfigError:
        raise
    except Exception as e:  # torch raises many types for a corrupt file
        raise RunError(f"sampler file {path} is unreadable ({type(e).__name__}); delete it to refit") from None
    if model is not None:
        if sampler.latent_dim != model.latent_dim:
            raise RunError(f"sampler file {path} has latent size {sampler.latent_dim}, the model {model.latent_dim}")
        sampler.attach(model)
    return sampler, blob["meta"]


@torch.no_grad()
def encode_training_codes(run: "Run", model: "Model", max_codes: int | None = None, seed: int = 0,
                          batch_size: int = 500) -> Tensor:
    """Encodes a run's training items (all of them by default; else a seeded random subset of at
    most ``max_codes``)."""
    from vaelab.data import load_dataset, split_indices

    cfg = run.config()
    data = load_dataset(cfg.data.name, cfg.data.root, download=False, **cfg.data.options)
    train, _ = split_indices(len(data), cfg.data.val_fraction, cfg.data.split_seed, cfg.data.subset)
    if max_codes is not None and len(train) > max_codes:
        train = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[:max_codes]]
    model.eval()
    return torch.cat([model.encode(data.images(train[i : i + batch_size]).to(model.device)).cpu()
                      for i in range(0, len(train), batch_size)])


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sampler_path(run: "Run", name: str) -> Path:
    return run.path / "samplers" / f"{name}.pt"


def fit_run_sampler(run: "Run", name: str, model: "Model", which: str = "best", max_codes: int | None = None,
                    seed: int = 0, **options: Any) -> Sampler:
    """Fits sampler ``name`` to a run's encoded training codes and saves it in ``RUN/samplers/NAME.pt``.

    Args:
        run: The run directory.
        name: A key of :data:`SAMPLERS`.
        model: The run's model loaded from checkpoint ``which``.
        which: The checkpoint the model came from; the saved sampler records its fingerprint.
        max_codes: Fit on a seeded random subset of at most this many training items (``None``,
            default: every training item, as VCAE Algorithm 1 fits its flows).
        seed: Seed of that subset and of the fit.
        options: Sampler options (``n_components`` for ``"gmm"``; ``epochs``, ``patience``,
            ``val_fraction`` for flows).
    """
    name = resolve_sampler_name(name, model)
    sampler = make_sampler(name, model, **options)
    if not sampler.needs_fit:
        return sampler
    codes = encode_training_codes(run, model, max_codes, seed)
    sampler.fit(codes, torch.Generator().manual_seed(seed))
    meta = {"checkpoint": which, "fingerprint": _fingerprint(run.checkpoint_path(which)), "num_codes": len(codes),
            "max_codes": max_codes, "seed": seed}
    save_sampler(_sampler_path(run, name), sampler, meta)
    return sampler


def run_sampler(run: "Run", name: str, model: "Model", which: str = "best", fit: bool = True) -> Sampler:
    """The run's sampler ``name`` for checkpoint ``which``: loaded when saved and current, else fitted.

    A saved sampler fitted to another version of the checkpoint is refitted (and resaved)
    when ``fit``, refused otherwise.
    """
    name = resolve_sampler_name(name, model)
    sampler = make_sampler(name, model)
    if not sampler.needs_fit:
        return sampler
    path = _sampler_path(run, name)
    options: dict[str, Any] = {}
    if path.is_file():
        saved, meta = load_sampler(path, model)
        if meta.get("checkpoint") == which and meta.get("fingerprint") == _fingerprint(run.checkpoint_path(which)):
            return saved
        options = {**saved.options(), "max_codes": meta.get("max_codes"), "seed": meta.get("seed", 0)}
    if not fit:
        raise RunError(f"{run.path} has no {name} sampler for its {which} checkpoint; fit it with "
                       f"`vaelab sample {run.path} --sampler {name}`")
    return fit_run_sampler(run, name, model, which, **options)

