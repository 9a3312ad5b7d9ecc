"""GECO-L0-ARM-VAE: the ARM estimator, the GECO multiplier, gating, active axes, training and resume."""

import itertools
import math
from types import SimpleNamespace

import pytest
import torch

from conftest import tiny_overrides
from vaelab.config import build_config
from vaelab.errors import ConfigError
from vaelab.models import GECOL0ARMVAE, build_model
from vaelab.models.geco import TABLE6_TAU, arm_gates, arm_gradient, geco_update, squared_error
from vaelab.runs import Run
from vaelab.train import Interrupted, train

SHAPE = (1, 8, 8)


def make(latent_dim=4, seed=0, **fields):
    torch.manual_seed(seed)
    config = {"latent_dim": latent_dim, "architecture": "mlp", "likelihood": "bernoulli", **fields}
    return build_model("geco_l0_arm_vae", config, SHAPE, (0.0, 1.0))


# --------------------------------------------------------------------------- ARM estimator


def f_table(g):
    """A non-separable function of a binary vector, so the gates interact."""
    w = torch.tensor([1.5, -2.0, 0.7], dtype=torch.float64)
    return (g * w).sum(-1) + 3.0 * g[..., 0] * g[..., 1] - 2.5 * g[..., 1] * g[..., 2] * g[..., 0]


def exact_gradient(logits):
    """Gradient of sum_g P(g) f(g) over all 2^L gate vectors, by autograd."""
    phi = logits.clone().requires_grad_(True)
    p = torch.sigmoid(phi)
    total = 0.0
    for bits in itertools.product((0.0, 1.0), repeat=len(logits)):
        g = torch.tensor(bits, dtype=torch.float64)
        total = total + torch.prod(torch.where(g > 0, p, 1 - p)) * f_table(g)
    (grad,) = torch.autograd.grad(total, phi)
    return grad


