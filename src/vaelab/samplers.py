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
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import torch
from torch import Tensor, nn
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

from vaelab.errors import ConfigError, RunError
from vaelab.io import save_torch

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


class Sampler(nn.Module):
    """A latent distribution for generation.

    Subclasses implement :meth:`fit` (when ``needs_fit``), :meth:`sample` and, where the
    density is defined, :meth:`log_prob`.

    Args:
        latent_dim: Code size ``L``.
    """

    needs_fit: ClassVar[bool] = True

    def __init__(self, latent_dim: int):
        super().__init__()
        if latent_dim < 1:
            raise ConfigError(f"latent_dim must be positive, got {latent_dim}")
        self.latent_dim = latent_dim
        self.register_buffer("fitted", torch.tensor(not self.needs_fit))

    def options(self) -> dict[str, Any]:
        """Constructor arguments besides ``latent_dim`` (saved with the state)."""
        return {}

    def attach(self, model: "Model") -> "Sampler":
        """Connects the sampler to the model it generates for (used by the prior)."""
        return self

    def fit(self, codes: Tensor, generator: torch.Generator | None = None) -> "Sampler":
        """Fits the density to ``(N, L)`` codes and returns ``self``."""
        return self

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draws ``(n, L)`` codes with an explicit generator."""
        raise NotImplementedError

    def log_prob(self, z: Tensor) -> Tensor:
        """Log-density of ``(B, L)`` codes, ``(B,)``."""
        raise NotImplementedError(f"{type(self).__name__} has no density")

    def _check_fitted(self) -> None:
        if not bool(self.fitted):
            raise RunError(f"the {type(self).__name__} has not been fitted; call fit(codes) first")

    def _check_codes(self, codes: Tensor, minimum: int) -> Tensor:
        if codes.ndim != 2 or codes.shape[1] != self.latent_dim:
            raise ConfigError(f"expected codes of shape (N, {self.latent_dim}), got {tuple(codes.shape)}")
        if len(codes) < minimum:
            raise ConfigError(f"{type(self).__name__} needs at least {minimum} codes to fit, got {len(codes)}")
        if not bool(torch.isfinite(codes).all()):
            raise ConfigError("the codes to fit contain NaN or infinite values")
        return codes.detach().to("cpu", torch.float64)

    def _noise(self, n: int, generator: torch.Generator | None) -> Tensor:
        device = generator.device if generator is not None else self.fitted.device
        return torch.randn(n, self.latent_dim, generator=generator, device=device, dtype=torch.float64)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}" + "".join(f", {k}={v}" for k, v in self.options().items())


class PriorSampler(Sampler):
    """The model's own prior: delegates to ``model.sample_latent`` and ``model.prior()``.

    The model is held by reference, not as a submodule, so the sampler has no state of its own.
    """

    needs_fit = False

    def __init__(self, latent_dim: int):
        super().__init__(latent_dim)
        self._model: list[Model] = []

    def attach(self, model: "Model") -> "PriorSampler":
        self._model = [model]
        return self

    def _prior_model(self) -> "Model":
        if not self._model:
            raise RunError("the prior sampler draws from a model's prior; build it with make_sampler('prior', model)")
        return self._model[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self._prior_model().sample_latent(n, generator)

    def log_prob(self, z: Tensor) -> Tensor:
        return self._prior_model().prior().log_prob(z)


def _cholesky(cov: Tensor) -> Tensor:
    """Lower Cholesky factor of ``(..., L, L)`` covariances, with jitter for singular ones."""
    eye = torch.eye(cov.shape[-1], dtype=cov.dtype, device=cov.device)
    scale = cov.diagonal(dim1=-2, dim2=-1).mean(-1).clamp_min(1e-12)[..., None, None]
    for jitter in (0.0, 1e-10, 1e-8, 1e-6, 1e-4):
        factor, info = torch.linalg.cholesky_ex(cov + jitter * scale * eye)
        if not bool(info.any()):
            return factor
    raise ConfigError("the fitted covariance is not positive definite (collapsed codes?)")


class GaussianSampler(Sampler):
    r"""Full-covariance Gaussian fitted to the codes by maximum likelihood.

    The default ex-post density of the RAE (Ghosh et al. 2020, Section 4),
    :math:`\mathcal{N}(\bar z, \frac1N \sum_i (z_i - \bar z)(z_i - \bar z)^\top)`, fitted in float64.
    """

    def __init__(self, latent_dim: int):
        super().__init__(latent_dim)
        self.register_buffer("mean", torch.zeros(latent_dim, dtype=torch.float64))
        self.register_buffer("scale_tril", torch.eye(latent_dim, dtype=torch.float64))

    def fit(self, codes: Tensor, generator: torch.Generator | None = None) -> "GaussianSampler":
        z = self._check_codes(codes, 2)
        mean = z.mean(0)
        centred = z - mean
        self.mean.copy_(mean)
        self.scale_tril.copy_(_cholesky(centred.T @ centred / len(z)))
        self.fitted.fill_(True)
        return self

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        self._check_fitted()
        eps = self._noise(n, generator)
        return (self.mean.to(eps.device) + eps @ self.scale_tril.to(eps.device).T).float()

    def log_prob(self, z: Tensor) -> Tensor:
        self._check_fitted()
        d = MultivariateNormal(self.mean.to(z.device), scale_tril=self.scale_tril.to(z.device))
        return d.log_prob(z.to(torch.float64)).to(z.dtype)


class GMMSampler(Sampler):
    """Gaussian mixture with full covariances, fitted by EM (scikit-learn ``GaussianMixture``).

    The ex-post density of Ghosh et al. (2020, Section 4), who use 10 components.

    Args:
        latent_dim: Code size ``L``.
        n_components: Number of mixture components (10).
    """

    def __init__(self, latent_dim: int, n_components: int = 10):
        super().__init__(latent_dim)
        if n_components < 1:
            raise ConfigError(f"n_components must be positive, got {n_components}")
        self.n_components = n_components
        self.register_buffer("weights", torch.full((n_components,), 1.0 / n_components, dtype=torch.float64))
        self.register_buffer("means", torch.zeros(n_components, latent_dim, dtype=torch.float64))
        self.register_buffer("scale_tril", torch.eye(latent_dim, dtype=torch.float64).repeat(n_components, 1, 1))

    def options(self) -> dict[str, Any]:
        return {"n_components": self.n_components}

    def fit(self, codes: Tensor, generator: torch.Generator | None = None) -> "GMMSampler":
        from sklearn.mixture import GaussianMixture

        z = self._check_codes(codes, self.n_components)
        seed = int(torch.randint(2**31 - 1, (), generator=generator)) if generator is not None else 0
        gmm = GaussianMixture(self.n_components, covariance_type="full", random_state=seed).fit(z.numpy())
        self.weights.copy_(torch.as_tensor(gmm.weights_))
        self.means.copy_(torch.as_tensor(gmm.means_))
        self.scale_tril.copy_(_cholesky(torch.as_tensor(gmm.covariances_)))
        self.fitted.fill_(True)
        return self

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        self._check_fitted()
        eps = self._noise(n, generator)
        k = torch.multinomial(self.weights.to(eps.device), n, replacement=True, generator=generator)
        tril = self.scale_tril.to(eps.device)[k]
        return (self.means.to(eps.device)[k] + (tril @ eps.unsqueeze(-1)).squeeze(-1)).float()

    def log_prob(self, z: Tensor) -> Tensor:
        self._check_fitted()
        d = MixtureSameFamily(Categorical(probs=self.weights.to(z.device)),
                              MultivariateNormal(self.means.to(z.device), scale_tril=self.scale_tril.to(z.device)))
        return d.log_prob(z.to(torch.float64)).to(z.dtype)


SAMPLERS: dict[str, type[Sampler]] = {
    "prior": PriorSampler,
    "gaussian": GaussianSampler,
    "gmm": GMMSampler,
}

# Names that stand for a registered sampler chosen per model (``"flow"``: :func:`vaelab.flows.flow_kind`).
SAMPLER_ALIASES: dict[str, Callable[["Model"], str]] = {}


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


import vaelab.flows  # noqa: E402,F401  registers "maf", "realnvp" and the "flow" alias
