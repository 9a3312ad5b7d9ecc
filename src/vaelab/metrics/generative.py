r"""Generative metrics: Frechet distance, precision / recall for distributions, MSE.

Pure functions work on precomputed ``(N, D)`` features; :func:`generative_metrics` is the
wrapper that draws held-out images, reconstructions, interpolations and prior samples
from a model with an explicit generator, embeds them with a feature network
(:func:`vaelab.metrics.features.get_feature_extractor`) and compares each set with the
real held-out images, as in AVAE Tables III-IV and ARD-VAE Table 2.

Example:
    >>> a, b = torch.randn(500, 8), torch.randn(500, 8) + 1.0
    >>> round(frechet_distance(a, a), 6)
    0.0
    >>> precision_recall(a, a, num_runs=2, generator=torch.Generator().manual_seed(0))["recall"] > 0.9
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from vaelab.data.base import Dataset, IndexLike, as_index
from vaelab.errors import VaelabError

__all__ = [
    "SETS",
    "frechet_distance",
    "cluster_histograms",
    "prd_curve",
    "max_f_beta",
    "precision_recall",
    "compare_features",
    "reconstruction_mse",
    "extract_features",
    "generative_metrics",
]

SETS = ("reconstruction", "interpolation", "prior")
INTERPOLATIONS = ("midpoint", "random")


def _features(x: Tensor | np.ndarray, name: str, min_samples: int) -> Tensor:
    x = torch.as_tensor(x).detach().cpu()
    if x.ndim != 2:
        raise VaelabError(f"{name} must be an (N, D) matrix of features, got shape {tuple(x.shape)}")
    if len(x) < min_samples:
        raise VaelabError(f"{name} has {len(x)} samples; at least {min_samples} are needed")
    x = x.to(torch.float64)
    if not bool(torch.isfinite(x).all()):
        raise VaelabError(f"{name} contains NaN or infinite values (did the model produce non-finite images?)")
    return x


def _pair(a: Tensor | np.ndarray, b: Tensor | np.ndarray, names: tuple[str, str], min_samples: int) -> tuple[Tensor, Tensor]:
    a, b = _features(a, names[0], min_samples), _features(b, names[1], min_samples)
    if a.shape[1] != b.shape[1]:
        raise VaelabError(f"{names[0]} and {names[1]} have different feature sizes ({a.shape[1]} vs {b.shape[1]})")
    return a, b


class _Precomputed(nn.Module):
    """The identity, as the "feature network" of torchmetrics' FID for given features."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: Tensor) -> Tensor:
        return x


