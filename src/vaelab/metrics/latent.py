r"""Latent-space statistics: how close the codes are to the prior, and which axes matter.

Pure functions of codes (``(N, L)`` tensors), plus a wrapper that encodes held-out data:

- :func:`gaussian_fit_kl`: KL between a Gaussian fitted to the codes and the prior
  (AVAE Table V; for the AVAE also against :math:`\mathcal{N}(0, (1 - h^2) I)`).
- :func:`whitened_kde_entropy`: entropy of the whitened codes under a leave-one-out KDE
  with the AVAE bandwidth, constant dropped; ``L / 2`` for a standard normal (AVAE Eq. 12,
  Table VI), in two variants (:data:`ENTROPY_VARIANTS`): vaelab's and the authors' evaluation
  code's; :func:`normal_reference_entropy` is the estimator's value on exact N(0, I) codes.
- :func:`mmd_to_prior`: MMD with the IMQ kernel between codes and prior draws.
- :func:`relevance_scores` / :func:`active_dimensions`: ARD-VAE Eq. 19-20 for any decoder.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import torch
from torch import Tensor

from vaelab.errors import VaelabError
from vaelab.kde import bandwidth as avae_bandwidth
from vaelab.kde import kde_log_floor, kde_log_prob
from vaelab.losses import mmd

__all__ = [
    "ENTROPY_VARIANTS",
    "CODE_ENTROPY_TAIL",
    "CODE_WHITEN_FUDGE",
    "gaussian_fit_kl",
    "whitened_kde_entropy",
    "normal_reference_entropy",
    "mmd_to_prior",
    "total_variance",
    "decoder_jacobian_weights",
    "relevance_scores",
    "active_dimensions",
    "latent_statistics",
    "JACOBIAN_PASS_ELEMENTS",
]

JACOBIAN_PASS_ELEMENTS = 2**24
"""Output entries (latent axes x codes x pixels) one vectorised Jacobian pass may hold."""


def _check_codes(codes: Tensor, min_rows: int = 2) -> Tensor:
    codes = torch.as_tensor(codes)
    if codes.ndim != 2 or len(codes) < min_rows:
        raise VaelabError(f"codes must be an (N, L) array with N >= {min_rows}, got shape {tuple(codes.shape)}")
    if not bool(torch.isfinite(codes).all()):
        raise VaelabError("codes contain NaN or infinite values; the model may have diverged")
    return codes.double()


def gaussian_fit_kl(codes: Tensor, prior_var: float | Tensor = 1.0) -> float:
    r""":math:`\mathrm{KL}(\mathcal{N}(\hat\mu, \hat\Sigma) \,\|\, \mathcal{N}(0, S))` for the Gaussian fitted to ``codes``.

    Closed form :math:`\tfrac12[\operatorname{tr}(S^{-1}\hat\Sigma) + \hat\mu^\top S^{-1}\hat\mu - L + \log\det S - \log\det\hat\Sigma]`
    with the sample mean and the unbiased sample covariance (AVAE Table V) and a diagonal
    prior covariance :math:`S = \mathrm{diag}(s^2)`.

    Args:
        codes: ``(N, L)`` held-out codes.
        prior_var: Prior variance :math:`s^2`, one value for every axis (1 for :math:`\mathcal{N}(0, I)`,
            :math:`1 - h^2` for the AVAE) or ``(L,)`` per-axis values (the ARD-VAE's :math:`b / a`).
    """
    z = _check_codes(codes, min_rows=3)
    n, l = z.shape
    s2 = torch.as_tensor(prior_var, dtype=torch.float64).flatten()
    s2 = s2.expand(l) if s2.numel() == 1 else s2
    if s2.shape != (l,) or not bool((s2 > 0).all()) or not bool(torch.isfinite(s2).all()):
        raise VaelabError(f"prior_var must be positive and finite, one value or {l}, got shape {tuple(s2.shape)}")
    mu = z.mean(0)
    cov = torch.cov(z.T).reshape(l, l)
    sign, logdet = torch.linalg.slogdet(cov)
    if sign <= 0:
        return math.inf
    kl = 0.5 * ((torch.diagonal(cov) / s2).sum() + (mu.square() / s2).sum() - l + s2.log().sum() - logdet)
    return float(kl)


ENTROPY_VARIANTS = ("vaelab", "code")
"""Variants of the whitened KDE entropy (:func:`whitened_kde_entropy`)."""

CODE_ENTROPY_TAIL = 5e-4
"""Tail ``t`` of the floor on q(z) in the authors' entropy code (``max_cdf_epsilon = 1 - 5e-4``)."""

CODE_WHITEN_FUDGE = 1e-4
"""Added to each eigenvalue of the second-moment matrix before whitening in the authors' entropy code."""


def _whiten(z: Tensor, variant: str) -> Tensor:
    n, l = z.shape
    if variant == "code":
        evals, evecs = torch.linalg.eigh(z.T @ z / (n - 1))
        return z @ evecs / (evals + CODE_WHITEN_FUDGE).sqrt()
    z = z - z.mean(0)
    cov = torch.cov(z.T).reshape(l, l)
    evals, evecs = torch.linalg.eigh(cov)
    if float(evals.min()) <= 1e-12 * max(float(evals.max()), 1e-300):
        raise VaelabError("the codes' covariance is singular (a collapsed or duplicated dimension); "
                          "whitening is impossible")
    return z @ evecs / evals.sqrt()


def whitened_kde_entropy(codes: Tensor, h: float | None = None, variant: str = "vaelab") -> dict[str, float]:
    r"""Entropy of the whitened codes under a leave-one-out Gaussian KDE, constant dropped (AVAE Eq. 12).

    With ``m`` whitened codes :math:`w_j`,
    :math:`H = -\frac1m \sum_j \log \bigl[\frac{1}{m-1} \sum_{i \ne j} \mathcal{N}(w_j; w_i, h^2 I) + \epsilon\bigr] - \frac{L}{2}\log 2\pi`,
    whose value for a standard normal is :math:`L/2` (Table VI's ground truth) as
    :math:`m \to \infty` and :math:`h \to 0`. The default bandwidth is the AVAE rule
    :math:`h = \alpha h_{opt}` for ``(L, m)`` (Eq. 10-11). Two variants (SPEC "Decisions"):

    - ``"vaelab"`` (default): whitened with the sample mean and covariance, so only deviations
      beyond the second moment (holes, clusters) lower the entropy; no floor (:math:`\epsilon = 0`);
      singular codes are an error.
    - ``"code"``: the authors' evaluation code (``eval/entropy/compute_entropy.py``): whitened
      with the uncentred second-moment matrix :math:`W^\top W / (m - 1)`, each eigenvalue
      plus :data:`CODE_WHITEN_FUDGE`, without centring; the density floored by
      :math:`\epsilon` of :func:`vaelab.kde.kde_log_floor` with tail
      :data:`CODE_ENTROPY_TAIL`. (The code whitens by :math:`V D^{-1/2} V^\top`, this by
      :math:`V D^{-1/2}`: a rotation, which leaves the isotropic KDE unchanged.)

    Neither estimator gives exactly :math:`L / 2` on exact :math:`\mathcal{N}(0, I)` codes
    (:func:`normal_reference_entropy`).

    Returns:
        ``{"entropy": H, "ground_truth": L / 2, "bandwidth": h}``.
    """
    if variant not in ENTROPY_VARIANTS:
        raise VaelabError(f"unknown entropy variant {variant!r}; choose one of: {', '.join(ENTROPY_VARIANTS)}")
    z = _whiten(_check_codes(codes, min_rows=3), variant)
    m, l = z.shape
    h = avae_bandwidth(l, m).h if h is None else float(h)
    log_q = torch.cat([kde_log_prob(z[i : i + 1000], z, h, exclude_self=True, offset=i) for i in range(0, m, 1000)])
    if variant == "code":
        log_q = torch.logaddexp(log_q, torch.tensor(kde_log_floor(h, l, CODE_ENTROPY_TAIL), dtype=log_q.dtype))
    entropy = float(-log_q.mean()) - 0.5 * l * math.log(2 * math.pi)
    return {"entropy": entropy, "ground_truth": l / 2, "bandwidth": float(h)}


@functools.lru_cache(maxsize=32)
def normal_reference_entropy(latent_dim: int, num_codes: int, h: float | None = None, variant: str = "vaelab",
                             seed: int = 0) -> float:
    """:func:`whitened_kde_entropy` of ``num_codes`` exact N(0, I) draws (float64, ``seed``): the value
    the estimator gives a perfect Gaussian, to read beside the nominal ground truth ``L / 2``
    (the authors' code computes the same beside its scores)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(num_codes, latent_dim, generator=g, dtype=torch.float64)
    return whitened_kde_entropy(z, h, variant)["entropy"]


def mmd_to_prior(codes: Tensor, generator: torch.Generator, prior_var: float = 1.0, num_samples: int = 2000) -> float:
    """Unbiased squared MMD (IMQ kernel, :func:`vaelab.losses.mmd`) between codes and prior draws."""
    z = _check_codes(codes)
    idx = torch.randperm(len(z), generator=generator)[:num_samples]
    prior = math.sqrt(prior_var) * torch.randn(len(idx), z.shape[1], generator=generator, dtype=z.dtype)
    return float(mmd(z[idx], prior, prior_var=prior_var))


def total_variance(codes: Tensor) -> float:
    r""":math:`\sum_l \widehat{\mathrm{Var}}(z_l)`, the summed unbiased variance of the codes' axes (the
    :math:`\Sigma\,\mathrm{var}(z_i)` column of VCAE supp. Tables 6-9; ``L`` for codes matching
    :math:`\mathcal{N}(0, I)`)."""
    return float(_check_codes(codes).var(0).sum())


def decoder_jacobian_weights(decoder: Callable[[Tensor], Tensor], codes: Tensor, reading: str = "code",
                             chunk: int = 32) -> Tensor:
    r"""The decoder-Jacobian weight :math:`w_l` of each latent axis (ARD-VAE Eq. 19).

    With :math:`J_i = \partial \hat x / \partial \mu \in \mathbb{R}^{D \times L}` at the ``N``
    given codes:

    - ``reading="paper"`` (Eq. 19 as printed): :math:`w_l = \sum_k \frac1N \sum_i J_{i,kl}^2`;
    - ``reading="code"`` (the authors' released code, SPEC "Decisions"; default):
      :math:`w_l = \sum_k \bigl(\frac1N \sum_i |J_{i,kl}|\bigr)^2`.

    Columns of the Jacobian are forward-mode Jacobian-vector products, batched with
    ``torch.func.vmap`` over ``chunk`` axes at a time (no Python loop over pixels). The
    codes are processed in blocks so that one pass holds at most about
    :data:`JACOBIAN_PASS_ELEMENTS` output entries, which bounds the memory of large
    decoders; sums over samples are accumulated across blocks. The cost is about 1.5-2
    times that of decoding ``N * L`` codes (``benchmarks/bench_relevance.py``). The decoder
    should be in evaluation mode (batch-norm running statistics).

    Args:
        decoder: Maps ``(B, L)`` codes to ``(B, ...)`` outputs (the data-space mean).
        codes: ``(N, L)`` codes at which to differentiate (typically 100).
        reading: ``"code"`` or ``"paper"``.
        chunk: Latent axes per vectorised pass.

    Returns:
        ``(L,)`` weights.
    """
    from torch.func import jvp, vmap

    if reading not in ("code", "paper"):
        raise VaelabError(f"unknown relevance reading {reading!r}; use code or paper")
    z = torch.as_tensor(codes).detach()
    n, l = z.shape
    with torch.no_grad():
        out_dim = decoder(z[:1]).numel()
    chunk = max(1, min(chunk, l))
    block = max(1, min(n, JACOBIAN_PASS_ELEMENTS // (chunk * out_dim)))
    eye = torch.eye(l, dtype=z.dtype, device=z.device)
    weights = []
    for start in range(0, l, chunk):
        axes = eye[start : start + chunk]
        total = None
        for i in range(0, n, block):
            zb = z[i : i + block]
            tangents = axes[:, None, :].expand(-1, len(zb), -1)
            with torch.no_grad():
                cols = vmap(lambda t, zb=zb: jvp(decoder, (zb,), (t,))[1])(tangents)  # (chunk, B, *out)
            cols = cols.reshape(len(axes), len(zb), -1)
            part = cols.abs().sum(1) if reading == "code" else cols.square().sum((1, 2))
            total = part if total is None else total + part
        weights.append((total / n).square().sum(1) if reading == "code" else total / n)
    return torch.cat(weights)


def relevance_scores(decoder: Callable[[Tensor], Tensor], codes: Tensor, variance: Tensor | None = None,
                     reading: str = "code", num_jacobian: int = 100) -> Tensor:
    r"""Relevance of each latent axis, :math:`\hat\sigma^2_w = w \odot \hat\sigma^2` (ARD-VAE Eq. 20).

    Args:
        decoder: Maps codes to data-space outputs.
        codes: ``(N, L)`` codes of held-out data; the first ``num_jacobian`` (100, one
            minibatch in the paper) are used for the Jacobian weights.
        variance: Per-axis variance :math:`\hat\sigma^2` (the ARD-VAE's prior variance
            ``b / a``); by default the uncentred second moment of ``codes``, which is the
            ARD-VAE's own estimator (Eq. 18 with ``a0 = b0 = 0``) applied to any model
            (supp. Table 13).
        reading: Jacobian-weight reading, see :func:`decoder_jacobian_weights`.
    """
    z = torch.as_tensor(codes)
    if variance is None:
        variance = z.square().mean(0)
    w = decoder_jacobian_weights(decoder, z[:num_jacobian], reading=reading)
    return w * variance.to(w)


def active_dimensions(scores: Tensor, fraction: float = 0.99) -> Tensor:
    """The smallest set of axes whose scores explain ``fraction`` of the total (ARD-VAE Section 3.4).

    Returns:
        Indices of the active axes, most relevant first.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64)
    if not 0.0 < fraction <= 1.0:
        raise VaelabError(f"fraction must be in (0, 1], got {fraction}")
    if bool((scores < 0).any()) or not bool(torch.isfinite(scores).all()):
        raise VaelabError("relevance scores must be finite and non-negative")
    order = torch.argsort(scores, descending=True, stable=True)
    total = float(scores.sum())
    if total == 0.0:
        return order[:0]
    cumulative = scores[order].cumsum(0) / total
    count = int((cumulative < fraction - 1e-12).sum()) + 1
    return order[:count]


