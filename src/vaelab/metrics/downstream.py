r"""Downstream usefulness and model selection (thesis Sections 5.5-5.6).

- :func:`downstream_accuracy`: gradient-boosted trees predict each ground-truth factor (or
  the class label) from codes, trained on 10, 100, 1,000 and 10,000 examples and tested
  on 5,000; the mean test accuracy over factors per training size, and the *sample
  efficiency* = accuracy with 100 examples / accuracy with 10,000 (thesis 5.6, after
  Locatello et al. 2019). The thesis uses scikit-learn's GradientBoostingClassifier; the
  default here is the faster LightGBM equivalent of :mod:`vaelab.metrics.gbt`.
- :func:`rank_correlation`: Spearman rank correlation between scores across runs
  (thesis 5.5, Figs. 5.13 and 5.16).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from torch import Tensor

from vaelab.errors import VaelabError
from vaelab.metrics.gbt import GBT_BACKENDS, fit_gbt

__all__ = ["TRAIN_SIZES", "downstream_accuracy", "rank_correlation"]

TRAIN_SIZES = (10, 100, 1000, 10000)


def _accuracy(backend: str, x_train, y_train, x_test, y_test) -> float:
    classes = np.unique(y_train)
    if len(classes) == 1:
        return float(np.mean(y_test == classes[0]))
    model, _ = fit_gbt(x_train, y_train, backend)
    return float(np.mean(model.predict(x_test) == y_test))


def downstream_accuracy(
    codes_train: Tensor,
    targets_train: Tensor,
    codes_test: Tensor,
    targets_test: Tensor,
    sizes: Sequence[int] = TRAIN_SIZES,
    backend: str = "lightgbm",
) -> dict[str, float]:
    """Accuracy of predicting each target column from codes, per training size.

    Args:
        codes_train: ``(N, L)`` codes; the first ``n`` rows train the size-``n`` model.
        targets_train: ``(N, K)`` integer factors (or ``(N,)`` labels).
        codes_test: ``(M, L)`` test codes (5,000 in the thesis).
        targets_test: ``(M, K)`` test factors.
        sizes: Training sizes; each must not exceed ``N``.
        backend: ``"lightgbm"`` (fast, the default, as for DCI) or ``"sklearn"`` (the thesis'
            GradientBoostingClassifier with its defaults); see :mod:`vaelab.metrics.gbt`.

    Returns:
        ``downstream.accuracy_<n>`` (mean over target columns) per size,
        ``downstream.accuracy_<n>.<k>`` per column, and ``downstream.sample_efficiency`` =
        accuracy at 100 / accuracy at 10,000 when both sizes are present.
    """
    if backend not in GBT_BACKENDS:
        raise VaelabError(f"unknown gradient-boosting backend {backend!r}; choose one of: {', '.join(GBT_BACKENDS)}")
    x_tr, x_te = np.asarray(codes_train, dtype=np.float64), np.asarray(codes_test, dtype=np.float64)
    y_tr, y_te = np.asarray(targets_train), np.asarray(targets_test)
    y_tr, y_te = y_tr.reshape(len(y_tr), -1), y_te.reshape(len(y_te), -1)
    if len(x_tr) != len(y_tr) or len(x_te) != len(y_te) or y_tr.shape[1] != y_te.shape[1]:
        raise VaelabError("codes and targets must have matching lengths and the same number of target columns")
    if not (np.isfinite(x_tr).all() and np.isfinite(x_te).all()):
        raise VaelabError("codes contain NaN or infinite values; the model may have diverged")
    if max(sizes) > len(x_tr):
        raise VaelabError(f"downstream training size {max(sizes)} exceeds the {len(x_tr)} codes given")
    out: dict[str, float] = {}
    for n in sizes:
        accs = [_accuracy(backend, x_tr[:n], y_tr[:n, k], x_te, y_te[:, k]) for k in range(y_tr.shape[1])]
        for k, a in enumerate(accs):
            out[f"downstream.accuracy_{n}.{k}"] = a
        out[f"downstream.accuracy_{n}"] = float(np.mean(accs))
    if 100 in sizes and 10000 in sizes and out["downstream.accuracy_10000"] > 0:
        out["downstream.sample_efficiency"] = out["downstream.accuracy_100"] / out["downstream.accuracy_10000"]
    return out


def rank_correlation(scores: dict[str, Sequence[float]]) -> tuple[list[str], np.ndarray]:
    """Spearman rank correlation between every pair of scores measured on the same runs.

    Args:
        scores: Name -> one value per run (same run order for every name), e.g.
            ``{"mig": [...], "factor_vae": [...], "elbo": [...]}``.

    Returns:
        ``(names, matrix)`` with ``matrix[i, j]`` the Spearman correlation of scores ``i``, ``j``.
    """
    from scipy.stats import spearmanr

    names = list(scores)
    values = np.array([np.asarray(scores[n], dtype=np.float64) for n in names])
    if values.ndim != 2 or values.shape[1] < 3:
        raise VaelabError("rank correlation needs at least 3 runs with a value for every score")
    if not np.isfinite(values).all():
        raise VaelabError("rank correlation needs finite scores")
    rho = spearmanr(values, axis=1).statistic if len(names) > 2 else spearmanr(values[0], values[1]).statistic
    matrix = np.atleast_2d(np.asarray(rho, dtype=np.float64))
    if len(names) == 2:
        matrix = np.array([[1.0, float(rho)], [float(rho), 1.0]])
    return names, matrix
