import itertools
import math

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from vaelab.data import load_dataset
from vaelab.errors import VaelabError
from vaelab.metrics.generative import (
    SETS,
    frechet_distance,
    generative_metrics,
    max_f_beta,
    prd_curve,
    precision_recall,
    reconstruction_mse,
)
from vaelab.models import build_model


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread: small CPU workloads are faster and robust to a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def with_moments(n: int, mean: np.ndarray, cov: np.ndarray, seed: int) -> torch.Tensor:
    """Samples whose sample mean and unbiased sample covariance are exactly ``mean`` and ``cov``."""
    x = np.random.default_rng(seed).standard_normal((n, len(mean)))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T
    return torch.from_numpy(x @ np.linalg.cholesky(cov).T + mean)


def gaussian_fd(mu1, s1, mu2, s2) -> float:
    root = scipy.linalg.sqrtm(scipy.linalg.sqrtm(s1) @ s2 @ scipy.linalg.sqrtm(s1)).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * root))


def test_with_moments_helper_is_exact():
    mean, cov = np.arange(3.0), np.diag([1.0, 2.0, 3.0])
    x = with_moments(50, mean, cov, 0).numpy()
    np.testing.assert_allclose(x.mean(0), mean, atol=1e-12)
    np.testing.assert_allclose(np.cov(x, rowvar=False), cov, atol=1e-12)


def test_fd_of_identical_sets_is_zero():
    x = torch.randn(300, 10, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def test_fd_of_mean_shift_is_squared_shift_and_monotone():
    x = torch.randn(400, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    shifts = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
    values = [frechet_distance(x, x + s) for s in shifts]
    assert all(a < b for a, b in itertools.pairwise(values))
    np.testing.assert_allclose(values, [6 * s**2 for s in shifts], rtol=1e-9, atol=1e-9)


def test_fd_matches_closed_form_for_diagonal_gaussians():
    d = 5
    mu1, mu2 = np.linspace(-1, 1, d), np.linspace(0.5, 2, d)
    v1, v2 = np.linspace(0.5, 2.0, d), np.linspace(3.0, 0.2, d)
    a = with_moments(200, mu1, np.diag(v1), 0)
    b = with_moments(300, mu2, np.diag(v2), 1)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_fd_matches_closed_form_for_full_covariances():
    rng = np.random.default_rng(3)
    d = 8
    m1, m2 = rng.standard_normal((d, d)), rng.standard_normal((d, d))
    s1, s2 = m1 @ m1.T + 0.1 * np.eye(d), m2 @ m2.T + 0.1 * np.eye(d)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    a, b = with_moments(500, mu1, s1, 4), with_moments(500, mu2, s2, 5)
    assert frechet_distance(a, b) == pytest.approx(gaussian_fd(mu1, s1, mu2, s2), rel=1e-7)
    assert frechet_distance(b, a) == pytest.approx(frechet_distance(a, b), rel=1e-7)


def test_fd_accepts_numpy_and_float32():
    x = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)
    assert frechet_distance(x, x + 1) == pytest.approx(3.0, rel=1e-5)


@pytest.mark.parametrize(
    "a, b, match",
    [
        (torch.zeros(10, 3), torch.zeros(10, 4), "different feature sizes"),
        (torch.zeros(1, 3), torch.zeros(10, 3), "at least 2"),
        (torch.zeros(10), torch.zeros(10), r"\(N, D\)"),
        (torch.full((10, 3), float("nan")), torch.zeros(10, 3), "NaN"),
    ],
)
def test_fd_bad_input(a, b, match):
    with pytest.raises(VaelabError, match=match):
        frechet_distance(a, b)


def test_prd_curve_matches_definition():
    real = torch.tensor([0.25, 0.25, 0.25, 0.25], dtype=torch.float64)
    gen = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    precision, recall = prd_curve(gen, real, num_angles=11)
    for k, theta in enumerate(np.linspace(1e-10, math.pi / 2 - 1e-10, 11)):
        lam = math.tan(theta)
        alpha = sum(min(lam * p, q) for p, q in zip(real.tolist(), gen.tolist()))
        assert precision[k].item() == pytest.approx(min(alpha, 1.0), abs=1e-12)
        assert recall[k].item() == pytest.approx(min(alpha / lam, 1.0), abs=1e-12)


def test_max_f_beta_half_coverage():
    # Q covers 2 of 4 equally likely modes: alpha = min(lam / 2, 1), beta = min(1 / 2, 1 / lam).
    real = torch.full((4,), 0.25, dtype=torch.float64)
    gen = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=torch.float64)
    precision, recall = prd_curve(gen, real, num_angles=100_001)
    lam = np.tan(np.linspace(1e-10, np.pi / 2 - 1e-10, 100_001))
    a, b = np.minimum(lam / 2, 1), np.minimum(0.5, 1 / lam)
    for beta in (8.0, 1 / 8):
        expected = np.max((1 + beta**2) * a * b / (beta**2 * a + b))
        assert max_f_beta(precision, recall, beta) == pytest.approx(expected, rel=1e-6)
    assert max_f_beta(precision, recall, 1 / 8) == pytest.approx(1 * 0.5 * (1 + 1 / 64) / (1 / 64 + 0.5), rel=1e-4)


