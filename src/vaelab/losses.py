r"""Losses and divergences as pure tensor functions.

Shapes are spelled out as ``(B, L)`` for codes and ``(B, *S)`` for observations. Every
per-item quantity is summed over its own dimensions and averaged over the batch (SPEC
"Decisions": reconstruction NLL is summed over pixels and averaged over the batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from vaelab.errors import ConfigError

__all__ = [
    "bernoulli_nll",
    "gaussian_nll",
    "gaussian_kl",
    "reparameterize",
    "imq_kernel",
    "mmd",
    "IMQ_SCALES",
    "Likelihood",
    "LIKELIHOODS",
    "make_likelihood",
]


def bernoulli_nll(logits: Tensor, x: Tensor) -> Tensor:
    r"""Bernoulli negative log-likelihood, :math:`-\sum_i x_i \log p_i + (1 - x_i) \log(1 - p_i)`.

    Computed from logits (binary cross-entropy with logits), summed over all but the batch
    dimension and averaged over the batch. Targets may be fractional (grey levels).
    """
    per_item = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_item.flatten(1).sum(1).mean()


def gaussian_nll(mean: Tensor, x: Tensor) -> Tensor:
    r"""Squared error :math:`\sum_i (x_i - \hat{x}_i)^2`, summed per item and averaged over the batch.

    This is the Gaussian negative log-likelihood with a fixed variance up to scale and
    constant, the form the seeds train with (SPEC "Decisions").
    """
    return (mean - x).square().flatten(1).sum(1).mean()


def gaussian_kl(mu: Tensor, logvar: Tensor, prior_var: Tensor | float = 1.0) -> Tensor:
    r"""KL divergence :math:`\mathrm{KL}(\mathcal{N}(\mu, \mathrm{diag}\,\sigma^2) \,\|\, \mathcal{N}(0, \mathrm{diag}\,s^2))`.

    Closed form per dimension, :math:`\tfrac12 (\sigma^2 / s^2 + \mu^2 / s^2 - 1 - \log \sigma^2 + \log s^2)`
    (Kingma & Welling 2014, appendix B for :math:`s = 1`; ARD-VAE Eq. 17 for a
    per-axis prior variance), summed over the ``L`` latent dimensions and averaged over the
    batch.

    Args:
        mu: ``(B, L)`` posterior means.
        logvar: ``(B, L)`` posterior log-variances.
        prior_var: Prior variance, a scalar or an ``(L,)`` tensor.
    """
    prior_var = torch.as_tensor(prior_var, dtype=mu.dtype, device=mu.device)
    kl = 0.5 * ((logvar.exp() + mu.square()) / prior_var - 1.0 - logvar + prior_var.log())
    return kl.sum(1).mean()


def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
    r"""Draws :math:`z = \mu + \sigma \odot \epsilon`, :math:`\epsilon \sim \mathcal{N}(0, I)` (Kingma & Welling 2014)."""
    return mu + (0.5 * logvar).exp() * torch.randn_like(mu)


IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def imq_kernel(x: Tensor, y: Tensor, scales: tuple[float, ...] = IMQ_SCALES, prior_var: float = 1.0) -> Tensor:
    r"""Inverse multiquadric kernel summed over scales, :math:`\sum_s C_s / (C_s + \|x - y\|^2)`.

    :math:`C_s = 2 L \sigma^2 s` with :math:`L` the code size and :math:`\sigma^2` the prior
    variance (VCAE Section 6, after Tolstikhin et al. 2018, who sum over these scales).

    Args:
        x: ``(N, L)`` codes.
        y: ``(M, L)`` codes.

    Returns:
        ``(N, M)`` kernel matrix.
    """
    d2 = (x.unsqueeze(1) - y.unsqueeze(0)).square().sum(-1)
    base = 2.0 * x.shape[1] * prior_var
    return sum(base * s / (base * s + d2) for s in scales)


def mmd(x: Tensor, y: Tensor, scales: tuple[float, ...] = IMQ_SCALES, prior_var: float = 1.0,
        unbiased: bool = True) -> Tensor:
    r"""Squared maximum mean discrepancy between samples ``x`` and ``y`` with :func:`imq_kernel`.

    The unbiased U-statistic (Gretton et al. 2012, Lemma 6; the WAE-MMD penalty of
    Tolstikhin et al. 2018) drops the diagonal terms of the within-sample sums; the biased
    V-statistic keeps them and is exactly zero when ``x`` and ``y`` are the same set.

    Args:
        x: ``(N, L)`` samples, e.g. encoded codes.
        y: ``(M, L)`` samples, e.g. prior draws.
    """
    kxx, kyy, kxy = (imq_kernel(a, b, scales, prior_var) for a, b in ((x, x), (y, y), (x, y)))
    n, m = len(x), len(y)
    if unbiased:
        sxx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    else:
        sxx, syy = kxx.mean(), kyy.mean()
    return sxx + syy - 2.0 * kxy.mean()


_ACTIVATIONS = {"identity": lambda t: t, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


@dataclass(frozen=True)
class Likelihood:
    """A decoder likelihood: maps raw decoder outputs to a mean and to an NLL.

    Attributes:
        name: ``"bernoulli"`` (raw outputs are logits) or ``"gaussian"`` (raw outputs pass
            through ``activation`` to give the mean; NLL is the squared error).
        activation: ``"sigmoid"`` for data in [0, 1], ``"tanh"`` for [-1, 1],
            ``"identity"`` for unbounded data; ``"sigmoid"`` for Bernoulli.
    """

    name: str
    activation: str

    def mean(self, raw: Tensor) -> Tensor:
        return _ACTIVATIONS[self.activation](raw)

    def nll(self, raw: Tensor, x: Tensor) -> Tensor:
        if self.name == "bernoulli":
            return bernoulli_nll(raw, x)
        return gaussian_nll(self.mean(raw), x)


LIKELIHOODS = ("bernoulli", "gaussian")


def make_likelihood(name: str, value_range: tuple[float, float] | None) -> Likelihood:
    """Builds the likelihood ``name`` for data in ``value_range``.

    Bernoulli needs data in [0, 1]; a Gaussian mean goes through a sigmoid for [0, 1]
    data, a tanh for [-1, 1] data (CelebA in AVAE Table VIII) and nothing otherwise.
    """
    if name not in LIKELIHOODS:
        raise ConfigError(f"unknown likelihood {name!r}; choose one of: {', '.join(LIKELIHOODS)}")
    lo_hi = tuple(value_range) if value_range is not None else None
    if name == "bernoulli":
        if lo_hi != (0.0, 1.0):
            raise ConfigError(f"the Bernoulli likelihood needs data in [0, 1], this dataset has range {lo_hi}; "
                              "use likelihood=gaussian")
        return Likelihood("bernoulli", "sigmoid")
    activation = {(0.0, 1.0): "sigmoid", (-1.0, 1.0): "tanh"}.get(lo_hi, "identity")
    return Likelihood("gaussian", activation)
