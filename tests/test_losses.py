import math

import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from vaelab.errors import ConfigError
from vaelab.losses import bernoulli_nll, gaussian_kl, gaussian_nll, make_likelihood, reparameterize


def test_bernoulli_nll_matches_direct_formula_float64():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 1, 4, 4, generator=g, dtype=torch.float64)
    x = torch.rand(5, 1, 4, 4, generator=g, dtype=torch.float64)
    p = torch.sigmoid(logits)
    direct = -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1).mean()
    assert torch.allclose(bernoulli_nll(logits, x), direct, rtol=1e-12)


def test_bernoulli_nll_is_stable_for_extreme_logits():
    logits = torch.tensor([[-200.0, 200.0]])
    x = torch.tensor([[0.0, 1.0]])
    assert bernoulli_nll(logits, x).item() == pytest.approx(0.0, abs=1e-30)
    assert bernoulli_nll(-logits, x).item() == pytest.approx(400.0)


def test_gaussian_nll_is_summed_squared_error_averaged_over_batch():
    mean = torch.zeros(2, 3)
    x = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    assert gaussian_nll(mean, x).item() == pytest.approx((5 + 9) / 2)


@pytest.mark.parametrize("prior_var", [1.0, "vector"])
def test_gaussian_kl_matches_torch_distributions_float64(prior_var):
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(7, 4, generator=g, dtype=torch.float64)
    logvar = torch.randn(7, 4, generator=g, dtype=torch.float64)
    s2 = torch.rand(4, generator=g, dtype=torch.float64) + 0.1 if prior_var == "vector" else torch.ones(4, dtype=torch.float64)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = Independent(Normal(torch.zeros(4, dtype=torch.float64), s2.sqrt()), 1)
    expected = kl_divergence(q, p).mean()
    got = gaussian_kl(mu, logvar, s2 if prior_var == "vector" else 1.0)
    assert torch.allclose(got, expected, rtol=1e-12)


def test_gaussian_kl_is_zero_at_the_prior():
    assert gaussian_kl(torch.zeros(3, 5), torch.zeros(3, 5)).item() == 0.0


def test_reparameterize_has_the_posterior_moments():
    torch.manual_seed(0)
    mu = torch.full((200_000, 1), 1.5)
    logvar = torch.full((200_000, 1), math.log(0.25))
    z = reparameterize(mu, logvar)
    assert z.mean().item() == pytest.approx(1.5, abs=0.01)
    assert z.std().item() == pytest.approx(0.5, abs=0.01)


def test_reparameterize_passes_gradients_to_both_parameters():
    mu = torch.zeros(4, 2, requires_grad=True)
    logvar = torch.zeros(4, 2, requires_grad=True)
    reparameterize(mu, logvar).square().sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_likelihood_activations_follow_the_value_range():
    assert make_likelihood("gaussian", (0.0, 1.0)).activation == "sigmoid"
    assert make_likelihood("gaussian", (-1.0, 1.0)).activation == "tanh"
    assert make_likelihood("gaussian", None).activation == "identity"
    b = make_likelihood("bernoulli", (0.0, 1.0))
    raw = torch.tensor([[0.0, 2.0]])
    assert torch.allclose(b.mean(raw), torch.sigmoid(raw))
    with pytest.raises(ConfigError, match="Bernoulli likelihood needs data in"):
        make_likelihood("bernoulli", (-1.0, 1.0))
    with pytest.raises(ConfigError, match="unknown likelihood"):
        make_likelihood("poisson", (0.0, 1.0))


def test_imq_kernel_closed_form():
    x = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    from vaelab.losses import IMQ_SCALES, imq_kernel

    expected = sum((4.0 * s) / (4.0 * s + 25.0) for s in IMQ_SCALES)
    assert imq_kernel(x, y).item() == pytest.approx(expected, rel=1e-12)
    assert imq_kernel(x, x).item() == pytest.approx(len(IMQ_SCALES))


def test_mmd_zero_for_identical_sets_and_growing_with_a_shift():
    from vaelab.losses import mmd

    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 4, generator=g, dtype=torch.float64)
    assert mmd(x, x, unbiased=False).item() == pytest.approx(0.0, abs=1e-12)
    y = torch.randn(400, 4, generator=g, dtype=torch.float64)
    same = mmd(x, y).item()
    shifts = [mmd(x, y + s).item() for s in (0.25, 0.5, 1.0, 2.0)]
    assert abs(same) < 0.01
    assert all(a < b for a, b in zip([same] + shifts, shifts))
    assert shifts[0] > 5 * abs(same)


def test_unbiased_mmd_matches_a_loop_over_pairs():
    from vaelab.losses import imq_kernel, mmd

    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64)
    k = lambda a, b: imq_kernel(a[None], b[None]).item()
    sxx = sum(k(x[i], x[j]) for i in range(6) for j in range(6) if i != j) / 30
    syy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / 20
    sxy = sum(k(x[i], y[j]) for i in range(6) for j in range(5)) / 30
    assert mmd(x, y).item() == pytest.approx(sxx + syy - 2 * sxy, rel=1e-10)
