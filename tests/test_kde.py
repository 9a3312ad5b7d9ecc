import math

import pytest
import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from vaelab import kde
from vaelab.kde import GaussianKDE, bandwidth, kde_log_prob, optimal_bandwidth


def direct(z, centres, h):
    mix = MixtureSameFamily(Categorical(torch.ones(len(centres), dtype=z.dtype)),
                            Independent(Normal(centres, torch.full_like(centres, h)), 1))
    return mix.log_prob(z)


def test_log_prob_matches_a_direct_float64_mixture_in_any_chunking():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(7, 5, generator=g, dtype=torch.float64)
    c = torch.randn(50, 5, generator=g, dtype=torch.float64)
    for chunk in (50, 7, 1):
        assert torch.allclose(kde_log_prob(z, c, 0.6, chunk=chunk), direct(z, c, 0.6), rtol=1e-12, atol=1e-12)


def test_log_prob_is_stable_far_from_every_centre():
    c = torch.zeros(3, 4, dtype=torch.float64)
    z = torch.full((1, 4), 200.0, dtype=torch.float64)
    expected = -0.5 * 4 * 200.0**2 / 0.25 - 0.5 * 4 * math.log(2 * math.pi * 0.25)
    assert kde_log_prob(z, c, 0.5).item() == pytest.approx(expected, rel=1e-12)


def test_leave_one_out_matches_direct_computation_across_chunks():
    g = torch.Generator().manual_seed(1)
    c = torch.randn(30, 3, generator=g, dtype=torch.float64)
    loo = torch.cat([kde_log_prob(c[i : i + 8], c, 0.7, chunk=11, exclude_self=True, offset=i) for i in range(0, 30, 8)])
    expected = torch.stack([direct(c[i : i + 1], torch.cat([c[:i], c[i + 1 :]]), 0.7)[0] for i in range(30)])
    assert torch.allclose(loo, expected, rtol=1e-12)


def test_gradient_reaches_queries_not_detached_centres():
    z = torch.randn(4, 3, requires_grad=True)
    c = torch.randn(20, 3)
    kde_log_prob(z, c, 0.5).sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0 and c.grad is None


def test_distribution_object():
    g = torch.Generator().manual_seed(0)
    d = GaussianKDE(torch.randn(200, 3, generator=g, dtype=torch.float64), 0.4)
    assert d.log_prob(torch.zeros(2, 5, 3, dtype=torch.float64)).shape == (2, 5)
    s1 = d.rsample((4,), generator=torch.Generator().manual_seed(3))
    s2 = d.rsample((4,), generator=torch.Generator().manual_seed(3))
    assert s1.shape == (4, 3) and torch.equal(s1, s2)
    big = d.rsample((40000,), generator=g)
    assert torch.allclose(big.var(0), d.variance, rtol=0.05)


@pytest.mark.parametrize("l,m,h_opt,h", [(10, 500, 0.74, 0.60), (20, 1000, 0.86, 0.65), (10, 2000, 0.67, 0.56)])
def test_bandwidth_reproduces_avae_tables_i_and_ii(l, m, h_opt, h):
    b = optimal_bandwidth(l, m, trials=1)
    assert b.h_opt == pytest.approx(h_opt, abs=0.02)
    assert b.h == pytest.approx(h, abs=0.02)
    assert b.alpha == pytest.approx(1 / math.sqrt(1 + b.h_opt**2))
    assert b.generation_variance == pytest.approx(1 - b.h**2)


def test_large_bandwidths_print_as_the_table_does():
    b = optimal_bandwidth(100, 500, trials=1)
    assert b.h_opt_label() == "> 1.0" and b.h == pytest.approx(0.76, abs=0.02)


def test_the_authors_adam_search_agrees_with_root_finding():
    adam = optimal_bandwidth(10, 500, trials=1, method="adam", iterations=200, seed=4)
    root = optimal_bandwidth(10, 500, trials=1, seed=4)
    assert adam.h_opt == pytest.approx(root.h_opt, abs=0.02)


def test_bandwidth_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path))
    first = bandwidth(6, 300, trials=1)
    monkeypatch.setattr(kde, "optimal_bandwidth", lambda *a, **k: pytest.fail("cache not used"))
    assert bandwidth(6, 300, trials=1) == first
    assert (tmp_path / "bandwidths.json").is_file()
