"""AVAE Algorithm 2, the PCA FactorVAE / PCA MIG metrics and direction angles on oracle codes."""

import numpy as np
import pytest
import torch

from vaelab.data.base import FactorGridDataset
from vaelab.errors import ConfigError, DataError
from vaelab.metrics.directions import (
    aggregate_directions,
    direction_angles,
    direction_votes,
    directions_from_votes,
    latent_directions,
    min_variance_directions,
    occupied_subspace,
    pca_factor_vae,
    pca_factor_vae_score,
    pca_mig,
    pca_mig_score,
    predict_factors,
)
from vaelab.metrics.disentanglement import CodeCache, mig, mig_score


class Toy(FactorGridDataset):
    name = "toy"
    factor_names = ("a", "b", "c")
    factor_sizes = (4, 5, 6)
    shape = (3, 1, 1)

    def render(self, factors):
        return self.check_factors(factors).float()[:, :, None, None]


ROTATION = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64))[0]


def rotated(x):
    """codes = centred factors @ R: factor k moves the codes along row k of R."""
    return (x.flatten(1).double() - torch.tensor([1.5, 2.0, 2.5], dtype=torch.float64)) @ ROTATION


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_min_variance_direction_is_the_smallest_principal_axis():
    rng = np.random.default_rng(0)
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    z = (rng.normal(size=(2, 500, 4)) * [3.0, 2.0, 1.0, 0.1]) @ q.T
    u = min_variance_directions(z).numpy()
    for p in range(2):
        _evals, evecs = np.linalg.eigh(np.cov(z[p].T))
        assert abs(u[p] @ evecs[:, 0]) > 1 - 1e-12
    assert abs(u[0] @ q[:, 3]) > 0.99
    assert np.allclose(np.linalg.norm(u, axis=1), 1.0)


def test_aggregate_maximises_sum_of_squared_projections():
    rng = np.random.default_rng(1)
    e = np.array([0.6, 0.8, 0.0])
    votes = e + 0.2 * rng.normal(size=(200, 3))
    votes *= rng.choice([-1.0, 1.0], size=(200, 1)) / np.linalg.norm(votes, axis=1, keepdims=True)
    u = aggregate_directions(votes).numpy()
    assert abs(u @ e) > 0.98 and np.linalg.norm(u) == pytest.approx(1.0)
    trials = rng.normal(size=(2000, 3))
    trials /= np.linalg.norm(trials, axis=1, keepdims=True)
    assert np.sum((votes @ u) ** 2) >= np.max(np.sum((votes @ trials.T) ** 2, axis=0)) - 1e-9
    # The sign of each vote does not matter.
    assert np.allclose(aggregate_directions(-votes).numpy(), u)


def test_algorithm2_recovers_known_orthogonal_directions():
    d = latent_directions(Toy(), rotated, gen(), num_votes=60, batch_size=50)
    assert d.shape == (3, 3)
    cos = torch.abs((d * ROTATION).sum(1))
    assert bool((cos > 0.99).all())


def test_votes_are_balanced_and_deterministic():
    u, labels = direction_votes(Toy(), rotated, gen(2), num_votes=10, batch_size=20)
    assert u.shape == (10, 3) and labels.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    u2, _ = direction_votes(Toy(), rotated, gen(2), num_votes=10, batch_size=20)
    assert torch.equal(u, u2)


def test_angles_orthogonal_identical_and_opposite():
    right = 90.0 * (1 - torch.eye(3, dtype=torch.float64))
    assert torch.allclose(direction_angles(torch.eye(3)), right)
    assert torch.allclose(direction_angles(ROTATION), right)
    same = direction_angles(torch.tensor([[1.0, 2.0], [2.0, 4.0], [-1.0, -2.0]]))
    assert torch.allclose(same, torch.zeros(3, 3, dtype=torch.float64), atol=1e-5)
    sixty = direction_angles(np.array([[1.0, 0.0], [0.5, np.sqrt(3) / 2]]))
    assert float(sixty[0, 1]) == pytest.approx(60.0)
    assert float(direction_angles(np.array([[1.0, 0.0], [-0.5, np.sqrt(3) / 2]]))[0, 1]) == pytest.approx(60.0)


def test_predict_factors_ignores_sign():
    d = np.eye(3)
    votes = np.array([[0.1, -0.9, 0.0], [-1.0, 0.2, 0.1], [0.0, 0.1, -0.5]])
    assert predict_factors(votes, d).tolist() == [1, 0, 2]


