"""ARD-VAE: prior re-estimation, KL forms, relevance through the model, active axes, resume."""

import math
from types import SimpleNamespace

import pytest
import torch
from torch.distributions import Normal, StudentT, kl_divergence

from conftest import tiny_overrides
from vaelab.config import build_config
from vaelab.errors import ConfigError
from vaelab.losses import gaussian_kl, reparameterize
from vaelab.models import ARDVAE, build_model
from vaelab.models.ard_vae import ard_prior, gamma_posterior, split_alpha, student_t_kl
from vaelab.runs import Run
from vaelab.train import Interrupted, train

SHAPE = (1, 8, 8)


def make(latent_dim=4, seed=0, **fields):
    torch.manual_seed(seed)
    config = {"latent_dim": latent_dim, "architecture": "mlp", "likelihood": "gaussian", "alpha_size": 40, **fields}
    return build_model("ard_vae", config, SHAPE, None)


def fake_context(n=120, n_val=30, epoch=0, seed=3):
    g = torch.Generator().manual_seed(7)
    images = torch.rand(n + n_val, *SHAPE, generator=g)
    order = torch.randperm(n + n_val, generator=g)
    index = order[:n]

    def batches(idx, batch_size=25):
        for i in range(0, len(idx), batch_size):
            yield images[idx[i : i + batch_size]]

    return SimpleNamespace(images=lambda idx: images[idx], batches=batches, train_index=index,
                           val_index=order[n:], sgd_index=index, state=SimpleNamespace(epoch=epoch),
                           generator=torch.Generator().manual_seed(seed), all_images=images)


def brute_force_jacobian(f, z):
    jacobian = torch.autograd.functional.jacobian
    jac = torch.stack([jacobian(lambda v: f(v[None])[0], zi, vectorize=True) for zi in z])
    return jac.reshape(len(z), -1, z.shape[1])  # (N, D, L)


# --------------------------------------------------------------------------- prior update


def test_gamma_posterior_gives_the_uncentred_second_moment():
    z = torch.randn(500, 3, dtype=torch.float64) * torch.tensor([0.1, 1.0, 3.0], dtype=torch.float64) + 0.5
    a, b = gamma_posterior(z)
    assert torch.allclose(b / a, z.square().mean(0), rtol=1e-12)
    assert torch.equal(a, torch.full((3,), 250.0, dtype=torch.float64))
    a, b = gamma_posterior(z, a0=2.0, b0=3.0)
    assert torch.allclose(a, torch.full((3,), 252.0, dtype=torch.float64))
    assert torch.allclose(b, 3.0 + 0.5 * z.square().sum(0), rtol=1e-12)


def test_prior_update_equals_the_second_moment_of_the_sampled_codes():
    model, ctx = make(), fake_context()
    assert torch.equal(model.prior_variance, torch.ones(4))
    replay = torch.Generator().set_state(ctx.generator.get_state())
    model.on_epoch_start(ctx)
    assert model.training
    alpha = torch.randperm(len(ctx.train_index), generator=replay)[:40]
    model.eval()
    with torch.no_grad():
        mu, logvar = model.posterior_params(ctx.all_images[ctx.train_index[alpha]])
    z = mu + (0.5 * logvar).exp() * torch.randn(40, 4, generator=replay)
    assert torch.allclose(model.prior_variance, z.square().mean(0), rtol=1e-5)
    assert torch.allclose(model.prior_dof, torch.full((4,), 40.0))
    assert torch.equal(ctx.generator.get_state(), replay.get_state())


def test_alpha_and_sgd_sets_are_disjoint_and_redrawn_each_epoch():
    model, ctx = make(), fake_context()
    train_set = set(ctx.train_index.tolist())
    seen = []
    for epoch in range(3):
        ctx.state.epoch = epoch
        model.on_epoch_start(ctx)
        sgd = set(ctx.sgd_index.tolist())
        assert len(sgd) == len(ctx.sgd_index) == 80 and sgd < train_set
        seen.append((sgd, model.prior_variance.clone()))
    assert seen[0][0] != seen[1][0] != seen[2][0]
    assert not torch.equal(seen[0][1], seen[1][1])
    alpha, sgd = split_alpha(50, 20, torch.Generator().manual_seed(0))
    assert sorted(alpha.tolist() + sgd.tolist()) == list(range(50)) and torch.equal(sgd, sgd.sort().values)


def test_update_every_keeps_the_prior_and_sets_between_updates():
    model, ctx = make(update_every=2), fake_context()
    model.on_epoch_start(ctx)
    sgd, var = ctx.sgd_index.clone(), model.prior_variance.clone()
    ctx.state.epoch = 1
    model.on_epoch_start(ctx)
    assert torch.equal(ctx.sgd_index, sgd) and torch.equal(model.prior_variance, var)
    ctx.state.epoch = 2
    model.on_epoch_start(ctx)
    assert not torch.equal(ctx.sgd_index, sgd)


