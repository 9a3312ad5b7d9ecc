"""Supervised disentanglement metrics on oracle representations of a tiny factor grid.

The "images" of :class:`Toy` are its factors themselves, so an encoder is any function of
the true factors: identity, constant, duplicated or rotated codes, as disentanglement_lib
tests its metrics.
"""

import sys

import numpy as np
import pytest
import torch
from sklearn.metrics import mutual_info_score

from vaelab.data import TensorDataset
from vaelab.data.base import FactorGridDataset
from vaelab.errors import ConfigError, DataError, VaelabError
from vaelab.metrics.disentanglement import (
    CodeCache,
    beta_vae,
    beta_vae_features,
    beta_vae_score,
    dci,
    dci_completeness,
    dci_disentanglement,
    dci_importance,
    dci_score,
    encode_observations,
    factor_vae,
    factor_vae_score,
    factor_vae_votes,
    histogram_discretize,
    mig,
    mig_score,
    sap,
    sap_score,
)

try:
    import lightgbm  # noqa: F401
    DCI_BACKEND = "lightgbm"
except ImportError:
    DCI_BACKEND = "sklearn"


class Toy(FactorGridDataset):
    name = "toy"
    factor_names = ("a", "b", "c")
    factor_sizes = (4, 5, 6)
    shape = (3, 1, 1)

    def render(self, factors):
        return self.check_factors(factors).float()[:, :, None, None]


def identity(x):
    return x.flatten(1)


def constant(x):
    return torch.zeros(len(x), 3)


def duplicated(x):
    return torch.cat([x.flatten(1), x.flatten(1)], dim=1)


def rotated(x):
    r = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(1)))[0]
    return (x.flatten(1) - torch.tensor([1.5, 2.0, 2.5])) @ r


SMALL = {
    beta_vae_score: {"num_train": 300, "num_eval": 150, "batch_size": 16},
    factor_vae_score: {"num_train": 300, "num_eval": 150, "num_variance_estimate": 1000},
    mig_score: {"num_train": 2000},
    dci_score: {"num_train": 600, "num_test": 300, "backend": DCI_BACKEND},
    sap_score: {"num_train": 600, "num_test": 300},
}


def score(metric, encode, seed=0, data=None, **kw):
    return metric(data or Toy(), encode, torch.Generator().manual_seed(seed), **{**SMALL[metric], **kw})


# Identity codes: the fixed factor's code has exactly zero variance / difference, so the
# vote-based metrics are exactly 1; MIG is 1 minus the small plug-in bias of the mutual
# information of the other dimensions; trees split only on the matching dimension.
def test_identity_scores_near_one():
    assert score(beta_vae_score, identity)["beta_vae.eval_accuracy"] > 0.95
    fv = score(factor_vae_score, identity)
    assert fv["factor_vae.train_accuracy"] == fv["factor_vae.eval_accuracy"] == 1.0
    assert fv["factor_vae.num_active_dims"] == 3
    assert score(mig_score, identity)["mig"] > 0.95
    d = score(dci_score, identity)
    assert d["dci.disentanglement"] > 0.9 and d["dci.completeness"] > 0.9
    assert d["dci.informativeness_test"] > 0.95


# Constant codes carry nothing: zero MI, every dimension pruned, no tree split, equal SVM
# accuracies; the beta-VAE classifier can only guess one of the 3 factors.
def test_constant_scores_near_zero():
    assert score(mig_score, constant)["mig"] == 0.0
    assert score(factor_vae_score, constant) == {
        "factor_vae.train_accuracy": 0.0, "factor_vae.eval_accuracy": 0.0, "factor_vae.num_active_dims": 0.0}
    assert score(beta_vae_score, constant)["beta_vae.eval_accuracy"] < 0.5
    assert score(dci_score, constant)["dci.disentanglement"] == pytest.approx(0.0, abs=1e-6)
    assert score(sap_score, constant)["sap"] == 0.0


# Two identical copies give equal MI and accuracies (zero gaps) while the FactorVAE vote
# goes to the first copy every time.
def test_duplicated_latents():
    assert score(mig_score, duplicated)["mig"] == pytest.approx(0.0, abs=1e-12)
    assert score(sap_score, duplicated)["sap"] == pytest.approx(0.0, abs=1e-12)
    assert score(factor_vae_score, duplicated)["factor_vae.eval_accuracy"] == 1.0


def test_rotation_lowers_axis_metrics():
    assert score(mig_score, rotated)["mig"] < 0.5
    assert score(dci_score, rotated)["dci.disentanglement"] < 0.5


# SAP compares single-dimension accuracies, and an uninformative dimension still scores the
# chance accuracy of a balanced classifier, so a perfect representation stays below 1.
def test_sap_identity_between_chance_and_one():
    assert 0.3 < score(sap_score, identity)["sap"] <= 1.0