def test_pca_factor_vae_pure_form():
    train = np.array([[1.0, 0.05], [0.98, -0.1], [0.0, 1.0], [0.1, -1.0]])
    labels = np.array([0, 0, 1, 1])
    out = pca_factor_vae(train, labels, np.array([[0.9, 0.1], [0.2, 0.9], [1.0, 0.0]]), np.array([0, 1, 1]))
    assert out == {"pca_factor_vae.train_accuracy": 1.0, "pca_factor_vae.eval_accuracy": pytest.approx(2 / 3)}


def test_pca_mig_with_axis_directions_is_mig_with_ten_bins():
    rng = np.random.default_rng(0)
    y = rng.integers(5, size=(1000, 2))
    z = y + 0.3 * rng.normal(size=(1000, 2))
    assert pca_mig(z, y, np.eye(2))["pca_mig"] == pytest.approx(mig(z, y, num_bins=10)["mig"])
    assert pca_mig(z, y, 3 * np.eye(2)) == pca_mig(z, y, np.eye(2))


# Rotating the identity keeps each factor on one direction, which Algorithm 2 finds, while
# every latent axis mixes all factors.
def test_rotation_keeps_pca_metrics_high_and_drops_axis_mig():
    data = Toy()
    pfv = pca_factor_vae_score(data, rotated, gen(), batch_size=50, num_train=90, num_eval=60)
    assert pfv["pca_factor_vae.train_accuracy"] == pfv["pca_factor_vae.eval_accuracy"] == 1.0
    assert pca_mig_score(data, rotated, gen(), num_train=2000, num_votes=60, batch_size=50)["pca_mig"] > 0.9
    assert mig_score(data, rotated, gen(), num_train=2000)["mig"] < 0.5


def test_identity_and_constant_pca_factor_vae():
    data = Toy()
    ident = pca_factor_vae_score(data, lambda x: x.flatten(1), gen(), batch_size=50, num_train=60, num_eval=30)
    assert ident["pca_factor_vae.eval_accuracy"] == 1.0 and ident["pca_factor_vae.subspace_dims"] == 3.0
    zeros = lambda x: torch.zeros(len(x), 3)
    # Constant codes occupy no subspace: every score is 0, as for the FactorVAE metric ...
    const = pca_factor_vae_score(data, zeros, gen(), batch_size=50, num_train=60, num_eval=30)
    assert const == {"pca_factor_vae.train_accuracy": 0.0, "pca_factor_vae.eval_accuracy": 0.0,
                     "pca_factor_vae.subspace_dims": 0.0}
    assert pca_mig_score(data, zeros, gen(), num_train=200, num_votes=30, batch_size=20) == {"pca_mig": 0.0}
    with pytest.raises(DataError, match="no direction"):
        latent_directions(data, zeros, gen(), num_votes=30, batch_size=20)
    # ... while the paper's algorithm votes for one and the same axis: chance level.
    raw = pca_factor_vae_score(data, zeros, gen(), batch_size=50, num_train=60, num_eval=30, subspace="raw")
    assert raw["pca_factor_vae.eval_accuracy"] == pytest.approx(1 / 3)


def test_pca_mig_score_reuses_given_directions_and_cache():
    data = Toy()
    cache = CodeCache(data, rotated)
    d = latent_directions(data, cache, gen(), num_votes=60, batch_size=50)
    a = pca_mig_score(data, cache, gen(4), num_train=1000, directions=d)
    b = pca_mig_score(data, rotated, gen(4), num_train=1000, directions=d)
    assert a == pytest.approx(b) and a["pca_mig"] > 0.9
    assert torch.allclose(latent_directions(data, rotated, gen(), num_votes=60, batch_size=50), d)


def test_same_seed_same_scores():
    data = Toy()
    kw = {"batch_size": 20, "num_train": 30, "num_eval": 15}
    assert pca_factor_vae_score(data, rotated, gen(7), **kw) == pca_factor_vae_score(data, rotated, gen(7), **kw)
    d = latent_directions(data, rotated, gen(7), 20, 30)
    assert torch.equal(d, latent_directions(data, rotated, gen(7), 20, 30))


