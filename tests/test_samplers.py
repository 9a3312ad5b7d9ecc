"""Samplers: fitted densities against scipy / scikit-learn, seeding, save / load, run integration."""

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from vaelab.errors import ConfigError, RunError
from vaelab.models import build_model
from vaelab.samplers import (
    SAMPLERS,
    GaussianSampler,
    GMMSampler,
    default_sampler_name,
    generate,
    load_sampler,
    make_sampler,
    save_sampler,
)


def model(name="vae", latent_dim=3):
    torch.manual_seed(0)
    return build_model(name, {"latent_dim": latent_dim, "architecture": "mlp", "likelihood": "bernoulli"},
                       (1, 8, 8), (0.0, 1.0))


def correlated_codes(n=4000, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.1, -0.3, 0.4]])
    return torch.randn(n, 3, generator=g) @ a.T + torch.tensor([1.0, -2.0, 0.5])


def blobs(n=3000, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[-4.0, 0.0], [4.0, 0.0], [0.0, 5.0]])
    return centres[torch.randint(3, (n,), generator=g)] + 0.5 * torch.randn(n, 2, generator=g)


def test_registry_and_defaults():
    assert {"prior", "gaussian", "gmm"} <= set(SAMPLERS)
    assert default_sampler_name(model("vae")) == "prior"
    assert default_sampler_name(model("rae")) == "gaussian"
    with pytest.raises(ConfigError, match="unknown sampler 'nope'"):
        make_sampler("nope", model())


def test_prior_sampler_is_the_models_prior():
    m = model()
    s = make_sampler("prior", m)
    a = s.sample(5, torch.Generator().manual_seed(1))
    assert torch.equal(a, m.sample_latent(5, torch.Generator().manual_seed(1)))
    assert torch.equal(generate(m, s, 5, torch.Generator().manual_seed(1)), m.sample(5, torch.Generator().manual_seed(1)))
    assert torch.allclose(s.log_prob(a), m.prior().log_prob(a))


def test_gaussian_fit_and_log_prob_match_numpy_and_scipy():
    codes = correlated_codes()
    s = GaussianSampler(3).fit(codes)
    x = codes.double().numpy()
    mean, cov = x.mean(0), np.cov(x.T, ddof=0)
    assert np.allclose(s.mean.numpy(), mean, rtol=1e-12)
    assert np.allclose((s.scale_tril @ s.scale_tril.T).numpy(), cov, rtol=1e-10)
    z = codes[:7].double()
    assert np.allclose(s.log_prob(z).numpy(), multivariate_normal(mean, cov).logpdf(z.numpy()), rtol=1e-10)


def test_gaussian_samples_have_the_fitted_moments_and_are_seeded():
    s = GaussianSampler(3).fit(correlated_codes())
    z = s.sample(50_000, torch.Generator().manual_seed(3)).double()
    assert torch.allclose(z.mean(0), s.mean, atol=0.02)
    assert torch.allclose(torch.cov(z.T), s.scale_tril @ s.scale_tril.T, atol=0.02)
    a, b = (s.sample(4, torch.Generator().manual_seed(4)) for _ in range(2))
    assert torch.equal(a, b) and a.dtype == torch.float32


def test_gaussian_fit_survives_collapsed_codes():
    codes = torch.zeros(100, 3)
    codes[:, 0] = torch.linspace(-1, 1, 100)
    s = GaussianSampler(3).fit(codes)
    assert torch.isfinite(s.sample(10, torch.Generator().manual_seed(0))).all()


def test_gmm_log_prob_matches_scikit_learn():
    from sklearn.mixture import GaussianMixture

    codes = blobs()
    s = GMMSampler(2, n_components=3).fit(codes, torch.Generator().manual_seed(0))
    ref = GaussianMixture(3, covariance_type="full").fit(codes.double().numpy())
    z = torch.tensor([[-4.0, 0.0], [4.0, 0.5], [0.0, 5.0], [10.0, 10.0]], dtype=torch.float64)
    assert np.allclose(s.log_prob(z).numpy(), ref.score_samples(z.numpy()), rtol=1e-3)
    assert sorted(s.weights.tolist()) == pytest.approx(sorted(ref.weights_.tolist()), abs=1e-3)


def test_gmm_samples_cover_every_component_and_are_seeded():
    s = GMMSampler(2, n_components=3).fit(blobs(), torch.Generator().manual_seed(0))
    z = s.sample(3000, torch.Generator().manual_seed(1))
    near = torch.cdist(z, torch.tensor([[-4.0, 0.0], [4.0, 0.0], [0.0, 5.0]])).argmin(1)
    assert torch.bincount(near, minlength=3).min() > 800
    assert torch.equal(s.sample(5, torch.Generator().manual_seed(2)), s.sample(5, torch.Generator().manual_seed(2)))


def test_bad_codes_and_unfitted_samplers_are_refused():
    with pytest.raises(RunError, match="not been fitted"):
        GaussianSampler(2).sample(3)
    with pytest.raises(ConfigError, match="at least 10 codes"):
        GMMSampler(2).fit(torch.randn(5, 2))
    with pytest.raises(ConfigError, match=r"shape \(N, 2\)"):
        GaussianSampler(2).fit(torch.randn(5, 3))
    with pytest.raises(ConfigError, match="NaN"):
        GaussianSampler(2).fit(torch.full((5, 2), float("nan")))


@pytest.mark.parametrize("name", ["gaussian", "gmm"])
def test_save_load_round_trip(tmp_path, name):
    m = model(latent_dim=2)
    s = make_sampler(name, m, **({"n_components": 3} if name == "gmm" else {}))
    s.fit(blobs(), torch.Generator().manual_seed(0))
    save_sampler(tmp_path / "s.pt", s, {"note": "x"})
    t, meta = load_sampler(tmp_path / "s.pt", m)
    assert meta == {"note": "x"} and type(t) is type(s) and t.options() == s.options()
    g = lambda: torch.Generator().manual_seed(5)
    assert torch.equal(t.sample(6, g()), s.sample(6, g()))
    with pytest.raises(RunError, match="latent size"):
        load_sampler(tmp_path / "s.pt", model(latent_dim=3))
    (tmp_path / "bad.pt").write_bytes(b"not a sampler")
    with pytest.raises(RunError, match="unreadable"):
        load_sampler(tmp_path / "bad.pt")


def test_run_samplers_are_fitted_once_saved_and_refitted_when_stale(tmp_path):
    from conftest import tiny_overrides
    from vaelab.config import build_config
    from vaelab.runs import Run
    from vaelab.samplers import run_sampler
    from vaelab.train import train

    out = tmp_path / "run"
    train(build_config(model="rae", dataset="digits", steps=3, overrides=tiny_overrides()), out, progress=False)
    run = Run(out)
    m = run.load_model("latest")
    with pytest.raises(RunError, match="no gaussian sampler"):
        run_sampler(run, "gaussian", m, "latest", fit=False)
    first = run_sampler(run, "gaussian", m, "latest")
    path = out / "samplers" / "gaussian.pt"
    stamp = path.stat().st_mtime_ns
    again = run_sampler(run, "gaussian", m, "latest", fit=False)
    assert path.stat().st_mtime_ns == stamp and torch.equal(again.mean, first.mean)
    train(build_config(model="rae", dataset="digits", steps=6, overrides=tiny_overrides()), out, resume=True,
          progress=False)
    m = run.load_model("latest")
    with pytest.raises(RunError, match="no gaussian sampler"):
        run_sampler(run, "gaussian", m, "latest", fit=False)
    assert not torch.equal(run_sampler(run, "gaussian", m, "latest").mean, first.mean)
