"""The baselines' losses and estimators against closed forms and independent float64 computations."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from vaelab.losses import (
    adversarial_discriminator_loss,
    adversarial_generator_loss,
    dip_covariance,
    dip_penalty,
    discriminator_tc,
    discriminator_tc_loss,
    gaussian_log_density,
    l2_penalty,
    mws_log_densities,
    permute_dims,
    rae_code_penalty,
    reparameterize,
    total_correlation_mws,
)
from vaelab.nets import discriminator

F64 = torch.float64


def gaussian_tc(cov):
    """Closed-form total correlation of N(0, cov): (sum log diag - log det) / 2."""
    return 0.5 * (torch.log(torch.diagonal(cov)).sum() - torch.logdet(cov)).item()


def correlated_posteriors(m, cov_mu, var, seed):
    """Posteriors N(mu_i, var I) with mu_i ~ N(0, cov_mu): the aggregate is N(0, cov_mu + var I)."""
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(m, len(cov_mu), generator=g, dtype=F64) @ torch.linalg.cholesky(cov_mu).T
    logvar = torch.full_like(mu, math.log(var))
    z = mu + math.sqrt(var) * torch.randn(mu.shape, generator=g, dtype=F64)
    return z, mu, logvar


def test_gaussian_log_density_matches_scipy():
    g = torch.Generator().manual_seed(0)
    z, mu, logvar = (torch.randn(5, 3, generator=g, dtype=F64) for _ in range(3))
    expected = norm.logpdf(z.numpy(), mu.numpy(), np.exp(0.5 * logvar.numpy()))
    assert np.allclose(gaussian_log_density(z, mu, logvar).numpy(), expected, rtol=1e-12)


def test_mws_log_densities_match_a_loop_over_pairs():
    g = torch.Generator().manual_seed(1)
    z, mu, logvar = (torch.randn(6, 3, generator=g, dtype=F64) for _ in range(3))
    n = 1000
    log_qz, log_qz_dims = mws_log_densities(z, mu, logvar, n)
    sd = np.exp(0.5 * logvar.numpy())
    for i in range(6):
        dens = [norm.pdf(z[i].numpy(), mu[j].numpy(), sd[j]) for j in range(6)]
        assert log_qz[i].item() == pytest.approx(math.log(sum(d.prod() for d in dens) / (n * 6)), rel=1e-10)
        assert np.allclose(log_qz_dims[i].numpy(), np.log(np.sum(dens, axis=0) / (n * 6)), rtol=1e-10)


@pytest.mark.parametrize("cov_mu,expected", [
    (torch.eye(3, dtype=F64), 0.0),
    (torch.tensor([[1.0, 0.8, 0.4], [0.8, 1.0, 0.4], [0.4, 0.4, 1.0]], dtype=F64), None),
])
def test_mws_total_correlation_matches_the_closed_form_of_a_gaussian(cov_mu, expected):
    # With overlapping posteriors each -log(NM) normalisation leaves log N, so the estimate
    # is the true TC of the aggregate N(0, cov_mu + var I) plus (L - 1) log N.
    var, n = 0.3, 50_000
    truth = gaussian_tc(cov_mu + var * torch.eye(3, dtype=F64))
    if expected is not None:
        assert truth == expected
    z, mu, logvar = correlated_posteriors(1500, cov_mu, var, seed=2)
    estimate = total_correlation_mws(z, mu, logvar, n).item() - 2 * math.log(n)
    assert estimate == pytest.approx(truth, abs=0.03)
    if expected is None:
        assert truth > 0.3


def test_mws_accepts_the_dataset_size_as_a_tensor_and_keeps_gradients():
    z, mu, logvar = correlated_posteriors(50, torch.eye(2, dtype=F64), 0.5, seed=3)
    mu.requires_grad_(True)
    a = total_correlation_mws(z, mu, logvar, torch.tensor(1000.0, dtype=F64))
    assert a.item() == pytest.approx(total_correlation_mws(z, mu, logvar, 1000).item(), rel=1e-12)
    a.backward()
    assert mu.grad.abs().sum() > 0


def test_permute_dims_preserves_every_marginal_and_breaks_the_pairing():
    g = torch.Generator().manual_seed(4)
    z = torch.randn(500, 4, generator=g)
    p = permute_dims(z, torch.Generator().manual_seed(5))
    for d in range(4):
        assert torch.equal(p[:, d].sort().values, z[:, d].sort().values)
    assert (p != z).any(dim=1).float().mean() > 0.99
    assert torch.equal(p, permute_dims(z, torch.Generator().manual_seed(5)))


def test_permute_dims_removes_correlation():
    g = torch.Generator().manual_seed(6)
    x = torch.randn(20_000, 1, generator=g, dtype=F64)
    z = torch.cat([x, x + 0.1 * torch.randn(20_000, 1, generator=g, dtype=F64)], 1)
    p = permute_dims(z, g)
    assert np.corrcoef(z.T.numpy())[0, 1] > 0.99
    assert abs(np.corrcoef(p.T.numpy())[0, 1]) < 0.03


def test_discriminator_tc_is_the_log_density_ratio():
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(9, 2, generator=g, dtype=F64)
    d = torch.softmax(logits, 1)[:, 0]
    assert discriminator_tc(logits).item() == pytest.approx(torch.log(d / (1 - d)).mean().item(), rel=1e-12)


def test_discriminator_tc_loss_is_the_mean_cross_entropy():
    g = torch.Generator().manual_seed(8)
    a, b = torch.randn(5, 2, generator=g, dtype=F64), torch.randn(7, 2, generator=g, dtype=F64)
    pa, pb = torch.softmax(a, 1), torch.softmax(b, 1)
    expected = 0.5 * (-pa[:, 0].log().mean() - pb[:, 1].log().mean())
    assert discriminator_tc_loss(a, b).item() == pytest.approx(expected.item(), rel=1e-12)
    assert discriminator_tc_loss(torch.zeros(3, 2), torch.zeros(3, 2)).item() == pytest.approx(math.log(2))


def fit_tc_discriminator(z, steps=300, seed=0):
    torch.manual_seed(seed)
    d = discriminator(z.shape[1], [32, 32], 2)
    opt = torch.optim.Adam(d.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batch = z[torch.randint(len(z), (256,), generator=g)]
        loss = discriminator_tc_loss(d(batch), d(permute_dims(batch, g)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return discriminator_tc(d(z)).item()


@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_discriminator_tc_estimate_tracks_the_closed_form(rho):
    cov = torch.tensor([[1.0, rho], [rho, 1.0]])
    z = torch.distributions.MultivariateNormal(torch.zeros(2), cov).sample((4000,))
    truth = gaussian_tc(cov.double())
    estimate = fit_tc_discriminator(z)
    assert estimate == pytest.approx(truth, abs=0.15)
    if rho:
        assert truth > 0.8 and estimate > 0.5


def test_adversarial_losses_match_binary_cross_entropy():
    g = torch.Generator().manual_seed(9)
    real, fake = torch.randn(6, 1, generator=g, dtype=F64), torch.randn(4, 1, generator=g, dtype=F64)
    s = torch.sigmoid
    expected = -0.5 * (s(real).log().mean() + (1 - s(fake)).log().mean())
    assert adversarial_discriminator_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-12)
    assert adversarial_generator_loss(fake).item() == pytest.approx(-s(fake).log().mean().item(), rel=1e-12)
    assert adversarial_generator_loss(torch.tensor([[60.0]])).item() == pytest.approx(0.0, abs=1e-20)


def test_dip_covariances_match_numpy_and_monte_carlo():
    g = torch.Generator().manual_seed(10)
    mu = torch.randn(400, 3, generator=g, dtype=F64) @ torch.tensor([[1.0, 0.5, 0], [0, 1.0, 0.2], [0, 0, 0.5]], dtype=F64)
    logvar = torch.randn(400, 3, generator=g, dtype=F64) * 0.3 - 1.0
    assert np.allclose(dip_covariance(mu).numpy(), np.cov(mu.numpy().T, ddof=0), rtol=1e-12)
    z = torch.cat([reparameterize(mu, logvar) for _ in range(200)])
    assert np.allclose(dip_covariance(mu, logvar).numpy(), np.cov(z.numpy().T, ddof=0), atol=0.02)


def test_dip_penalty_closed_form():
    assert dip_penalty(torch.eye(4, dtype=F64), 10.0, 100.0).item() == 0.0
    cov = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64)
    assert dip_penalty(cov, 10.0, 100.0).item() == pytest.approx(10 * (0.25 + 0.25) + 100 * 1.0)
    assert dip_penalty(cov, 0.0, 0.0).item() == 0.0


def test_rae_penalties_closed_form():
    z = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=F64)
    assert rae_code_penalty(z).item() == pytest.approx(0.5 * 25 / 2)
    params = [torch.tensor([1.0, -2.0]), torch.tensor([[3.0]])]
    assert l2_penalty(params).item() == pytest.approx(14.0)