def test_arm_gates_are_antithetic_bernoulli_draws():
    logits = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    u = torch.rand(200_000, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    plus, minus = arm_gates(logits, u)
    p = torch.sigmoid(logits)
    assert torch.allclose(plus.mean(0), p, atol=4e-3) and torch.allclose(minus.mean(0), p, atol=4e-3)
    # one uniform, two gates: g+ = 1[1 - u < p] is g- evaluated at the mirrored draw
    assert torch.equal(plus, arm_gates(logits, 1 - u)[1])


def test_arm_gradient_matches_the_exhaustive_expectation_on_a_grid():
    # E_u[(f(g+) - f(g-)) (u - 1/2)] by the midpoint rule on a 120^3 grid of u
    logits = torch.tensor([0.4, -0.8, 1.3], dtype=torch.float64)
    n = 120
    mid = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    u = torch.cartesian_prod(mid, mid, mid)
    plus, minus = arm_gates(logits, u)
    estimate = arm_gradient(f_table(plus)[:, None], f_table(minus)[:, None], u).mean(0)
    assert torch.allclose(estimate, exact_gradient(logits), atol=2e-3)


def test_arm_gradient_monte_carlo_is_unbiased_within_its_standard_error():
    logits = torch.tensor([-0.3, 2.0, 0.5], dtype=torch.float64)
    u = torch.rand(400_000, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    plus, minus = arm_gates(logits, u)
    samples = arm_gradient(f_table(plus)[:, None], f_table(minus)[:, None], u)
    se = samples.std(0) / math.sqrt(len(u))
    assert bool(((samples.mean(0) - exact_gradient(logits)).abs() < 4 * se).all())


def test_one_gate_closed_form():
    # f(g) = g: d/dphi sigmoid(phi) = p (1 - p); the ARM integral gives exactly that
    for phi in (-2.0, 0.0, 0.7):
        n = 200_000
        u = (torch.arange(n, dtype=torch.float64) + 0.5) / n
        plus, minus = arm_gates(torch.tensor([phi], dtype=torch.float64), u[:, None])
        est = arm_gradient(plus[:, 0], minus[:, 0], u).mean()
        p = 1 / (1 + math.exp(-phi))
        assert abs(float(est) - p * (1 - p)) < 1e-5


# --------------------------------------------------------------------------- GECO multiplier


def test_geco_update_follows_its_formula():
    lam, avg = torch.tensor(2.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    lam, avg = geco_update(lam, avg, 5.0, alpha=0.9, rate=0.01, first=True)
    assert float(avg) == 5.0 and math.isclose(float(lam), 2.0 * math.exp(0.05), rel_tol=1e-12)
    lam, avg = geco_update(lam, avg, -3.0, alpha=0.9, rate=0.01)
    expected_avg = 0.9 * 5.0 + 0.1 * -3.0
    assert math.isclose(float(avg), expected_avg, rel_tol=1e-12)
    assert math.isclose(float(lam), 2.0 * math.exp(0.05) * math.exp(0.01 * expected_avg), rel_tol=1e-12)
    big, _ = geco_update(torch.tensor(1.0), torch.tensor(0.0), 1e4, alpha=0.5, rate=1.0, first=True)
    assert float(big) == 1e6  # clipped to its bounds


def test_squared_error_is_summed_per_item_and_averaged():
    x = torch.zeros(2, 1, 2, 2)
    mean = torch.tensor([1.0, 2.0]).reshape(2, 1, 1, 1).expand(2, 1, 2, 2)
    assert float(squared_error(mean, x)) == (4 * 1 + 4 * 4) / 2


# --------------------------------------------------------------------------- the model


def test_table6_tau_and_dataset_defaults():
    assert TABLE6_TAU == {"mnist": 10.0, "celeba": 300.0, "cifar10": 25.0, "imagenet32": 15.0}
    c = build_config(model="geco_l0_arm_vae", dataset="mnist", overrides=["train.tensorboard=false"])
    assert c.model_config.tau == 10.0


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="tau"):
        make(tau=0.0)
    with pytest.raises(ConfigError, match="multiplier_alpha"):
        make(multiplier_alpha=1.0)


def test_closed_gates_cut_their_axes_from_codes_samples_and_decoding():
    model = make()
    with torch.no_grad():
        model.gate_logits.copy_(torch.tensor([2.0, -1.0, 0.5, -3.0]))
    assert model.active_axes().tolist() == [0, 2]
    x = torch.rand(5, *SHAPE)
    z = model.encode(x)
    assert bool((z[:, [1, 3]] == 0).all()) and bool((z[:, [0, 2]] != 0).all())
    s = model.sample_latent(7, torch.Generator().manual_seed(0))
    assert bool((s[:, [1, 3]] == 0).all())
    model.eval()
    torch.manual_seed(0)
    out = model.loss(x)
    assert torch.allclose(out["l0"], torch.sigmoid(model.gate_logits).sum())
    assert float(out["constraint"].detach()) == pytest.approx(float(out["sq_error"].detach()) - 10.0)


def test_gates_are_frozen_until_the_target_is_reached_then_get_the_arm_gradient():
    model = make()
    x = (torch.rand(6, *SHAPE) > 0.5).float()
    assert model.frozen_parameters() == {"gate_logits"}
    model.loss(x)["loss"].backward()
    assert model.gate_logits.grad is None
    model.zero_grad()
    model.gates_on.fill_(True)
    assert model.frozen_parameters() == set()
    torch.manual_seed(3)
    out = model.loss(x)
    out["loss"].backward()
    # the ARM surrogate adds nothing to the value, only its gradient (plus the L0 gradient)
    value = out["kl"] + out["multiplier"] * out["constraint"] + out["l0"]
    assert float(out["loss"].detach()) == pytest.approx(float(value.detach()), rel=1e-6)
    assert model.gate_logits.grad is not None and bool(model.gate_logits.grad.ne(0).any())
    # recompute the estimate from its parts: same noise, same decoder passes
    torch.manual_seed(3)
    mu, logvar = model.posterior_params(x)
    z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
    u = torch.rand(4)
    se = [squared_error(model.likelihood.mean(model.decoder(z * g)), x) for g in arm_gates(model.gate_logits, u)]
    p = torch.sigmoid(model.gate_logits.detach())
    expected = arm_gradient(se[0], se[1], u).detach() * model.multiplier + p * (1 - p)
    assert torch.allclose(model.gate_logits.grad, expected, atol=1e-5)


def test_on_step_end_updates_the_multiplier_and_opens_training_of_the_gates():
    model = make(multiplier_rate=0.1, multiplier_alpha=0.5)
    model.on_step_end(None, {"constraint": 4.0})
    assert float(model.constraint_average) == 4.0
    assert float(model.multiplier) == pytest.approx(math.exp(0.4))
    assert not bool(model.gates_on)
    model.on_step_end(None, {"constraint": -10.0})  # average 0.5 * 4 - 0.5 * 10 = -3 < 0
    assert float(model.constraint_average) == pytest.approx(-3.0)
    assert float(model.multiplier) == pytest.approx(math.exp(0.4 - 0.3))
    assert bool(model.gates_on)


# --------------------------------------------------------------------------- training and resume


def cfg(**flags):
    overrides = tiny_overrides() + ["latent_dim=5", "tau=12", "multiplier_rate=0.01"] + flags.pop("overrides", [])
    return build_config(model="geco_l0_arm_vae", dataset="digits", overrides=overrides, **flags)


def checkpoint(path):
    return torch.load(Run(path).checkpoint_path("latest"), weights_only=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    path = tmp_path_factory.mktemp("geco") / "a"
    train(cfg(epochs=3), path, progress=False)
    return path


def test_training_reaches_the_target_and_logs_the_gates(uninterrupted):
    header, *rows = (uninterrupted / "log.csv").read_text().splitlines()
    assert {"geco/multiplier", "geco/open_gates", "geco/gates_on"} <= set(header.split(","))
    state = checkpoint(uninterrupted)["model"]
    steps = int(rows[-1].split(",")[header.split(",").index("step")])
    assert int(state["geco_steps"]) == steps == 3 * (1350 // 100)
    assert bool(state["gates_on"])  # 8x8 digits reach a squared error of 12 within three epochs
    model = Run(uninterrupted).load_model("latest")
    assert isinstance(model, GECOL0ARMVAE) and float(model.multiplier) == float(state["multiplier"])


def test_interrupted_then_resumed_equals_uninterrupted(uninterrupted, tmp_path):
    c = cfg(epochs=3)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=17)
    train(c, tmp_path / "b", resume=True, progress=False)
    a, b = checkpoint(uninterrupted), checkpoint(tmp_path / "b")
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    assert {k: v for k, v in a["state"].items() if k != "seconds"} == \
           {k: v for k, v in b["state"].items() if k != "seconds"}


def test_evaluate_reports_open_gates_as_active_dims(uninterrupted):
    from vaelab.evaluate import evaluate_run

    out = evaluate_run(uninterrupted, metrics=["latent", "reconstruction"], num_samples=200, progress=False)["metrics"]
    model = Run(uninterrupted).load_model("best")
    assert out["latent.active_dims"] == float(len(model.active_axes()))
    assert "latent.active_dims_relevance" in out and out["reconstruction.mse"] > 0


def test_best_checkpoint_is_the_last_one(uninterrupted):
    # select_best = False: the multiplier changes the loss over training, so "best" is the end
    best = torch.load(Run(uninterrupted).checkpoint_path("best"), weights_only=True)
    latest = checkpoint(uninterrupted)
    assert best["state"]["step"] == latest["state"]["step"]
    assert all(torch.equal(v, latest["model"][k]) for k, v in best["model"].items())