def test_mig_matches_independent_sklearn_computation():
    rng = np.random.default_rng(0)
    y = np.stack([rng.integers(4, size=3000), rng.integers(7, size=3000)], 1)
    z = np.stack([np.sin(y[:, 0]) + 0.3 * rng.normal(size=3000), y[:, 1] ** 2 + y[:, 0],
                  rng.normal(size=3000)], 1)
    gaps = []
    for k in range(2):
        mi = []
        for j in range(3):
            _counts, edges = np.histogram(z[:, j], bins=20)
            mi.append(mutual_info_score(y[:, k], np.digitize(z[:, j], edges[:-1])))
        mi = sorted(mi, reverse=True)
        gaps.append((mi[0] - mi[1]) / mutual_info_score(y[:, k], y[:, k]))
    assert mig(z, y)["mig"] == pytest.approx(np.mean(gaps), rel=1e-12)
    assert mig(torch.from_numpy(z), torch.from_numpy(y)) == mig(z, y)


def test_histogram_discretize_bins():
    z = np.array([[0.0, 5.0], [0.5, 5.0], [1.0, 5.0]])
    bins = histogram_discretize(z, num_bins=2)
    assert bins[:, 0].tolist() == [1, 2, 2]
    assert len(set(bins[:, 1])) == 1


def test_dci_importance_closed_forms():
    assert dci_disentanglement(np.eye(3)) == pytest.approx(1.0)
    assert dci_completeness(np.eye(3)) == pytest.approx(1.0)
    assert dci_disentanglement(np.ones((3, 3))) == pytest.approx(0.0, abs=1e-9)
    # Two codes both explaining factor 0: each code is disentangled, factor 0 is not complete.
    r = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert dci_disentanglement(r) == pytest.approx(1.0)
    assert dci_completeness(r) == pytest.approx(0.0, abs=1e-9)
    assert dci_disentanglement(np.zeros((2, 2))) == pytest.approx(0.0, abs=1e-9)


def test_dci_importance_columns_normalised():
    g = torch.Generator().manual_seed(0)
    data = Toy()
    y = data.sample_factors(400, g).numpy()
    z = np.concatenate([y, np.random.default_rng(0).normal(size=(400, 1))], 1)
    r, train, test = dci_importance(z[:300], y[:300], z[300:], y[300:], backend=DCI_BACKEND)
    assert r.shape == (4, 3) and train.shape == test.shape == (3,)
    assert np.allclose(r.sum(0), 1.0)
    assert np.all(np.argmax(r, axis=0) == [0, 1, 2])


def test_dci_sklearn_backend_agrees_on_identity():
    data = Toy()
    y = data.sample_factors(300, torch.Generator().manual_seed(0))
    out = dci(y, y, y[:100], y[:100], backend="sklearn")
    assert out["dci.disentanglement"] > 0.9
    assert out["dci.informativeness_test"] == 1.0


def test_dci_lightgbm_missing_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    y = np.array([[0], [1]] * 4)
    with pytest.raises(ConfigError, match="pip install lightgbm"):
        dci(y, y, y, y, backend="lightgbm")


def test_beta_vae_pure_forms():
    a = np.zeros((2, 3, 2))
    b = np.array([[[1, 0], [3, 0], [2, 0]], [[0, 1], [0, 1], [0, 4]]], dtype=float)
    assert beta_vae_features(a, b).tolist() == [[2.0, 0.0], [0.0, 2.0]]
    feats = np.array([[0.0, 1.0], [1.0, 0.0]] * 10)
    labels = np.array([0, 1] * 10)
    out = beta_vae(feats, labels, feats[:4], labels[:4])
    assert out == {"beta_vae.train_accuracy": 1.0, "beta_vae.eval_accuracy": 1.0}


def test_factor_vae_pure_forms():
    z = np.zeros((3, 4, 3))
    z[:, :, 0] = [1, 2, 3, 4]          # dimension 0 varies in every batch
    z[0, :, 2] = [0, 1, 0, 1]          # batch 0: dimension 1 is constant -> vote dim 1
    z[1:, :, 1] = [0, 1, 0, 1]         # batches 1, 2: dimension 2 is constant -> vote dim 2
    votes = factor_vae_votes(z, [0, 1, 0], np.ones(3), num_factors=2)
    assert votes.tolist() == [[0, 1, 1], [0, 0, 1]]
    pruned = factor_vae_votes(z, [0, 1, 0], np.array([1.0, 1.0, 1e-4]), num_factors=2)
    assert pruned.tolist() == [[0, 2, 0], [0, 1, 0]]   # dimension 2 pruned: least variance among 0, 1
    out = factor_vae(np.array([[3, 1], [0, 2]]), np.array([[1, 0], [1, 1]]))
    assert out == {"factor_vae.train_accuracy": 5 / 6, "factor_vae.eval_accuracy": 2 / 3}