@torch.no_grad()
def latent_statistics(
    model: torch.nn.Module,
    codes: Tensor,
    generator: torch.Generator,
    prior_var: float | Tensor | None = None,
) -> dict[str, float]:
    """All latent statistics of a model from its held-out ``codes``.

    Returns keys ``latent.kl_gaussian`` (vs N(0, I)), ``latent.kl_gaussian_model_prior``
    (vs N(0, diag(s^2)) when the model's prior variance ``s^2`` (``prior_var``, one value or
    per axis) differs from 1: the AVAE's 1 - h^2, the ARD-VAE's b / a),
    ``latent.entropy`` (vaelab's variant of :func:`whitened_kde_entropy`) and
    ``latent.entropy_code`` (the authors' variant), each with ``_ground_truth`` (``L / 2``)
    and ``_on_normal`` (:func:`normal_reference_entropy` for the same ``L``, ``m`` and ``h``),
    ``latent.entropy_bandwidth`` and ``latent.entropy_num_codes`` (``h`` and ``m`` of both),
    ``latent.mmd``, ``latent.total_variance``, ``latent.active_dims`` (the model's own rule for its
    active axes, ``model.active_axes()``: the GECO-L0-ARM-VAE's open gates, the MaskAAE's mask
    entries above its threshold; otherwise the relevance rule), ``latent.active_dims_relevance``
    (the relevance rule of ARD-VAE Section 3.4 for every model) and ``latent.relevance_<i>``
    (weighted by ``model.relevance_variance``: the ARD-VAE's prior variance, else the codes'
    second moment).
    """
    out = {"latent.kl_gaussian": gaussian_fit_kl(codes)}
    if prior_var is not None and not bool((torch.as_tensor(prior_var) == 1.0).all()):
        out["latent.kl_gaussian_model_prior"] = gaussian_fit_kl(codes, prior_var)
    for variant, key in (("vaelab", "latent.entropy"), ("code", "latent.entropy_code")):
        try:
            ent = whitened_kde_entropy(codes, variant=variant)
        except VaelabError:
            out[key] = -math.inf
            continue
        out.update({key: ent["entropy"], f"{key}_ground_truth": ent["ground_truth"],
                    f"{key}_on_normal": normal_reference_entropy(codes.shape[1], len(codes), ent["bandwidth"],
                                                                 variant)})
        if variant == "vaelab":
            out.update({"latent.entropy_bandwidth": ent["bandwidth"], "latent.entropy_num_codes": float(len(codes))})
    out["latent.mmd"] = mmd_to_prior(codes, generator)
    out["latent.total_variance"] = total_variance(codes)
    device = next(model.parameters()).device
    codes_f = torch.as_tensor(codes).float().to(device)
    scores = relevance_scores(model.decode, codes_f[:100], variance=model.relevance_variance(codes_f))
    by_relevance = float(len(active_dimensions(scores.cpu())))
    own = model.active_axes() if hasattr(model, "active_axes") else None
    out["latent.active_dims"] = by_relevance if own is None else float(len(own))
    out["latent.active_dims_relevance"] = by_relevance
    out.update({f"latent.relevance_{i}": float(s) for i, s in enumerate(scores.cpu())})
    return out
