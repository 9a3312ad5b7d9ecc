
import math

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal, kl_divergence

from vaelab.errors import VaelabError
from vaelab.metrics.latent import (
    total_variance,
    active_dimensions,
    decoder_jacobian_weights,
    gaussian_fit_kl,
    mmd_to_prior,
    normal_reference_entropy,
    relevance_scores,
    whitened_kde_entropy,
)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path))


def test_gaussian_fit_kl_matches_torch_distributions_float64():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(500, 4, generator=g, dtype=torch.float64) @ torch.randn(4, 4, generator=g, dtype=torch.float64) + 0.3
    mu, cov = z.mean(0), torch.cov(z.T)
    for s2 in (1.0, 0.64):
        expected = kl_divergence(MultivariateNormal(mu, cov), MultivariateNormal(torch.zeros(4, dtype=torch.float64),
                                                                                 s2 * torch.eye(4, dtype=torch.float64)))
        assert gaussian_fit_kl(z, s2) == pytest.approx(float(expected), rel=1e-10)


def test_gaussian_fit_kl_against_a_diagonal_prior_matches_torch_distributions():
    g = torch.Generator().manual_seed(7)
    z = torch.randn(400, 3, generator=g, dtype=torch.float64) @ torch.randn(3, 3, generator=g, dtype=torch.float64)
    s2 = torch.tensor([0.5, 2.0, 1e-3], dtype=torch.float64)
    expected = kl_divergence(MultivariateNormal(z.mean(0), torch.cov(z.T)), MultivariateNormal(torch.zeros(3).double(),
                                                                                               torch.diag(s2)))
    assert gaussian_fit_kl(z, s2) == pytest.approx(float(expected), rel=1e-10)
    assert gaussian_fit_kl(z, torch.full((3,), 0.64, dtype=torch.float64)) == pytest.approx(gaussian_fit_kl(z, 0.64), rel=1e-12)
    with pytest.raises(VaelabError, match="prior_var"):
        gaussian_fit_kl(z, torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(VaelabError, match="prior_var"):
        gaussian_fit_kl(z, torch.ones(2))


@pytest.mark.parametrize("name", ["vae", "avae", "ard_vae"])
def test_latent_statistics_score_every_model_against_its_own_prior(name):
    from vaelab.evaluate import EvalContext, METRICS
    from vaelab.models import build_model

    cfg = {"latent_dim": 3, "architecture": "mlp", "likelihood": "bernoulli", **({"kde_samples": 50} if name == "avae" else {})}
    model = build_model(name, cfg, (1, 8, 8), (0.0, 1.0)).eval()
    if name == "ard_vae":
        model.prior_variance.copy_(torch.tensor([0.5, 2.0, 1.5]))
    codes = torch.randn(300, 3, generator=torch.Generator().manual_seed(8), dtype=torch.float64) * 0.8
    ctx = EvalContext(None, model, None, None, None, torch.device("cpu"), None, False, extras={"codes": codes})
    out = METRICS["latent"](ctx, torch.Generator().manual_seed(0))
    assert out["latent.kl_gaussian"] == gaussian_fit_kl(codes)
    if name == "vae":
        assert "latent.kl_gaussian_model_prior" not in out
        return
    variance = (1.0 - model.h.double() ** 2).expand(3) if name == "avae" else torch.tensor([0.5, 2.0, 1.5])
    expected = kl_divergence(MultivariateNormal(codes.mean(0), torch.cov(codes.T)),
                             MultivariateNormal(torch.zeros(3).double(), torch.diag(variance.double())))
    assert out["latent.kl_gaussian_model_prior"] == pytest.approx(float(expected), rel=1e-6)


def test_gaussian_fit_kl_is_near_zero_for_prior_samples():
    z = torch.randn(20000, 3, generator=torch.Generator().manual_seed(1))
    assert gaussian_fit_kl(z) < 0.002


def test_entropy_of_a_standard_normal_approaches_half_the_dimension():
    g = torch.Generator().manual_seed(2)
    values = [whitened_kde_entropy(torch.randn(m, 4, generator=g, dtype=torch.float64))["entropy"]
              for m in (250, 1000, 4000)]
    assert all(v > 2.0 for v in values)
    assert values[0] > values[1] > values[2]
    assert values[2] - 2.0 < 0.5 * (values[0] - 2.0)


def test_entropy_ignores_affine_maps_and_drops_for_clusters():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(1500, 3, generator=g, dtype=torch.float64)
    a = torch.randn(3, 3, generator=g, dtype=torch.float64)
    base = whitened_kde_entropy(z, h=0.5)["entropy"]
    assert whitened_kde_entropy(z @ a + 5.0, h=0.5)["entropy"] == pytest.approx(base, abs=1e-8)
    corners = torch.tensor([[x, y, z] for x in (-4.0, 4.0) for y in (-4.0, 4.0) for z in (-4.0, 4.0)], dtype=torch.float64)
    clusters = corners[torch.randint(8, (1500,), generator=g)] + 0.3 * torch.randn(1500, 3, generator=g, dtype=torch.float64)
    drop = base - whitened_kde_entropy(clusters, h=0.5)["entropy"]
    assert drop > 1.0, drop


def test_entropy_of_collapsed_codes_is_an_error():
    z = torch.randn(100, 3)
    z[:, 2] = 0.0
    with pytest.raises(VaelabError, match="singular"):
        whitened_kde_entropy(z)


def _authors_entropy(x: np.ndarray, h: float, tail: float = 5e-4, fudge: float = 1e-4) -> float:
    """An independent NumPy / SciPy transcription of the authors' entropy evaluation: ZCA whitening
    with the uncentred second-moment matrix, leave-one-out KDE without the (2 pi)^(-l/2) factor,
    plus the floor exp(-chi2_l^{-1}(1 - t) / 2) / h^l, mean of -log."""
    from scipy.spatial.distance import pdist, squareform
    from scipy.stats import chi2

    n, l = x.shape
    d, v = np.linalg.eigh(x.T @ x / (n - 1.0))
    w = x @ (v @ np.diag(1.0 / np.sqrt(d + fudge)) @ v.T)
    kernel = np.exp(squareform(pdist(w) ** 2) / (-2.0 * h * h)) / h**l
    np.fill_diagonal(kernel, 0.0)
    prob = kernel.sum(1) / (n - 1.0) + np.exp(-chi2.ppf(1.0 - tail, df=l) / 2.0) / h**l
    return float(np.mean(-np.log(prob)))


def test_code_entropy_matches_an_independent_transcription_of_the_authors_code():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 3)) + 0.7
    x[:200] *= 0.2  # a dense core, where the floor matters little, and a sparse shell
    for h in (0.3, 0.6):
        ours = whitened_kde_entropy(torch.from_numpy(x), h=h, variant="code")["entropy"]
        assert ours == pytest.approx(_authors_entropy(x, h), rel=1e-10)