# --------------------------------------------------------------------------- KL


def test_closed_form_kl_matches_torch_distributions_in_float64():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(7, 5, generator=g, dtype=torch.float64)
    logvar = torch.randn(7, 5, generator=g, dtype=torch.float64)
    var = torch.rand(5, generator=g, dtype=torch.float64) * 3 + 0.01
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros(5, dtype=torch.float64),
                                                                     var.sqrt())).sum(1).mean()
    assert torch.allclose(gaussian_kl(mu, logvar, var), expected, rtol=1e-12)
    model = make(latent_dim=5).double()
    model.prior_variance.copy_(var)
    penalty, parts = model.regularizer(mu, logvar, reparameterize(mu, logvar))
    assert torch.allclose(parts["kl"], expected, rtol=1e-12)
    assert torch.allclose(penalty, model.config.beta * expected, rtol=1e-12)


def test_student_t_prior_is_eq_7_and_its_kl_estimate_is_log_q_minus_log_p():
    a = torch.tensor([3.0, 50.0, 5000.0], dtype=torch.float64)
    b = torch.tensor([0.6, 200.0, 4000.0], dtype=torch.float64)
    z = torch.linspace(-4, 4, 17, dtype=torch.float64)[:, None].expand(-1, 3)
    eq7 = (a * b.log() + torch.lgamma(a + 0.5) - 0.5 * math.log(2 * math.pi) - torch.lgamma(a)
           - (a + 0.5) * (b + 0.5 * z.square()).log())
    prior = ard_prior(b / a, 2 * a, "student_t")
    assert torch.allclose(prior.log_prob(z), eq7.sum(1), rtol=1e-10)
    mu, logvar = torch.full_like(z, 0.3), torch.full_like(z, -0.5)
    expected = (Normal(mu, (0.5 * logvar).exp()).log_prob(z) - StudentT(2 * a, 0.0, (b / a).sqrt()).log_prob(z))
    assert torch.allclose(student_t_kl(mu, logvar, z, b / a, 2 * a), expected.sum(1).mean(), rtol=1e-12)


def test_student_t_kl_averages_to_the_gaussian_kl_for_many_degrees_of_freedom():
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(1, 3, generator=g, dtype=torch.float64).expand(200_000, -1)
    logvar = torch.full_like(mu, -1.0)
    var, dof = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64), torch.full((3,), 1e7, dtype=torch.float64)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g, dtype=torch.float64)
    assert float(student_t_kl(mu, logvar, z, var, dof)) == pytest.approx(float(gaussian_kl(mu, logvar, var)), abs=0.01)


def test_student_t_form_trains_the_same_interface():
    model = make(prior_form="student_t")
    x = torch.rand(6, *SHAPE)
    out = model.loss(x)
    out["loss"].backward()
    assert set(out) == {"loss", "recon", "kl"} and torch.isfinite(out["loss"])
    assert isinstance(model.prior().base_dist, StudentT)


# --------------------------------------------------------------------------- relevance and active axes


@pytest.mark.parametrize("reading", ["code", "paper"])
def test_model_relevance_matches_brute_force_autograd(reading):
    model = make(latent_dim=3, relevance_reading=reading).double().eval()
    model.prior_variance.copy_(torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64))
    z = torch.randn(12, 3, dtype=torch.float64)
    jac = brute_force_jacobian(model.decode, z)
    weights = jac.abs().mean(0).square().sum(0) if reading == "code" else jac.square().mean(0).sum(0)
    assert torch.allclose(model.axis_relevance(z), weights * model.prior_variance, rtol=1e-10)


def ignoring_model(unused=(1, 3), latent_dim=5):
    """An ARD-VAE whose decoder's first layer has zero weights on the ``unused`` axes."""
    model = make(latent_dim=latent_dim)
    first = model.decoder[0][0]
    with torch.no_grad():
        first.weight[:, list(unused)] = 0.0
    return model


def test_axes_the_decoder_ignores_are_inactive_and_sampled_at_zero():
    model, ctx = ignoring_model(), fake_context()
    model.on_epoch_start(ctx)
    logged = model.on_epoch_end(ctx)
    assert model.relevance[1] == 0.0 and model.relevance[3] == 0.0
    assert model.active_mask.tolist() == [True, False, True, False, True]
    assert logged["ard/active_dims"] == 3.0
    assert logged["ard/prior_var_min"] == pytest.approx(float(model.prior_variance.min()))
    assert logged["ard/prior_var_max"] == pytest.approx(float(model.prior_variance.max()))
    z = model.sample_latent(1000, torch.Generator().manual_seed(0))
    assert bool((z[:, [1, 3]] == 0).all()) and bool((z[:, [0, 2, 4]] != 0).all())
    assert torch.allclose(z[:, [0, 2, 4]].var(0), model.prior_variance[[0, 2, 4]], rtol=0.15)
    model.config.sample_axes = "all"
    assert bool((model.sample_latent(10, torch.Generator().manual_seed(0)) != 0).all())


