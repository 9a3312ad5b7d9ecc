r"""Latent directions of generative factors (AVAE Algorithm 2) and the metrics built on them.

Most disentanglement metrics assume that each factor is carried by one latent *axis*. The
AVAE paper (Sec. "Evaluation of disentanglement in the latent space", Algorithm 2) finds
instead a unit *direction* per factor, which makes rotated representations (AAE, WAE,
any model with a rotation-invariant prior) measurable:

1. a *vote* fixes factor :math:`k` to one random value in a batch of ``batch_size`` items
   whose other factors vary, and takes the eigenvector of least variance of the batch's
   code covariance (:func:`min_variance_directions`; lines 5-13);
2. the :math:`N` votes :math:`u_i` of factor :math:`k` are aggregated into the unit vector
   maximising :math:`\sum_i (u^\top u_i)^2`, the top eigenvector of
   :math:`\frac1N \sum_i u_i u_i^\top` (:func:`aggregate_directions`; lines 16-22).

On top of the directions :math:`D` (``(K, L)``, one row per factor):

- PCA FactorVAE metric (:func:`pca_factor_vae`): each vote predicts the factor whose
  direction has the largest absolute cosine similarity with it; the accuracy on training
  votes (those that built :math:`D`) and on fresh evaluation votes.
- PCA MIG (:func:`pca_mig`): MIG of the projected codes :math:`Z' = Z D^\top`.
- :func:`direction_angles`: pairwise angles, 90 degrees for orthogonal directions
  (AVAE Fig. 4).

A direction is defined up to sign (an eigenvector), so similarities use absolute cosines
and angles lie in [0, 90] degrees. Returned directions are sign-normalised (largest
absolute component positive) so that equal seeds give equal vectors.

SPEC decisions: batches of 100 with one factor fixed, 10K training / 5K evaluation votes,
MIG on the projected codes with 10 histogram bins. Votes are spread evenly over the
factors (``num_votes // K`` each, the remainder to the first factors), as Algorithm 2
takes the same :math:`N` for every factor.

The subspace the codes occupy (SPEC "Decisions"; ``subspace="spread"``, the default): the
least-variance eigenvector of a batch is meaningful only among directions along which the
codes vary at all. A dead or collapsed axis (an ARD-VAE's inactive axes, a VAE's collapsed
ones, spare axes when :math:`L > K`) has almost no variance in every batch, so it attracts
the vote of every factor and all directions coincide. So, in the spirit of the FactorVAE
metric's pruning of dimensions with a global standard deviation below 0.05, the wrappers
first estimate the codes' global covariance from ``num_spread_estimate`` random items and
keep the principal directions whose standard deviation is at least ``min_spread``
(:func:`occupied_subspace`); Algorithm 2 runs on the codes projected onto them, and votes
and directions are mapped back to the :math:`L`-dimensional code space (they lie in the
subspace). The result does not depend on the basis of the subspace, only on the subspace.
``subspace="raw"`` is the paper's algorithm on the codes as they are. (The evaluation of a
model that names its own axes, the ARD-VAE's active ones, passes only those axes, as for
every other ground-truth metric.)
Example:
    >>> u = min_variance_directions(torch.randn(3, 100, 4) * torch.tensor([1., 1., 1e-3, 1.]))
    >>> u.abs().argmax(1)
    tensor([2, 2, 2])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from vaelab.data.base import GroundTruthDataset
from vaelab.errors import ConfigError, DataError
from vaelab.metrics.disentanglement import (
    CodeCache,
    Encoder,
    _check_codes,
    _check_generator,
    _check_ground_truth,
    _check_pair,
    _check_positive,
    _fixed_factor_groups,
    _map_groups,
    _representation,
    _sample_codes,
    _to_numpy,
    mig,
)

__all__ = [
    "SUBSPACES",
    "MIN_SPREAD",
    "occupied_subspace",
    "min_variance_directions",
    "aggregate_directions",
    "directions_from_votes",
    "predict_factors",
    "pca_factor_vae",
    "pca_mig",
    "direction_angles",
    "direction_votes",
    "latent_directions",
    "pca_factor_vae_score",
    "pca_mig_score",
]

SUBSPACES = ("spread", "raw")
"""Where Algorithm 2 runs: ``"spread"`` (default) the principal directions of the codes with a
global standard deviation of at least ``min_spread``; ``"raw"`` every code dimension (the paper)."""

MIN_SPREAD = 0.05
"""Default least global standard deviation of a kept direction (the FactorVAE metric's pruning threshold)."""


def _canonical_sign(u: np.ndarray) -> np.ndarray:
    """Flips each row of ``(..., L)`` so that its largest absolute component is positive."""
    idx = np.argmax(np.abs(u), axis=-1)[..., None]
    sign = np.sign(np.take_along_axis(u, idx, axis=-1))
    return u * np.where(sign == 0, 1.0, sign)


def _as_directions(directions, name: str = "directions") -> np.ndarray:
    d = _check_codes(directions, name)
    norms = np.linalg.norm(d, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise DataError(f"{name} contain a zero vector, which has no direction")
    return d / norms


def occupied_subspace(codes, min_spread: float = MIN_SPREAD) -> Tensor:
    r"""Orthonormal basis of the principal directions along which ``codes`` spread by at least ``min_spread``.

    The eigenvectors of the codes' sample covariance (``ddof=1``) whose eigenvalue is at least
    ``min_spread ** 2``: the subspace Algorithm 2 runs in (module docstring, SPEC "Decisions").

    Args:
        codes: ``(N, L)`` codes of random items, ``N >= 2``.
        min_spread: Least standard deviation of a kept direction.

    Returns:
        ``(L, r)`` float64 orthonormal columns, by decreasing variance, sign-normalised;
        ``r = 0`` when the codes vary along no direction.

    Example:
        >>> z = torch.randn(1000, 3) * torch.tensor([1.0, 1e-3, 0.5])
        >>> occupied_subspace(z).abs().argmax(0)
        tensor([0, 2])
    """
    if not min_spread >= 0.0:
        raise ConfigError(f"min_spread must be non-negative, got {min_spread}")
    z = _check_codes(codes, "codes", min_rows=2).astype(np.float64)
    l = z.shape[1]
    evals, evecs = np.linalg.eigh(np.cov(z.T, ddof=1).reshape(l, l))
    keep = np.flatnonzero(np.sqrt(np.clip(evals, 0.0, None)) >= min_spread)[::-1]
    return torch.from_numpy(np.ascontiguousarray(_canonical_sign(evecs[:, keep].T).T))


def min_variance_directions(batch_codes) -> Tensor:
    r"""Eigenvector of least variance of each batch's code covariance (Algorithm 2, lines 10-12).

    Args:
        batch_codes: ``(P, B, L)`` codes of ``P`` batches of ``B >= 2`` items.

    Returns:
        ``(P, L)`` float64 unit vectors :math:`u_i`, sign-normalised.
    """
    z = _to_numpy(batch_codes, "batch_codes")
    if z.ndim != 3 or z.shape[1] < 2 or z.shape[2] < 1:
        raise DataError(f"batch_codes must be (P, B, L) with B >= 2, got shape {z.shape}")
    z = z.astype(np.float64)
    if not np.isfinite(z).all():
        raise DataError("batch_codes contain NaN or infinite values; the model may have diverged")
    return torch.from_numpy(_min_variance_directions(z))


def _min_variance_directions(z: np.ndarray) -> np.ndarray:
    z = z - z.mean(axis=1, keepdims=True)
    cov = np.einsum("pbi,pbj->pij", z, z) / (z.shape[1] - 1)
    _, vecs = np.linalg.eigh(cov)
    return _canonical_sign(vecs[:, :, 0])


def aggregate_directions(votes) -> Tensor:
    r"""The unit vector :math:`u^*` maximising :math:`\sum_i (u^{*\top} u_i)^2` (Algorithm 2, lines 16-22).

    The top eigenvector of the mean outer product :math:`\frac1N \sum_i u_i u_i^\top`.

    Args:
        votes: ``(N, L)`` unit vectors of one factor.

    Returns:
        ``(L,)`` float64 unit vector, sign-normalised.
    """
    u = _as_directions(votes, "votes")
    return torch.from_numpy(_aggregate(u))


def _aggregate(u: np.ndarray) -> np.ndarray:
    _, vecs = np.linalg.eigh(u.T @ u / len(u))
    return _canonical_sign(vecs[:, -1])


def directions_from_votes(votes, labels, num_factors: int) -> Tensor:
    """Aggregates the votes of each factor (:func:`aggregate_directions`).

    Args:
        votes: ``(P, L)`` unit vectors.
        labels: ``(P,)`` factor fixed in each vote.
        num_factors: ``K``; every factor needs at least one vote.

    Returns:
        ``(K, L)`` float64 directions.
    """
    u, y = _check_pair(votes, _to_numpy(labels, "labels").reshape(-1, 1), "votes")
    u, y = _as_directions(u, "votes"), y[:, 0]
    missing = [k for k in range(num_factors) if not np.any(y == k)]
    if missing:
        raise DataError(f"factors {missing} have no votes; use more votes than factors")
    return torch.from_numpy(np.stack([_aggregate(u[y == k]) for k in range(num_factors)]))


def predict_factors(votes, directions) -> Tensor:
    """The factor whose direction has the largest absolute cosine similarity with each vote.

    Args:
        votes: ``(P, L)`` vectors.
        directions: ``(K, L)`` factor directions.

    Returns:
        ``(P,)`` int64 predicted factor indices.
    """
    u, d = _as_directions(votes, "votes"), _as_directions(directions)
    if u.shape[1] != d.shape[1]:
        raise DataError(f"votes have {u.shape[1]} dimensions, directions {d.shape[1]}")
    return torch.from_numpy(np.argmax(np.abs(u @ d.T), axis=1))


def pca_factor_vae(train_votes, train_labels, eval_votes, eval_labels) -> dict[str, float]:
    """PCA FactorVAE metric (AVAE Sec. "Evaluation of disentanglement", Table VII).

    The directions of the training votes (:func:`directions_from_votes`) classify each vote
    by :func:`predict_factors`; the score is the accuracy.

    Args:
        train_votes, eval_votes: ``(P, L)`` least-variance eigenvectors.
        train_labels, eval_labels: ``(P,)`` factors fixed in their batches.

    Returns:
        ``{"pca_factor_vae.train_accuracy", "pca_factor_vae.eval_accuracy"}`` in [0, 1].
    """
    u, y = _check_pair(train_votes, _to_numpy(train_labels, "labels").reshape(-1, 1), "train votes")
    ue, ye = _check_pair(eval_votes, _to_numpy(eval_labels, "labels").reshape(-1, 1), "eval votes")
    if y.min() < 0 or ye.min() < 0:
        raise DataError("factor labels must be non-negative indices")
    num_factors = int(max(y.max(), ye.max())) + 1
    d = directions_from_votes(u, y[:, 0], num_factors)
    return {"pca_factor_vae.train_accuracy": float(np.mean(predict_factors(u, d).numpy() == y[:, 0])),
            "pca_factor_vae.eval_accuracy": float(np.mean(predict_factors(ue, d).numpy() == ye[:, 0]))}


def pca_mig(codes, factors, directions, num_bins: int = 10) -> dict[str, float]:
    r"""PCA MIG: MIG (:func:`~vaelab.metrics.disentanglement.mig`) of :math:`Z' = Z D^\top`.

    Args:
        codes: ``(N, L)`` codes.
        factors: ``(N, K)`` integer factors.
        directions: ``(K', L)`` unit directions (normalised here), ``K' >= 2``.
        num_bins: Histogram bins per projected dimension (10 per SPEC).

    Returns:
        ``{"pca_mig": score in [0, 1]}``.
    """
    z = _check_codes(codes)
    d = _as_directions(directions)
    if d.shape[1] != z.shape[1]:
        raise DataError(f"codes have {z.shape[1]} dimensions, directions {d.shape[1]}")
    return {"pca_mig": mig(z @ d.T, factors, num_bins)["mig"]}


def direction_angles(directions) -> Tensor:
    r"""Pairwise angles :math:`\arccos |\cos(d_i, d_j)|` in degrees (AVAE Fig. 4).

    The absolute cosine makes the angle independent of each direction's arbitrary sign, so
    angles lie in [0, 90]: 90 for orthogonal directions, 0 for equal or opposite ones.

    Args:
        directions: ``(K, L)`` directions.

    Returns:
        ``(K, K)`` float64 angles in degrees, zero diagonal.
    """
    d = _as_directions(directions)
    cos = np.clip(np.abs(d @ d.T), 0.0, 1.0)
    np.fill_diagonal(cos, 1.0)
    return torch.from_numpy(np.degrees(np.arccos(cos)))


def _balanced_labels(num_votes: int, num_factors: int) -> Tensor:
    return torch.arange(num_votes) % num_factors


def _subspace_basis(data: GroundTruthDataset, represent, generator: torch.Generator, subspace: str,
                    min_spread: float, num_spread_estimate: int) -> np.ndarray | None:
    """The ``(L, r)`` basis Algorithm 2 runs in, from ``num_spread_estimate`` random items; ``None`` for ``"raw"``."""
    if subspace not in SUBSPACES:
        raise ConfigError(f"unknown subspace {subspace!r}; choose one of: {', '.join(SUBSPACES)}")
    if subspace == "raw":
        return None
    if num_spread_estimate < 2:
        raise ConfigError(f"num_spread_estimate must be at least 2 to estimate a covariance, got {num_spread_estimate}")
    codes, _ = _sample_codes(data, represent, num_spread_estimate, generator)
    return occupied_subspace(codes, min_spread).numpy()


class _EmptySubspace(DataError):
    """The codes vary along no direction, so Algorithm 2 has no subspace to run in."""


def _empty_subspace(min_spread: float) -> DataError:
    return _EmptySubspace(f"the codes vary along no direction (every principal standard deviation is below "
                     f"min_spread={min_spread}); the model may have collapsed (subspace='raw' runs the paper's "
                     f"algorithm on every axis)")


def _votes(data: GroundTruthDataset, represent, generator: torch.Generator, num_votes: int, batch_size: int,
           basis: np.ndarray | None) -> tuple[Tensor, Tensor]:
    labels = _balanced_labels(num_votes, data.num_factors)
    groups = _fixed_factor_groups(data, labels, batch_size, generator)
    if basis is None:
        fn = _min_variance_directions
    else:
        fn = lambda z: _canonical_sign(_min_variance_directions(z @ basis) @ basis.T)
    return torch.from_numpy(_map_groups(represent, groups, fn)), labels


def _check_vote_settings(num_votes: int, batch_size: int) -> None:
    _check_positive(num_votes=num_votes, batch_size=batch_size)
    if batch_size < 2:
        raise ConfigError(f"batch_size must be at least 2 for a covariance, got {batch_size}")


def direction_votes(
    data: GroundTruthDataset,
    encode: Encoder | CodeCache,
    generator: torch.Generator,
    num_votes: int = 10_000,
    batch_size: int = 100,
    encode_batch_size: int = 500,
    subspace: str = "spread",
    min_spread: float = MIN_SPREAD,
    num_spread_estimate: int = 10_000,
) -> tuple[Tensor, Tensor]:
    """Votes of Algorithm 2 (lines 3-13), spread evenly over the factors.

    Vote ``i`` fixes factor ``i mod K`` to a uniformly drawn value in ``batch_size``
    otherwise random items and takes :func:`min_variance_directions` of their codes, in the
    subspace the codes occupy (``subspace="spread"``: :func:`occupied_subspace` of
    ``num_spread_estimate`` random items) or among all dimensions (``"raw"``).

    Returns:
        ``(votes, labels)``: ``(num_votes, L)`` float64 unit vectors and ``(num_votes,)``
        int64 fixed factors.
    """
    data, generator = _check_ground_truth(data), _check_generator(generator)
    _check_vote_settings(num_votes, batch_size)
    represent = _representation(data, encode, encode_batch_size)
    basis = _subspace_basis(data, represent, generator, subspace, min_spread, num_spread_estimate)
    if basis is not None and basis.shape[1] == 0:
        raise _empty_subspace(min_spread)
    return _votes(data, represent, generator, num_votes, batch_size, basis)


def latent_directions(
    data: GroundTruthDataset,
    encode: Encoder | CodeCache,
    generator: torch.Generator,
    batch_size: int = 100,
    num_votes: int = 10_000,
    encode_batch_size: int = 500,
    subspace: str = "spread",
    min_spread: float = MIN_SPREAD,
    num_spread_estimate: int = 10_000,
) -> Tensor:
    """Latent directions of the generative factors, AVAE Algorithm 2.

    Args:
        data: Ground-truth dataset (``K`` factors).
        encode: Encoder of observations or a :class:`~vaelab.metrics.disentanglement.CodeCache`.
        generator: Source of every random choice.
        batch_size: Items per PCA (the algorithm's :math:`L`).
        num_votes: Votes over all factors; :math:`N` = ``num_votes // K`` per factor.
        encode_batch_size: Observations per call of ``encode``.
        subspace: ``"spread"`` (default): run in the principal directions of the codes whose
            global standard deviation is at least ``min_spread``, estimated from
            ``num_spread_estimate`` random items; ``"raw"``: every dimension, as printed.

    Returns:
        ``(K, L)`` float64 unit directions, row ``k`` for factor ``k``, sign-normalised.

    Raises:
        DataError: With ``"spread"``, when the codes vary along no direction.

    Example:
        >>> d = latent_directions(data, encode, torch.Generator().manual_seed(0))  # doctest: +SKIP
        >>> direction_angles(d)                                                      # doctest: +SKIP
    """
    if num_votes < getattr(data, "num_factors", 0):
        raise ConfigError(f"num_votes={num_votes} is smaller than the number of factors; each needs a vote")
    votes, labels = direction_votes(data, encode, generator, num_votes, batch_size, encode_batch_size,
                                    subspace, min_spread, num_spread_estimate)
    return directions_from_votes(votes, labels, data.num_factors)


def pca_factor_vae_score(
    data: GroundTruthDataset,
    encode: Encoder | CodeCache,
    generator: torch.Generator,
    batch_size: int = 100,
    num_train: int = 10_000,
    num_eval: int = 5_000,
    encode_batch_size: int = 500,
    subspace: str = "spread",
    min_spread: float = MIN_SPREAD,
    num_spread_estimate: int = 10_000,
) -> dict[str, float]:
    """PCA FactorVAE metric: :func:`pca_factor_vae` of fresh training and evaluation votes.

    Both sets of votes are taken in one subspace (see :func:`latent_directions`). When the
    codes vary along no direction, every score is 0, as for the FactorVAE metric.

    Returns:
        ``{"pca_factor_vae.train_accuracy", "pca_factor_vae.eval_accuracy",
        "pca_factor_vae.subspace_dims"}`` (the dimension Algorithm 2 ran in).
    """
    data, generator = _check_ground_truth(data), _check_generator(generator)
    _check_positive(num_train=num_train, num_eval=num_eval)
    _check_vote_settings(num_train, batch_size)
    if num_train < data.num_factors:
        raise ConfigError(f"num_train={num_train} is smaller than the number of factors; each needs a vote")
    represent = _representation(data, encode, encode_batch_size)
    basis = _subspace_basis(data, represent, generator, subspace, min_spread, num_spread_estimate)
    if basis is not None and basis.shape[1] == 0:
        return {"pca_factor_vae.train_accuracy": 0.0, "pca_factor_vae.eval_accuracy": 0.0,
                "pca_factor_vae.subspace_dims": 0.0}
    train = _votes(data, represent, generator, num_train, batch_size, basis)
    evaluation = _votes(data, represent, generator, num_eval, batch_size, basis)
    dims = train[0].shape[1] if basis is None else basis.shape[1]
    return {**pca_factor_vae(*train, *evaluation), "pca_factor_vae.subspace_dims": float(dims)}


def pca_mig_score(
    data: GroundTruthDataset,
    encode: Encoder | CodeCache,
    generator: torch.Generator,
    num_train: int = 10_000,
    num_bins: int = 10,
    batch_size: int = 100,
    num_votes: int = 10_000,
    directions=None,
    encode_batch_size: int = 500,
    subspace: str = "spread",
    min_spread: float = MIN_SPREAD,
    num_spread_estimate: int = 10_000,
) -> dict[str, float]:
    """PCA MIG of ``num_train`` random items.

    Args:
        data, encode, generator: As for :func:`latent_directions`.
        num_train: Items whose projected codes enter MIG.
        num_bins: Histogram bins (10 per SPEC).
        batch_size, num_votes, subspace, min_spread, num_spread_estimate: Algorithm 2 settings
            (:func:`latent_directions`) when ``directions`` is not given.
        directions: ``(K, L)`` directions computed before (e.g. by :func:`latent_directions`
            with the same encoder), which skips their estimation.
        encode_batch_size: Observations per call of ``encode``.

    Returns:
        ``{"pca_mig"}``; 0 when the codes vary along no direction.
    """
    data, generator = _check_ground_truth(data), _check_generator(generator)
    _check_positive(num_train=num_train)
    if directions is None:
        try:
            directions = latent_directions(data, encode, generator, batch_size, num_votes, encode_batch_size,
                                           subspace, min_spread, num_spread_estimate)
        except _EmptySubspace:
            return {"pca_mig": 0.0}
    codes, factors = _sample_codes(data, _representation(data, encode, encode_batch_size), num_train, generator)
    return pca_mig(codes, factors, directions, num_bins)