def test_entropy_variants_differ_as_documented():
    g = torch.Generator().manual_seed(6)
    z = torch.randn(800, 3, generator=g, dtype=torch.float64)
    vaelab = whitened_kde_entropy(z, h=0.5)["entropy"]
    code = whitened_kde_entropy(z, h=0.5, variant="code")["entropy"]
    # The floor only adds density: the authors' variant is lower on the same (centred) codes.
    assert code < vaelab
    # Uncentred whitening: a shift of the codes changes the authors' variant, not vaelab's.
    assert whitened_kde_entropy(z + 3.0, h=0.5)["entropy"] == pytest.approx(vaelab, abs=1e-9)
    assert abs(whitened_kde_entropy(z + 3.0, h=0.5, variant="code")["entropy"] - code) > 0.1
    # The fudge makes collapsed codes measurable in the authors' variant.
    flat = z.clone()
    flat[:, 2] = 0.0
    assert math.isfinite(whitened_kde_entropy(flat, h=0.5, variant="code")["entropy"])
    with pytest.raises(VaelabError, match="variant"):
        whitened_kde_entropy(z, variant="paper")


def test_normal_reference_is_the_estimator_on_exact_normal_codes():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(600, 4, generator=g, dtype=torch.float64)
    for variant in ("vaelab", "code"):
        expected = whitened_kde_entropy(z, h=0.55, variant=variant)["entropy"]
        assert normal_reference_entropy(4, 600, 0.55, variant) == expected
    # Both estimators are biased away from the nominal ground truth l / 2 = 2 at this size.
    assert normal_reference_entropy(4, 600, 0.55) - 2.0 > 0.1


