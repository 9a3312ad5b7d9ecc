"""MaskAAE: mask, variance penalty, gradient penalty, masking loss, schedule, objectives, training, resume."""

import math

import pytest
import torch
from torch import nn

from conftest import tiny_overrides
from vaelab.config import build_config
from vaelab.errors import ConfigError
from vaelab.models import MaskAAE, build_model
from vaelab.models.mask_aae import (gradient_penalty, mask_values, masked_variance_penalty, masking_loss,
                                    polarisation_weight, schedule_interval)
from vaelab.runs import Run
from vaelab.train import Interrupted, train

SHAPE = (1, 8, 8)


def make(latent_dim=4, seed=0, **fields):
    torch.manual_seed(seed)
    config = {"latent_dim": latent_dim, "architecture": "mlp", "likelihood": "bernoulli", "critic_hidden": [16, 16],
              **fields}
    return build_model("mask_aae", config, SHAPE, (0.0, 1.0))


# --------------------------------------------------------------------------- pure functions


def test_mask_values():
    raw = torch.tensor([0.0, math.log(2.0), 50.0], dtype=torch.float64)
    assert torch.allclose(mask_values(raw), torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))


def test_masked_variance_penalty_against_a_loop():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(7, 3, generator=g, dtype=torch.float64)
    alpha = torch.tensor([0.0, 0.3, 0.9], dtype=torch.float64)
    expected = 0.0
    for l in range(3):
        mean = sum(float(z[i, l]) for i in range(7)) / 7
        expected += sum((float(z[i, l]) - mean) ** 2 for i in range(7)) * math.exp(-10 * float(alpha[l]) ** 2)
    assert float(masked_variance_penalty(z, alpha)) == pytest.approx(expected / 21, rel=1e-12)


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    # D(z) = w.z has gradient w everywhere: penalty (|w| - 1)^2, whatever the points
    critic = nn.Linear(3, 1).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[2.0, -1.0, 2.0]]))
    real, fake = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    gp = gradient_penalty(critic, real, fake, torch.rand(5, 1, dtype=torch.float64))
    assert float(gp.detach()) == pytest.approx((3.0 - 1.0) ** 2)
    gp.backward()  # create_graph: the penalty trains the critic, d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    assert torch.allclose(critic.weight.grad, 2 * 2.0 * critic.weight.detach() / 3.0)


def test_gradient_penalty_of_a_quadratic_critic_uses_the_interpolates():
    critic = lambda z: 0.5 * z.square().sum(1)  # gradient z at the interpolate
    real = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
    fake = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    gp = gradient_penalty(critic, real, fake, torch.tensor([[0.25]], dtype=torch.float64))
    assert float(gp.detach()) == pytest.approx((0.5 - 1.0) ** 2)


def test_masking_loss_formula():
    alpha = torch.tensor([0.0, 0.5, 1.0, 0.2])
    out = masking_loss(torch.tensor(0.01), torch.tensor(-0.5), alpha, weight=3.0, recon_weight=1000.0)
    assert float(out) == pytest.approx(10.0 + 1.5 ** 2 + 3.0 * (0.25 + 0.16))


def test_polarisation_schedule_doubles_every_four_intervals_up_to_its_cap():
    assert schedule_interval(20) == 75 and schedule_interval(32) == 3600 and schedule_interval(256) == 10_000
    assert polarisation_weight(0, 16, 75) == pytest.approx(2 / 16)
    assert polarisation_weight(299, 16, 75) == pytest.approx(2 / 16)
    assert polarisation_weight(300, 16, 75) == pytest.approx(4 / 16)
    assert polarisation_weight(3000, 16, 75) == pytest.approx(2 / 16 * 2**10)
    assert polarisation_weight(10**7, 16, 75) == 2048.0 == polarisation_weight(10**4 * 300, 16, 75)
    assert polarisation_weight(5000, 16, 75, start=0.0) == 0.0


# --------------------------------------------------------------------------- the model


def test_config_errors():
    with pytest.raises(ConfigError, match="mask_threshold"):
        make(mask_threshold=1.0)
    with pytest.raises(ConfigError, match="optimizer"):
        make(optimizer="sgd")


def test_mask_initialisation_active_axes_codes_and_samples():
    model = make(latent_dim=6)
    raw = model.mask_raw.detach()
    assert bool(((raw >= 0) & (raw <= 5)).all())
    with torch.no_grad():
        model.mask_raw.copy_(torch.tensor([0.0, 0.05, 0.2, 1.0, 3.0, 0.1]))
    alpha = 1 - torch.exp(-model.mask_raw.detach())
    assert model.active_axes().tolist() == [i for i in range(6) if float(alpha[i]) >= 0.1] == [2, 3, 4]
    x = torch.rand(4, *SHAPE)
    assert torch.allclose(model.encode(x), model.encoder(x) * alpha)
    s = model.sample_latent(3, torch.Generator().manual_seed(0))
    assert bool((s[:, 0] == 0).all())
    assert torch.allclose(s, torch.randn(3, 6, generator=torch.Generator().manual_seed(0)) * alpha)


