"""The sampler interface and the samplers fitted in closed form: the prior, a Gaussian, a GMM.

See :mod:`vaelab.samplers` for the registry and the run-directory helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor, nn
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

from vaelab.errors import ConfigError, RunError

if TYPE_CHECKING:
    from vaelab.models.base import Model

__all__ = ["Sampler", "PriorSampler", "GaussianSampler", "GMMSampler"]


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
