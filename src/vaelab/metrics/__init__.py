"""Evaluation metrics: pure functions of codes and factors, plus sampling wrappers.

Example:
    >>> import torch
    >>> from vaelab import metrics
    >>> from vaelab.data import DSprites
    >>> f = DSprites().sample_factors(1000, torch.Generator().manual_seed(0))
    >>> round(metrics.mig(f.float(), f)["mig"], 2)  # identity; 20 bins merge the 40 orientations
    0.83
"""

from vaelab.metrics import directions, disentanglement, downstream, features, gbt, generative, latent
from vaelab.metrics.directions import (
    direction_angles,
    latent_directions,
    pca_factor_vae_score,
    pca_mig,
    pca_mig_score,
)
from vaelab.metrics.disentanglement import (
    CodeCache,
    beta_vae_score,
    dci,
    dci_score,
    factor_vae_score,
    mig,
    mig_score,
    sap,
    sap_score,
)
from vaelab.metrics.downstream import downstream_accuracy, rank_correlation
from vaelab.metrics.features import get_feature_extractor
from vaelab.metrics.generative import frechet_distance, generative_metrics, precision_recall, reconstruction_mse
from vaelab.metrics.latent import (
    active_dimensions,
    gaussian_fit_kl,
    latent_statistics,
    mmd_to_prior,
    relevance_scores,
    whitened_kde_entropy,
)

__all__ = [
    "directions", "disentanglement", "downstream", "features", "gbt", "generative", "latent",
    "mig", "dci", "sap", "mig_score", "dci_score", "sap_score", "beta_vae_score", "factor_vae_score", "CodeCache",
    "latent_directions", "direction_angles", "pca_factor_vae_score", "pca_mig", "pca_mig_score",
    "gaussian_fit_kl", "whitened_kde_entropy", "mmd_to_prior", "relevance_scores", "active_dimensions",
    "latent_statistics", "frechet_distance", "precision_recall", "reconstruction_mse", "generative_metrics",
    "get_feature_extractor", "downstream_accuracy", "rank_correlation",
]