def frechet_distance(features_a: Tensor | np.ndarray, features_b: Tensor | np.ndarray) -> float:
    r"""Frechet distance between Gaussians fitted to two feature sets (Heusel et al., 2017).

    .. math:: d^2 = \lVert \mu_a - \mu_b \rVert^2 + \operatorname{Tr}\big(\Sigma_a + \Sigma_b
        - 2 (\Sigma_a \Sigma_b)^{1/2}\big)

    with sample means and unbiased (``N - 1``) covariances. With InceptionV3 pool3
    features this is the FID. Computed in float64 by torchmetrics'
    ``FrechetInceptionDistance`` fed through an identity feature network.

    Args:
        features_a: ``(N, D)`` features.
        features_b: ``(M, D)`` features.

    Returns:
        The squared Frechet distance :math:`d^2` (what is reported as "FID"), clipped at 0
        against round-off.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    a, b = _pair(features_a, features_b, ("features_a", "features_b"), min_samples=2)
    metric = FrechetInceptionDistance(feature=_Precomputed(a.shape[1]), normalize=True)
    metric.update(a, real=True)
    metric.update(b, real=False)
    return max(float(metric.compute()), 0.0)


def cluster_histograms(
    features_real: Tensor,
    features_gen: Tensor,
    num_clusters: int,
    seed: int,
) -> tuple[Tensor, Tensor]:
    """Clusters the union of two feature sets and returns each set's cluster histogram.

    Mini-batch k-means (scikit-learn, ``n_init=10``), as in the reference implementation
    of Sajjadi et al. (2018).

    Returns:
        ``(real, gen)`` float64 ``(num_clusters,)`` histograms, each summing to one.
    """
    from sklearn.cluster import MiniBatchKMeans

    union = torch.cat([features_gen, features_real]).numpy()
    kmeans = MiniBatchKMeans(n_clusters=num_clusters, n_init=10, random_state=seed)
    labels = torch.as_tensor(kmeans.fit(union).labels_).long()
    gen, real = labels[: len(features_gen)], labels[len(features_gen):]
    return _histogram(real, num_clusters), _histogram(gen, num_clusters)


def _histogram(labels: Tensor, num_clusters: int) -> Tensor:
    return torch.bincount(labels, minlength=num_clusters).double() / len(labels)


def prd_curve(
    gen_dist: Tensor,
    real_dist: Tensor,
    num_angles: int = 1001,
    epsilon: float = 1e-10,
) -> tuple[Tensor, Tensor]:
    r"""The PRD curve of two discrete distributions (Sajjadi et al., 2018, Eq. 2-3).

    For slopes :math:`\lambda = \tan\theta`, :math:`\theta` on ``num_angles`` equally spaced
    angles in :math:`[\epsilon, \pi/2 - \epsilon]`,

    .. math:: \alpha(\lambda) = \sum_\omega \min(\lambda P(\omega), Q(\omega)), \qquad
        \beta(\lambda) = \alpha(\lambda) / \lambda

    with :math:`P` the real (reference) and :math:`Q` the generated distribution.

    Returns:
        ``(precision, recall)``: ``(num_angles,)`` float64 tensors, clipped to [0, 1].
    """
    if not 0 < epsilon < 0.1:
        raise VaelabError(f"epsilon must be in (0, 0.1), got {epsilon}")
    if not 3 <= num_angles <= 1_000_000:
        raise VaelabError(f"num_angles must be in [3, 1e6], got {num_angles}")
    slopes = torch.tan(torch.linspace(epsilon, math.pi / 2 - epsilon, num_angles, dtype=torch.float64))
    precision = torch.minimum(real_dist.double()[None] * slopes[:, None], gen_dist.double()[None]).sum(1)
    recall = precision / slopes
    return precision.clamp(0.0, 1.0), recall.clamp(0.0, 1.0)


def max_f_beta(precision: Tensor, recall: Tensor, beta: float, epsilon: float = 1e-10) -> float:
    r"""Maximum over a PRD curve of :math:`F_\beta = (1 + \beta^2) \alpha \beta' / (\beta^2 \alpha + \beta')`.

    Sajjadi et al. (2018), Section 4: :math:`F_8` summarises recall and :math:`F_{1/8}`
    precision.
    """
    f = (1 + beta**2) * precision * recall / (beta**2 * precision + recall + epsilon)
    return float(f.max())


def precision_recall(
    features_real: Tensor | np.ndarray,
    features_gen: Tensor | np.ndarray,
    num_clusters: int = 20,
    num_angles: int = 1001,
    num_runs: int = 10,
    generator: torch.Generator | None = None,
    beta: float = 8.0,
    enforce_balance: bool = True,
    return_curve: bool = False,
) -> dict[str, Any]:
    r"""Precision and recall for distributions (Sajjadi et al., 2018, "Assessing Generative
    Models via Precision and Recall").

    The union of both feature sets is clustered by k-means into ``num_clusters`` bins;
    the PRD curve of the two bin histograms is computed over ``num_angles`` angles; this
    is repeated ``num_runs`` times with k-means seeds drawn from ``generator`` and the
    curves are averaged. Recall is :math:`F_\beta` and precision :math:`F_{1/\beta}`, the
    maxima over the averaged curve (``beta = 8``).

    Args:
        features_real: ``(N, D)`` features of real data (the reference distribution).
        features_gen: ``(M, D)`` features of generated data.
        num_clusters: k-means clusters; each set needs at least this many samples.
        num_angles: Points on the PRD curve.
        num_runs: Independent clusterings averaged.
        generator: Source of the k-means seeds (default: seeded with 0).
        beta: The :math:`\beta` of the summaries.
        enforce_balance: Require ``N == M``, as the reference implementation does (with
            unequal sizes k-means favours the larger set).
        return_curve: Also return the averaged curve as lists.

    Returns:
        ``{"precision": F_{1/beta}, "recall": F_beta}``, plus ``"prd_precision"`` and
        ``"prd_recall"`` (lists of ``num_angles`` floats) when ``return_curve``.
    """
    real, gen = _pair(features_real, features_gen, ("features_real", "features_gen"), min_samples=num_clusters)
    if num_clusters < 1 or num_runs < 1:
        raise VaelabError(f"num_clusters and num_runs must be positive, got {num_clusters} and {num_runs}")
    if enforce_balance and len(real) != len(gen):
        raise VaelabError(
            f"precision/recall needs as many generated as real samples ({len(gen)} vs {len(real)}); "
            "pass enforce_balance=False to allow it"
        )
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    seeds = torch.randint(2**31 - 1, (num_runs,), generator=generator).tolist()
    precisions, recalls = [], []
    for seed in seeds:
        real_dist, gen_dist = cluster_histograms(real, gen, num_clusters, seed)
        p, r = prd_curve(gen_dist, real_dist, num_angles)
        precisions.append(p)
        recalls.append(r)
    precision, recall = torch.stack(precisions).mean(0), torch.stack(recalls).mean(0)
    out: dict[str, Any] = {
        "precision": max_f_beta(precision, recall, 1.0 / beta),
        "recall": max_f_beta(precision, recall, beta),
    }
    if return_curve:
        out["prd_precision"] = precision.tolist()
        out["prd_recall"] = recall.tolist()
    return out


def compare_features(
    features_real: Tensor,
    features_gen: Tensor,
    generator: torch.Generator | None = None,
    pr_options: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Returns ``{"fd", "precision", "recall"}`` of generated against real features."""
    pr = precision_recall(features_real, features_gen, generator=generator, **(pr_options or {}))
    return {"fd": frechet_distance(features_real, features_gen), "precision": pr["precision"], "recall": pr["recall"]}


def reconstruction_mse(images: Tensor, reconstructions: Tensor) -> float:
    """Mean over images and pixels (values) of the squared error, in the data's value range."""
    if images.shape != reconstructions.shape:
        raise VaelabError(f"images {tuple(images.shape)} and reconstructions {tuple(reconstructions.shape)} differ in shape")
    return float((reconstructions.double() - images.double()).square().mean())


@torch.no_grad()
def extract_features(extractor: nn.Module, images: Tensor, batch_size: int = 100) -> Tensor:
    """Returns the ``(N, D)`` float64 features of ``images``, computed in batches."""
    device = next(extractor.parameters(), torch.empty(0)).device
    chunks = [extractor(images[i : i + batch_size].to(device)).double().cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(chunks)


def _resolve_features(
    features: nn.Module | tuple[nn.Module, dict] | None,
    data: Dataset,
    progress: bool,
) -> tuple[nn.Module, dict[str, Any]]:
    if features is None:
        from vaelab.metrics.features import get_feature_extractor

        return get_feature_extractor(data, progress=progress)
    if isinstance(features, tuple):
        return features
    dims = getattr(features, "num_features", None)
    return features, {"kind": "custom", "name": type(features).__name__, "dims": dims}


def generative_metrics(
    model: nn.Module,
    data: Dataset,
    index: IndexLike,
    generator: torch.Generator,
    num_samples: int = 10_000,
    features: nn.Module | tuple[nn.Module, dict] | None = None,
    which: Sequence[str] = SETS,
    interpolation: str = "midpoint",
    batch_size: int = 100,
    pr_options: dict[str, Any] | None = None,
    progress: bool = True,
    sample: Callable[[int, torch.Generator], Tensor] | None = None,
) -> dict[str, Any]:
    """Frechet distance and precision / recall of a model's outputs, and reconstruction MSE.

    ``n = min(num_samples, len(index))`` real held-out images are drawn from ``index``
    without replacement. Each generated set has ``n`` images and is compared with them:

    - ``reconstruction``: ``decode(encode(x))`` of the real images (codes are the
      encoder's point estimate, e.g. the posterior mean).
    - ``interpolation``: the real images are put in a random cyclic order and each is
      paired with the next (so no image is paired with itself); ``decode((1 - t) z_a +
      t z_b)`` with ``t = 1/2`` (``"midpoint"``) or ``t ~ U(0, 1)`` (``"random"``).
    - ``prior``: ``sample(n, generator)`` (default ``model.sample``: the model's prior), in batches.

    ``reconstruction_mse`` (always computed) is the mean over the ``n`` images and their
    pixels of the squared error in the data's value range (``vaelab`` "MSE per pixel").
    The model is evaluated in eval mode under ``torch.no_grad`` and its mode is restored.

    Args:
        model: A :class:`vaelab.models.Model` (``encode``, ``decode``, ``sample``).
        data: The dataset of the real images.
        index: Held-out items of ``data`` to compare with.
        generator: Source of all randomness (subset, pairs, prior samples, k-means seeds).
        num_samples: Images per set (10K as in the seeds; fewer when ``index`` is smaller).
        features: A feature network, or ``(network, description)`` from
            :func:`vaelab.metrics.features.get_feature_extractor`; ``None`` calls it with
            ``kind="auto"`` (Inception if its weights are present, else a network trained,
            once and cached, on all items of ``data``).
        which: Subset of :data:`SETS`.
        interpolation: ``"midpoint"`` or ``"random"``.
        batch_size: Images per forward pass.
        pr_options: Keyword arguments of :func:`precision_recall`.
        progress: Show a progress bar.
        sample: Draws generated observations; pass a fitted sampler's generation for
            models that sample from an ex-post density (RAE, flows).

    Returns:
        ``{"num_samples": n, "reconstruction_mse": float, "<set>_fd": float,
        "<set>_precision": float, "<set>_recall": float, ..., "features": description}``.
    """
    which = tuple(which)
    unknown = [w for w in which if w not in SETS]
    if unknown or not which:
        raise VaelabError(f"unknown generated sets {unknown or list(which)}; choose from: {', '.join(SETS)}")
    if interpolation not in INTERPOLATIONS:
        raise VaelabError(f"unknown interpolation {interpolation!r}; choose one of: {', '.join(INTERPOLATIONS)}")
    if batch_size < 1 or num_samples < 2:
        raise VaelabError(f"need batch_size >= 1 and num_samples >= 2, got {batch_size} and {num_samples}")
    index = as_index(index, len(data))
    n = min(num_samples, len(index))
    if n < 2:
        raise VaelabError(f"need at least 2 held-out items for the generative metrics, got {n}")
    extractor, description = _resolve_features(features, data, progress)
    device = next(model.parameters()).device
    extractor = extractor.to(device).eval()
    ref = index[torch.randperm(len(index), generator=generator)[:n]]
    batches = range(0, n, batch_size)
    passes = 1 + len({"interpolation", "prior"} & set(which))
    bar = tqdm(total=n * passes, desc="generative metrics", unit="img", disable=not progress, leave=False)

    def run(make: Callable[[slice], Tensor]) -> Tensor:
        out = []
        for i in batches:
            images = make(slice(i, min(i + batch_size, n)))
            out.append(extractor(images).double().cpu())
            bar.update(len(images))
        return torch.cat(out)

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            real_feats, recon_feats, codes, squared = [], [], [], 0.0
            for i in batches:
                x = data.images(ref[i : i + batch_size]).to(device)
                z = model.encode(x)
                x_hat = model.decode(z)
                squared += float((x_hat.double() - x.double()).square().sum())
                codes.append(z)
                real_feats.append(extractor(x).double().cpu())
                if "reconstruction" in which:
                    recon_feats.append(extractor(x_hat).double().cpu())
                bar.update(len(x))
            real = torch.cat(real_feats)
            generated: dict[str, Tensor] = {}
            if "reconstruction" in which:
                generated["reconstruction"] = torch.cat(recon_feats)
            if "interpolation" in which:
                z = torch.cat(codes)
                order = torch.randperm(n, generator=generator)
                pairs = order, order.roll(1)
                t = torch.full((n, 1), 0.5) if interpolation == "midpoint" else torch.rand(n, 1, generator=generator)
                t = t.to(device=z.device, dtype=z.dtype)
                generated["interpolation"] = run(
                    lambda s: model.decode((1 - t[s]) * z[pairs[0][s]] + t[s] * z[pairs[1][s]])
                )
            if "prior" in which:
                draw = sample or model.sample
                generated["prior"] = run(lambda s: draw(s.stop - s.start, generator).to(device))
    finally:
        model.train(was_training)
        bar.close()

    results: dict[str, Any] = {
        "num_samples": n,
        "reconstruction_mse": squared / (n * math.prod(data.shape)),
    }
    for name in which:
        for key, value in compare_features(real, generated[name], generator, pr_options).items():
            results[f"{name}_{key}"] = value
    results["features"] = description
    return results