def test_errors():
    with pytest.raises(DataError, match="zero vector"):
        direction_angles(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(DataError, match="no votes"):
        directions_from_votes(np.eye(2), [0, 0], num_factors=2)
    with pytest.raises(DataError, match=r"\(P, B, L\)"):
        min_variance_directions(np.zeros((3, 4)))
    with pytest.raises(DataError, match="NaN"):
        min_variance_directions(np.full((1, 3, 2), np.nan))
    with pytest.raises(ConfigError, match="batch_size"):
        latent_directions(Toy(), rotated, gen(), batch_size=1)
    with pytest.raises(ConfigError, match="num_votes"):
        latent_directions(Toy(), rotated, gen(), num_votes=2)
    with pytest.raises(DataError, match="dimensions"):
        pca_mig(np.zeros((4, 3)), np.zeros((4, 1), dtype=int), np.eye(2))
    with pytest.raises(ConfigError, match="subspace"):
        latent_directions(Toy(), rotated, gen(), subspace="axes")
    with pytest.raises(ConfigError, match="num_spread_estimate"):
        latent_directions(Toy(), rotated, gen(), num_spread_estimate=1)


def test_occupied_subspace_keeps_the_directions_with_spread():
    rng = np.random.default_rng(3)
    q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    z = (rng.normal(size=(4000, 5)) * [2.0, 1.0, 0.5, 0.01, 1e-4]) @ q.T
    basis = occupied_subspace(z).numpy()
    assert basis.shape == (5, 3)
    assert np.allclose(basis.T @ basis, np.eye(3), atol=1e-12)
    # The kept columns span the first three principal axes of the data, largest first.
    for j in range(3):
        assert abs(basis[:, j] @ q[:, j]) > 0.999
    assert occupied_subspace(z, min_spread=0.0).shape == (5, 5)
    assert occupied_subspace(z, min_spread=5.0).shape == (5, 0)
    with pytest.raises(ConfigError, match="min_spread"):
        occupied_subspace(z, min_spread=-1.0)


class FiveFactors(FactorGridDataset):
    """Five factors; an observation is its factor values and its grid index (for per-item noise)."""

    name = "five"
    factor_names = ("a", "b", "c", "d", "e")
    factor_sizes = (4, 5, 6, 5, 4)
    shape = (6, 1, 1)

    def render(self, factors):
        f = self.check_factors(factors)
        return torch.cat([f, self.index_of(f)[:, None]], 1).float()[:, :, None, None]


def _oracle(rotate: str):
    """Codes of issue 12, item 5: 5 factors in [-1, 1] plus noise of std 0.05, rotated by a random
    orthogonal matrix, plus 3 dead axes of std 1e-3 (appended, or rotated together with the factors)."""
    data = FiveFactors()
    g = torch.Generator().manual_seed(5)
    noise = torch.randn(len(data), 8, generator=g, dtype=torch.float64) * torch.tensor([0.05] * 5 + [1e-3] * 3,
                                                                                       dtype=torch.float64)
    sizes = torch.tensor(data.factor_sizes, dtype=torch.float64)
    q5 = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))[0]
    q8 = torch.linalg.qr(torch.randn(8, 8, generator=g, dtype=torch.float64))[0]

    def encode(x):
        x = x.flatten(1).double()
        z = noise[x[:, 5].long()].clone()
        z[:, :5] += 2.0 * x[:, :5] / (sizes - 1) - 1.0
        return torch.cat([z[:, :5] @ q5, z[:, 5:]], 1) if rotate == "factors" else z @ q8

    truth = torch.cat([q5, torch.zeros(5, 3, dtype=torch.float64)], 1) if rotate == "factors" else q8[:5]
    return data, encode, truth


@pytest.mark.parametrize("rotate", ["factors", "all"])
def test_algorithm2_in_the_occupied_subspace_ignores_dead_axes(rotate):
    data, encode, truth = _oracle(rotate)
    cache = CodeCache(data, encode)
    kw = {"batch_size": 100, "num_spread_estimate": 2000}
    d = latent_directions(data, cache, gen(), num_votes=500, **kw)
    cos = torch.abs((d * truth).sum(1))
    assert bool((cos > 0.95).all()), cos
    raw = latent_directions(data, cache, gen(), num_votes=500, subspace="raw", **kw)
    # The paper's variant puts every factor's direction into the dead subspace.
    assert float(torch.abs((raw * truth).sum(1)).max()) < 0.05
    pfv = pca_factor_vae_score(data, cache, gen(), num_train=500, num_eval=500, **kw)
    assert pfv["pca_factor_vae.eval_accuracy"] > 0.98 and pfv["pca_factor_vae.subspace_dims"] == 5.0
    assert pca_factor_vae_score(data, cache, gen(), num_train=500, num_eval=500, subspace="raw",
                                **kw)["pca_factor_vae.eval_accuracy"] < 0.5
    assert pca_mig_score(data, cache, gen(), num_train=2000, num_votes=500, **kw)["pca_mig"] > 0.8