def test_active_axes_follow_the_99_percent_rule_on_constructed_relevance():
    model = ignoring_model(unused=())
    model.axis_relevance = lambda codes, reading=None: torch.tensor([5.0, 0.001, 3.0, 0.002, 1.0])
    assert model.update_active(torch.zeros(3, 5)).tolist() == [0, 2, 4]
    assert model.active_mask.tolist() == [True, False, True, False, True]
    model.config.active_fraction = 0.5
    assert model.update_active(torch.zeros(3, 5)).tolist() == [0]


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize("field,value,message", [
    ("beta", 0.0, "invalid beta=0.0"),
    ("beta", -1.0, "invalid beta=-1.0"),
    ("prior_form", "laplace", "unknown prior_form 'laplace'"),
    ("relevance_reading", "both", "unknown relevance_reading"),
    ("sample_axes", "some", "unknown sample_axes"),
    ("alpha_size", 0, "invalid alpha_size=0"),
    ("update_every", 0, "invalid update_every=0"),
    ("active_fraction", 1.5, "invalid active_fraction=1.5"),
    ("active_fraction", 0.0, "invalid active_fraction=0.0"),
])
def test_bad_settings_are_config_errors(field, value, message):
    with pytest.raises(ConfigError, match=message):
        make(**{field: value})


def test_alpha_set_must_be_smaller_than_the_training_set():
    model, ctx = make(alpha_size=120), fake_context(n=120)
    with pytest.raises(ConfigError, match=r"alpha_size=120 must be smaller than the training set \(120 items\)"):
        model.on_train_start(ctx)
    make(alpha_size=119).on_train_start(ctx)


# --------------------------------------------------------------------------- training and resume


def cfg(**flags):
    overrides = tiny_overrides() + ["alpha_size=300", "beta=0.5"] + flags.pop("overrides", [])
    return build_config(model="ard_vae", dataset="digits", overrides=overrides, **flags)


def checkpoint(path):
    return torch.load(Run(path).checkpoint_path("latest"), weights_only=True)


def assert_same(a, b):
    ca, cb = checkpoint(a), checkpoint(b)
    assert ca["model"].keys() == cb["model"].keys()
    for k, v in ca["model"].items():
        assert torch.equal(v, cb["model"][k]), k
    assert torch.equal(ca["sgd_index"], cb["sgd_index"])
    assert torch.equal(ca["rng"]["hooks"], cb["rng"]["hooks"])
    assert {k: v for k, v in ca["state"].items() if k != "seconds"} == \
           {k: v for k, v in cb["state"].items() if k != "seconds"}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    path = tmp_path_factory.mktemp("ard") / "a"
    train(cfg(epochs=3), path, progress=False)
    return path


def test_training_logs_the_prior_and_stores_it_in_buffers(uninterrupted):
    header, *rows = (uninterrupted / "log.csv").read_text().splitlines()
    assert len(rows) == 3 and {"ard/prior_var_min", "ard/prior_var_max", "ard/active_dims"} <= set(header.split(","))
    state = checkpoint(uninterrupted)
    assert state["model"]["prior_variance"].shape == (3,) and not torch.equal(state["model"]["prior_variance"],
                                                                             torch.ones(3))
    assert state["model"]["active_mask"].dtype == torch.bool and state["model"]["relevance"].sum() > 0
    assert len(state["sgd_index"]) == 1350 - 300
    model = Run(uninterrupted).load_model("latest")
    assert isinstance(model, ARDVAE) and torch.equal(model.active_mask, state["model"]["active_mask"])


def test_interrupted_then_resumed_equals_uninterrupted(uninterrupted, tmp_path):
    c = cfg(epochs=3)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=15)
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same(uninterrupted, tmp_path / "b")


def test_interrupted_at_an_epoch_start_then_resumed_equals_uninterrupted(uninterrupted, tmp_path):
    c = cfg(epochs=3)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=10)
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same(uninterrupted, tmp_path / "b")


def test_budget_extension_equals_one_long_run(uninterrupted, tmp_path):
    train(cfg(steps=14), tmp_path / "b", progress=False)
    train(cfg(epochs=3), tmp_path / "b", resume=True, progress=False)
    assert_same(uninterrupted, tmp_path / "b")