def test_sap_pure_form_two_classes():
    rng = np.random.default_rng(0)
    y = rng.integers(2, size=(400, 1))
    z = np.concatenate([y + 0.01 * rng.normal(size=(400, 1)), rng.normal(size=(400, 1))], 1)
    out = sap(z[:300], y[:300], z[300:], y[300:])["sap"]
    assert 0.3 < out <= 0.6          # 1.0 for the informative dimension minus ~chance


@pytest.mark.parametrize("metric", list(SMALL))
def test_same_generator_seed_same_scores(metric):
    assert score(metric, rotated, seed=3) == score(metric, rotated, seed=3)


def test_different_seeds_sample_differently():
    assert score(mig_score, rotated, seed=1) != score(mig_score, rotated, seed=2)


@pytest.mark.parametrize("metric", list(SMALL))
def test_code_cache_gives_the_encoder_scores(metric):
    data = Toy()
    direct = score(metric, rotated, seed=5, data=data)
    cached = score(metric, CodeCache(data, rotated), seed=5, data=data)
    assert cached == pytest.approx(direct, abs=1e-9)


def test_code_cache_encodes_each_item_once():
    data = Toy()
    seen = []

    def counting(x):
        seen.append(len(x))
        return identity(x)

    cache = CodeCache(data, counting, batch_size=50)
    f = data.sample_factors(500, torch.Generator().manual_seed(0))
    assert np.array_equal(cache(f), f.numpy().astype(np.float32))
    assert sum(seen) == cache.num_encoded <= len(data)
    cache.fill()
    before = sum(seen)
    cache(data.sample_factors(1000, torch.Generator().manual_seed(1)))
    assert sum(seen) == before == len(data) and cache.num_encoded == len(data)


def test_encode_observations_accepts_numpy_and_batches():
    x = torch.arange(12.0).reshape(6, 2, 1, 1)
    z = encode_observations(lambda b: b.flatten(1).numpy() * 2, x, batch_size=4)
    assert z.dtype == np.float32 and z.tolist() == (x.flatten(1) * 2).tolist()


def test_errors_are_clear():
    data = Toy()
    g = torch.Generator().manual_seed(0)
    with pytest.raises(DataError, match="ground-truth factors"):
        mig_score(TensorDataset(torch.zeros(4, 1, 2, 2), "plain"), identity, g)
    with pytest.raises(ConfigError, match="torch.Generator"):
        mig_score(data, identity, 0)
    with pytest.raises(DataError, match="NaN"):
        mig_score(data, lambda x: identity(x) * float("nan"), g, num_train=50)
    with pytest.raises(DataError, match=r"\(B, L\)"):
        mig_score(data, lambda x: x, g, num_train=50)
    with pytest.raises(ConfigError, match="num_train"):
        mig_score(data, identity, g, num_train=0)
    with pytest.raises(DataError, match="NaN"):
        mig(np.array([[0.0, np.nan], [1.0, 2.0]]), np.array([[0], [1]]))
    with pytest.raises(DataError, match=r"\(N, L\)"):
        mig(np.zeros(5), np.zeros((5, 1), dtype=int))
    with pytest.raises(DataError, match="rows"):
        mig(np.zeros((5, 2)), np.zeros((4, 1), dtype=int))
    with pytest.raises(DataError, match="integer"):
        mig(np.zeros((2, 2)), np.array([[0.5], [1.0]]))
    with pytest.raises(DataError, match="2 code dimensions"):
        mig(np.zeros((4, 1)), np.array([[0], [1], [0], [1]]))
    with pytest.raises(DataError, match="single value"):
        mig(np.random.default_rng(0).normal(size=(4, 2)), np.zeros((4, 1), dtype=int))
    with pytest.raises(ConfigError, match="backend"):
        dci(np.zeros((4, 2)), np.array([[0], [1]] * 2), np.zeros((2, 2)), np.array([[0], [1]]), backend="xgb")
    with pytest.raises(DataError, match="disagree"):
        sap(np.zeros((4, 2)), np.array([[0], [1]] * 2), np.zeros((2, 3)), np.array([[0], [1]]))
    with pytest.raises(ConfigError, match=r"\.eval\(\)"):
        mig_score(data, torch.nn.Flatten(), g)
    assert mig_score(data, torch.nn.Flatten().eval(), g, num_train=100)["mig"] > 0.5
    with pytest.raises(ConfigError, match="another dataset"):
        mig_score(Toy(), CodeCache(data, identity), g)
    assert issubclass(DataError, VaelabError) and issubclass(ConfigError, VaelabError)