def test_each_loss_reaches_only_its_own_parameter_group():
    model = make()
    objectives = model.objectives()
    assert {k: o.loss_key for k, o in objectives.items()} == {"model": "loss", "critic": "disc_loss",
                                                              "mask": "mask_loss"}
    assert all(o.optimizer == "rmsprop" and not o.plateau for o in objectives.values())
    assert objectives["critic"].lr == 1e-4 and objectives["model"].lr is None
    x = (torch.rand(6, *SHAPE) > 0.5).float()
    losses = model.loss(x)
    names = dict(model.named_parameters())
    groups = {k: {n for n, p in names.items() if any(p is q for q in o.params)} for k, o in objectives.items()}
    for key, own in groups.items():
        model.zero_grad()
        losses = model.loss(x)
        losses[objectives[key].loss_key].backward()
        touched = {n for n, p in names.items() if p.grad is not None and bool(p.grad.any())}
        # the training loop restricts each backward pass to its own group; what matters is
        # which groups a loss depends on: the mask is a constant for the autoencoder, the
        # codes and the mask are constants for the critic, the codes are constants for the mask
        encoder = {n for n in names if n.startswith("encoder.")}
        if key == "model":
            assert own <= touched and "mask_raw" not in touched
        elif key == "critic":
            assert touched == own
        else:
            assert "mask_raw" in touched and not touched & encoder


def test_loss_parts_match_their_definitions():
    model = make()
    x = (torch.rand(6, *SHAPE) > 0.5).float()
    torch.manual_seed(4)
    out = model.loss(x)
    alpha = model.mask().detach()
    torch.manual_seed(4)
    z = model.encoder(x)
    prior = torch.randn_like(z)
    recon = model.likelihood.nll(model.decoder(z * alpha), x)
    assert torch.allclose(out["recon"], recon)
    gap = model.critic(z * alpha).mean() - model.critic(prior * alpha).mean()
    expected = masking_loss(recon / 64, gap, alpha, model.poly_weight, 1000.0)
    assert torch.allclose(out["mask_loss"], expected, rtol=1e-5)
    total = recon / 64 + 100 * masked_variance_penalty(z, alpha) - model.critic(z * alpha).mean()
    assert torch.allclose(out["loss"], total, rtol=1e-5)


def test_step_hooks_project_the_mask_and_set_the_schedule():
    from types import SimpleNamespace

    model = make(latent_dim=4, interval=10)
    with torch.no_grad():
        model.mask_raw.copy_(torch.tensor([-0.5, 0.2, -1e-3, 2.0]))
    model.on_step_end(None, {})
    assert model.mask_raw.detach().tolist() == pytest.approx([0.0, 0.2, 0.0, 2.0])
    model.on_step_start(SimpleNamespace(state=SimpleNamespace(step=85)))
    assert float(model.poly_weight) == pytest.approx(0.5 * 4)


# --------------------------------------------------------------------------- training and resume


def cfg(**flags):
    overrides = tiny_overrides() + ["latent_dim=5", "critic_hidden=[32, 32]", "interval=5",
                                    "train.batch_size=64"] + flags.pop("overrides", [])
    return build_config(model="mask_aae", dataset="digits", overrides=overrides, **flags)


def checkpoint(path):
    return torch.load(Run(path).checkpoint_path("latest"), weights_only=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    path = tmp_path_factory.mktemp("maskaae") / "a"
    train(cfg(epochs=2), path, progress=False)
    return path


def test_training_logs_the_mask_and_keeps_it_non_negative(uninterrupted):
    header, *rows = (uninterrupted / "log.csv").read_text().splitlines()
    assert len(rows) == 2 and {"mask/active_dims", "mask/poly_weight"} <= set(header.split(","))
    state = checkpoint(uninterrupted)
    assert bool((state["model"]["mask_raw"] >= 0).all())
    assert set(state["optimizers"]) == {"model", "critic", "mask"}
    assert "square_avg" in next(iter(state["optimizers"]["mask"]["state"].values()))  # RMSprop's state
    model = Run(uninterrupted).load_model("latest")
    assert isinstance(model, MaskAAE)


def test_interrupted_then_resumed_equals_uninterrupted(uninterrupted, tmp_path):
    c = cfg(epochs=2)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=11)
    train(c, tmp_path / "b", resume=True, progress=False)
    a, b = checkpoint(uninterrupted), checkpoint(tmp_path / "b")
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    assert {k: v for k, v in a["state"].items() if k != "seconds"} == \
           {k: v for k, v in b["state"].items() if k != "seconds"}


def test_evaluate_reports_the_mask_threshold_count_as_active_dims(uninterrupted):
    from vaelab.evaluate import evaluate_run

    out = evaluate_run(uninterrupted, metrics=["latent"], num_samples=200, progress=False)["metrics"]
    model = Run(uninterrupted).load_model("best")
    assert out["latent.active_dims"] == float(len(model.active_axes()))