def test_mmd_to_prior():
    g = torch.Generator().manual_seed(4)
    near = mmd_to_prior(torch.randn(3000, 4, generator=g), torch.Generator().manual_seed(0), num_samples=1000)
    far = mmd_to_prior(torch.randn(3000, 4, generator=g) + 1.0, torch.Generator().manual_seed(0), num_samples=1000)
    assert abs(near) < 0.01 and far > 10 * abs(near)


def brute_force(decoder, z):
    jac = torch.stack([torch.autograd.functional.jacobian(lambda v: decoder(v[None])[0], zi) for zi in z])
    return jac.reshape(len(z), -1, z.shape[1])  # (N, D, L)


@pytest.mark.parametrize("reading", ["code", "paper"])
def test_jacobian_weights_match_brute_force_autograd(reading):
    torch.manual_seed(0)
    decoder = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 12),
                                  torch.nn.Unflatten(1, (3, 2, 2))).double()
    z = torch.randn(9, 5, dtype=torch.float64)
    jac = brute_force(decoder, z)
    expected = jac.abs().mean(0).square().sum(0) if reading == "code" else jac.square().mean(0).sum(0)
    got = decoder_jacobian_weights(decoder, z, reading=reading, chunk=2)
    assert torch.allclose(got, expected, rtol=1e-10)


def test_relevance_ignores_axes_the_decoder_does_not_use():
    torch.manual_seed(1)
    lin = torch.nn.Linear(4, 30).double()
    with torch.no_grad():
        lin.weight[:, 3] = 0.0
    z = torch.randn(100, 4, dtype=torch.float64)
    scores = relevance_scores(lin, z)
    assert scores[3] == 0.0 and bool((scores[:3] > 0).all())
    assert 3 not in active_dimensions(scores).tolist()


def test_active_dimensions_on_constructed_scores():
    scores = torch.tensor([5.0, 0.001, 3.0, 0.002, 1.0, 0.0])
    assert active_dimensions(scores).tolist() == [0, 2, 4]
    assert active_dimensions(scores, fraction=0.5).tolist() == [0]
    assert active_dimensions(torch.tensor([1.0, 1.0, 1.0, 1.0])).tolist() == [0, 1, 2, 3]
    with pytest.raises(VaelabError):
        active_dimensions(torch.tensor([1.0, -1.0]))


def test_total_variance_sums_the_unbiased_axis_variances():
    z = torch.tensor([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]], dtype=torch.float64)
    # axis 0: mean 2, variance (4 + 0 + 4) / 2 = 4; axis 1: mean 2, variance (1 + 1 + 4) / 2 = 3
    assert total_variance(z) == pytest.approx(7.0)
    g = torch.Generator().manual_seed(0)
    assert total_variance(torch.randn(20_000, 5, generator=g) * 2.0) == pytest.approx(20.0, rel=0.03)


class _Gated(torch.nn.Module):
    """A model stub whose own rule names two active axes of three."""

    def __init__(self, own):
        super().__init__()
        self.lin = torch.nn.Linear(3, 4)
        self.own = own

    def decode(self, z):
        return self.lin(z)

    def relevance_variance(self, codes):
        return codes.square().mean(0)

    def active_axes(self):
        return self.own


def test_latent_statistics_reports_the_models_own_active_axes_beside_the_relevance_count():
    from vaelab.metrics.latent import latent_statistics

    g = torch.Generator().manual_seed(1)
    codes = torch.randn(300, 3, generator=g)
    out = latent_statistics(_Gated(torch.tensor([0, 2])), codes, torch.Generator().manual_seed(0))
    assert out["latent.active_dims"] == 2.0
    assert out["latent.active_dims_relevance"] == 3.0  # every axis reaches the linear decoder
    out = latent_statistics(_Gated(None), codes, torch.Generator().manual_seed(0))
    assert out["latent.active_dims"] == out["latent.active_dims_relevance"] == 3.0
    assert out["latent.total_variance"] == pytest.approx(float(codes.double().var(0).sum()))
