r"""Losses and divergences as pure tensor functions.

Shapes are spelled out as ``(B, L)`` for codes and ``(B, *S)`` for observations. Every
per-item quantity is summed over its own dimensions and averaged over the batch (SPEC
"Decisions": reconstruction NLL is summed over pixels and averaged over the batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

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
    "gaussian_log_density",
    "mws_log_densities",
    "total_correlation_mws",
    "permute_dims",
    "discriminator_tc",
    "discriminator_tc_loss",
    "adversarial_discriminator_loss",
    "adversarial_generator_loss",
    "dip_covariance",
    "dip_penalty",
    "rae_code_penalty",
    "l2_penalty",
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


def gaussian_log_density(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    r"""Element-wise :math:`\log \mathcal{N}(z; \mu, e^{\mathrm{logvar}})`; the arguments broadcast."""
    return -0.5 * (math.log(2.0 * math.pi) + logvar + (z - mu).square() * torch.exp(-logvar))


def mws_log_densities(z: Tensor, mu: Tensor, logvar: Tensor, dataset_size: float | Tensor) -> tuple[Tensor, Tensor]:
    r"""Minibatch-weighted-sampling estimates of :math:`\log q(z_i)` and :math:`\log q(z_{i,d})`.

    For a minibatch of :math:`M` codes :math:`z_i \sim q(z \mid x_i)` drawn from a dataset of
    :math:`N` items (Chen et al. 2018, Section 4.1 and Appendix C; thesis Section 4.3),

    .. math:: \log \hat q(z_i) = \log \sum_{j=1}^{M} q(z_i \mid x_j) - \log(NM),

    and the same per dimension :math:`d` for the marginals :math:`q(z_d)`. The estimator is
    a lower bound in expectation: where the posteriors of the batch overlap, each term sits
    about :math:`\log N` below the true log-density, a constant without gradient.

    Args:
        z: ``(M, L)`` codes sampled from the posteriors.
        mu: ``(M, L)`` posterior means.
        logvar: ``(M, L)`` posterior log-variances.
        dataset_size: :math:`N`, the number of training items.

    Returns:
        ``(M,)`` joint and ``(M, L)`` per-dimension log-density estimates.
    """
    pairwise = gaussian_log_density(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0))  # (M, M, L): [i, j, d]
    n = torch.as_tensor(dataset_size, dtype=z.dtype, device=z.device)
    log_nm = torch.log(n * z.shape[0])
    return torch.logsumexp(pairwise.sum(2), dim=1) - log_nm, torch.logsumexp(pairwise, dim=1) - log_nm


def total_correlation_mws(z: Tensor, mu: Tensor, logvar: Tensor, dataset_size: float | Tensor) -> Tensor:
    r"""Total correlation :math:`\mathrm{KL}(q(z) \,\|\, \prod_d q(z_d))` by minibatch weighted sampling.

    The batch mean of :math:`\log \hat q(z_i) - \sum_d \log \hat q(z_{i,d})` with the
    estimates of :func:`mws_log_densities` (Chen et al. 2018, Eq. 2 and Section 4.1). Where
    the posteriors of the batch overlap, the :math:`-\log(NM)` normalisations leave a
    constant offset of about :math:`(L - 1) \log N` (no gradient); where they do not, the
    estimate is the total correlation of the aggregate posterior of the batch.

    Args:
        z, mu, logvar: ``(M, L)`` codes, posterior means and log-variances.
        dataset_size: :math:`N`, the number of training items.
    """
    log_qz, log_qz_dims = mws_log_densities(z, mu, logvar, dataset_size)
    return (log_qz - log_qz_dims.sum(1)).mean()


def permute_dims(z: Tensor, generator: torch.Generator | None = None) -> Tensor:
    r"""Permutes each column of ``(B, L)`` codes independently across the batch.

    The rows of the result are samples of :math:`\prod_d q(z_d)`; every column is a
    permutation of the same column of ``z`` (Kim & Mnih 2018, Algorithm 1).
    """
    device = generator.device if generator is not None else z.device
    keys = torch.rand(z.shape, generator=generator, device=device).to(z.device)
    return torch.gather(z, 0, keys.argsort(dim=0))


def discriminator_tc(logits: Tensor) -> Tensor:
    r"""Density-ratio estimate of the total correlation from a 2-logit discriminator.

    With :math:`D(z) = \mathrm{softmax}(\text{logits})_0` the probability that :math:`z` comes
    from :math:`q(z)` rather than :math:`\prod_d q(z_d)`,
    :math:`\mathrm{TC} \approx \mathbb{E}_{q(z)}[\log D(z) / (1 - D(z))]`, which is the
    difference of the two logits (Kim & Mnih 2018, Section 3; thesis Section 4.3).

    Args:
        logits: ``(B, 2)`` discriminator outputs for codes drawn from :math:`q(z)`.
    """
    return (logits[:, 0] - logits[:, 1]).mean()


def discriminator_tc_loss(logits_joint: Tensor, logits_permuted: Tensor) -> Tensor:
    r"""Cross-entropy of the FactorVAE discriminator: class 0 for codes, 1 for permuted codes.

    The mean of the two halves' cross-entropies (Kim & Mnih 2018, Algorithm 2).

    Args:
        logits_joint: ``(B, 2)`` logits for codes drawn from :math:`q(z)`.
        logits_permuted: ``(B', 2)`` logits for :func:`permute_dims` codes.
    """
    zeros = torch.zeros(len(logits_joint), dtype=torch.long, device=logits_joint.device)
    ones = torch.ones(len(logits_permuted), dtype=torch.long, device=logits_permuted.device)
    return 0.5 * (F.cross_entropy(logits_joint, zeros) + F.cross_entropy(logits_permuted, ones))


def adversarial_discriminator_loss(logits_real: Tensor, logits_fake: Tensor) -> Tensor:
    r"""Binary cross-entropy of a GAN discriminator, :math:`-\tfrac12(\mathbb{E}\log D(\text{real}) + \mathbb{E}\log(1 - D(\text{fake})))`.

    In the AAE the "real" samples are prior draws and the "fake" ones are codes (Makhzani
    et al. 2016, Section 2; thesis Section 4.3). ``D`` is the sigmoid of the logits.
    """
    return 0.5 * (F.softplus(-logits_real).mean() + F.softplus(logits_fake).mean())


def adversarial_generator_loss(logits_fake: Tensor) -> Tensor:
    r"""Non-saturating generator loss :math:`-\mathbb{E}\log D(\text{fake})` (Goodfellow et al. 2014, Section 3)."""
    return F.softplus(-logits_fake).mean()


def dip_covariance(mu: Tensor, logvar: Tensor | None = None) -> Tensor:
    r"""The covariance that DIP-VAE matches to the identity (Kumar et al. 2018, Section 3).

    DIP-VAE-I: :math:`\mathrm{Cov}_{p(x)}[\mu(x)]` over the batch (population form, divided by
    :math:`B`). DIP-VAE-II, when ``logvar`` is given:
    :math:`\mathrm{Cov}_{q(z)}[z] = \mathbb{E}_{p(x)}[\Sigma(x)] + \mathrm{Cov}_{p(x)}[\mu(x)]`.

    Args:
        mu: ``(B, L)`` posterior means.
        logvar: ``(B, L)`` posterior log-variances, or ``None`` for DIP-VAE-I.

    Returns:
        ``(L, L)`` covariance matrix.
    """
    centred = mu - mu.mean(0, keepdim=True)
    cov = centred.T @ centred / len(mu)
    if logvar is not None:
        cov = cov + torch.diag(logvar.exp().mean(0))
    return cov


def dip_penalty(cov: Tensor, lambda_od: float, lambda_d: float) -> Tensor:
    r""":math:`\lambda_{od} \sum_{k \ne l} C_{kl}^2 + \lambda_d \sum_k (C_{kk} - 1)^2` (Kumar et al. 2018, Eqs. 6-7; thesis Section 4.3)."""
    diag = torch.diagonal(cov)
    off_diagonal = cov.square().sum() - diag.square().sum()
    return lambda_od * off_diagonal + lambda_d * (diag - 1.0).square().sum()


def rae_code_penalty(z: Tensor) -> Tensor:
    r""":math:`\tfrac12 \|z\|_2^2` summed over the ``L`` dimensions and averaged over the batch (Ghosh et al. 2020, Eq. 11)."""
    return 0.5 * z.square().sum(1).mean()


def l2_penalty(params: Iterable[Tensor]) -> Tensor:
    r"""Sum of squared entries :math:`\|\theta\|_2^2` of the given parameters (the RAE-L2 decoder term, Ghosh et al. 2020)."""
    return sum(p.square().sum() for p in params)