def modes(n: int, centres: torch.Tensor, which: torch.Tensor, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return centres[which[torch.arange(n) % len(which)]] + 0.5 * torch.randn(n, centres.shape[1], generator=g)


CENTRES = 10.0 * torch.eye(4, 6)


def test_precision_recall_identical_sets():
    x = torch.randn(400, 6, generator=torch.Generator().manual_seed(0))
    pr = precision_recall(x, x, num_runs=3, generator=torch.Generator().manual_seed(0))
    assert pr["precision"] > 0.999 and pr["recall"] > 0.999


def test_precision_recall_disjoint_sets():
    real = modes(400, CENTRES, torch.tensor([0, 1]), 0)
    gen = modes(400, CENTRES, torch.tensor([2, 3]), 1)
    pr = precision_recall(real, gen, num_runs=3, generator=torch.Generator().manual_seed(0))
    assert pr["precision"] < 0.01 and pr["recall"] < 0.01


def test_precision_recall_half_of_the_modes():
    real = modes(800, CENTRES, torch.arange(4), 0)
    gen = modes(800, CENTRES, torch.tensor([0, 1]), 1)
    pr = precision_recall(real, gen, num_runs=3, generator=torch.Generator().manual_seed(0))
    assert pr["precision"] > 0.9
    assert 0.4 < pr["recall"] < 0.65
    swapped = precision_recall(gen, real, num_runs=3, generator=torch.Generator().manual_seed(0))
    assert swapped["recall"] > 0.9 and swapped["precision"] < 0.65


def test_precision_recall_is_deterministic_and_returns_the_curve():
    real = modes(300, CENTRES, torch.arange(4), 0)
    gen = modes(300, CENTRES, torch.tensor([0, 1, 2]), 1)
    runs = [precision_recall(real, gen, num_runs=2, num_angles=101, return_curve=True,
                             generator=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert runs[0] == runs[1]
    assert len(runs[0]["prd_precision"]) == len(runs[0]["prd_recall"]) == 101
    f8 = max_f_beta(torch.tensor(runs[0]["prd_precision"]), torch.tensor(runs[0]["prd_recall"]), 8.0)
    assert runs[0]["recall"] == pytest.approx(f8)


def test_precision_recall_bad_input():
    x = torch.randn(30, 4)
    with pytest.raises(VaelabError, match="at least 20"):
        precision_recall(x[:10], x[:10])
    with pytest.raises(VaelabError, match="as many generated as real"):
        precision_recall(x, x[:25])
    with pytest.raises(VaelabError, match="NaN"):
        precision_recall(x, x * float("inf"))
    assert set(precision_recall(x, x[:25], num_runs=1, enforce_balance=False)) == {"precision", "recall"}


def test_reconstruction_mse():
    x = torch.rand(4, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    y = torch.rand(4, 1, 3, 3, generator=torch.Generator().manual_seed(1))
    assert reconstruction_mse(x, y) == pytest.approx(float(np.mean((x.numpy() - y.numpy()) ** 2)), rel=1e-6)
    with pytest.raises(VaelabError):
        reconstruction_mse(x, y[:2])


@pytest.fixture(scope="module")
def tiny():
    data = load_dataset("digits", size=8, split="test")
    torch.manual_seed(0)
    model = build_model("vae", {"latent_dim": 4, "architecture": "mlp", "likelihood": "bernoulli"}, (1, 8, 8), (0.0, 1.0))
    torch.manual_seed(1)
    extractor = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh())
    extractor.num_features = 16
    return data, model, (extractor, {"kind": "custom", "name": "random projection", "dims": 16})


def run(tiny, seed=0, **kwargs):
    data, model, features = tiny
    options = {"num_samples": 10_000, "features": features, "pr_options": {"num_runs": 2}, "progress": False}
    return generative_metrics(model, data, torch.arange(len(data)), torch.Generator().manual_seed(seed),
                              **{**options, **kwargs})


def test_generative_metrics_end_to_end(tiny):
    data, model, _ = tiny
    out = run(tiny)
    expected = {"num_samples", "reconstruction_mse", "features"} | {f"{s}_{k}" for s in SETS for k in ("fd", "precision", "recall")}
    assert set(out) == expected
    assert out["num_samples"] == len(data) == 297
    assert out["features"]["name"] == "random projection"
    for key, value in out.items():
        if key != "features":
            assert math.isfinite(value)
    for s in SETS:
        assert out[f"{s}_fd"] > 0 and 0 <= out[f"{s}_precision"] <= 1 and 0 <= out[f"{s}_recall"] <= 1
    with torch.no_grad():
        x = data.images(torch.arange(len(data)))
        expected_mse = float(((model.reconstruct(x) - x) ** 2).mean())
    assert out["reconstruction_mse"] == pytest.approx(expected_mse, rel=1e-5)


def test_generative_metrics_is_deterministic_and_restores_mode(tiny):
    model = tiny[1]
    model.train()
    a, b = run(tiny, seed=3, num_samples=100, batch_size=32), run(tiny, seed=3, num_samples=100, batch_size=32)
    assert model.training
    assert a == b and a["num_samples"] == 100
    assert run(tiny, seed=4, num_samples=100)["prior_fd"] != a["prior_fd"]


def test_generative_metrics_subsets_and_random_interpolation(tiny):
    out = run(tiny, num_samples=60, which=("interpolation",), interpolation="random")
    assert set(out) == {"num_samples", "reconstruction_mse", "features", "interpolation_fd",
                        "interpolation_precision", "interpolation_recall"}
    with pytest.raises(VaelabError, match="unknown generated sets"):
        run(tiny, which=("samples",))
    with pytest.raises(VaelabError, match="unknown interpolation"):
        run(tiny, interpolation="slerp")


def test_generative_metrics_reports_non_finite_outputs(tiny):
    class Broken(nn.Module):
        num_features = 16

        def forward(self, x):
            return torch.full((len(x), 16), float("nan"))

    with pytest.raises(VaelabError, match="NaN"):
        run(tiny, num_samples=40, features=Broken())


def test_generative_metrics_default_features_are_trained_and_described(tiny, monkeypatch, tmp_path):
    monkeypatch.delenv("VAELAB_INCEPTION", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path / "cache"))
    out = run(tiny, num_samples=50, which=("prior",), features=None)
    info = out["features"]
    assert info["kind"] == "trained" and info["dims"] == 128 and info["accuracy"] > 0.5
    assert info["path"].startswith(str(tmp_path / "cache" / "features"))
    assert math.isfinite(out["prior_fd"])
