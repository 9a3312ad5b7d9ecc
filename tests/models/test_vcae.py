"""VCAE and TC-VCAE: the variance penalty, the noisy channel, the rate bound, config checks, CLI training."""

import csv
import math

import numpy as np
import pytest
import torch

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.errors import ConfigError
from vaelab.losses import discriminator_tc
from vaelab.models import MODELS, TCVCAE, VCAE, build_model
from vaelab.models.vcae import information_rate_bound, total_variance, variance_penalty


pytestmark = pytest.mark.usefixtures("one_thread")


def make(name="vcae", shape=(20,), **fields):
    torch.manual_seed(0)
    config = {"latent_dim": 4, "architecture": "mlp", "likelihood": "gaussian", **fields}
    return build_model(name, config, shape, None)


def codes_with_total_variance(v, n=64, dim=4, seed=0):
    z = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    z = (z - z.mean(0)) / z.std(0, unbiased=False)
    return z * math.sqrt(v / dim) + 3.0


def test_registered():
    assert MODELS["vcae"] is VCAE and MODELS["tc_vcae"] is TCVCAE


def test_total_variance_matches_numpy():
    z = torch.randn(50, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert float(total_variance(z)) == pytest.approx(np.var(z.numpy(), axis=0).sum(), rel=1e-12)
    assert float(total_variance(z[:1])) == 0.0


def test_penalty_is_zero_exactly_at_the_target():
    z = codes_with_total_variance(4.0)
    assert float(variance_penalty(z, 4.0)) < 1e-12
    assert float(variance_penalty(z, 3.0)) == pytest.approx(1.0, abs=1e-12)
    assert float(variance_penalty(2 * z, 4.0)) == pytest.approx(12.0, abs=1e-9)


@pytest.mark.parametrize("v,target,grows", [(1.0, 4.0, True), (9.0, 4.0, False)])
def test_penalty_gradient_moves_the_variance_towards_the_target(v, target, grows):
    z = codes_with_total_variance(v).requires_grad_(True)
    variance_penalty(z, target).backward()
    stepped = z.detach() - 0.01 * z.grad
    assert (float(total_variance(stepped)) > v) == grows
    assert abs(float(total_variance(stepped)) - target) < abs(v - target)


def test_model_penalty_is_lambda_times_the_penalty_on_noisy_codes():
    m = make(lambda_var=0.7, noise_var=0.1)
    z = codes_with_total_variance(2.0).float()
    penalty, parts = m.regularizer(z)
    assert float(penalty) == pytest.approx(0.7 * 2.0, rel=1e-5)
    assert float(parts["variance"]) == pytest.approx(2.0, rel=1e-5)
    assert float(parts["var_penalty"]) == pytest.approx(2.0, rel=1e-5)


def test_target_variance_defaults_to_the_latent_size():
    assert make().config.total_variance_target == 4.0
    assert make(target_variance=2.5).config.total_variance_target == 2.5


def test_noise_is_drawn_in_the_loss_and_absent_in_encoding():
    m = make(noise_var=0.25)
    x = torch.randn(4000, 20, generator=torch.Generator().manual_seed(2))
    m.train()
    with torch.no_grad():
        mu = m.encoder(x)
        eps = m.add_noise(mu) - mu
        assert float(eps.var()) == pytest.approx(0.25, rel=0.05) and abs(float(eps.mean())) < 0.02
        torch.manual_seed(3)
        a = m.loss(x[:8])["recon"]
        torch.manual_seed(4)
        b = m.loss(x[:8])["recon"]
        assert not torch.equal(a, b)
        assert torch.equal(m.encode(x), mu)
        m.eval()
        assert torch.equal(m.encode(x), mu) and torch.allclose(m.reconstruct(x[:3]), m.decode(mu[:3]), atol=1e-6)
    quiet = make(noise_var=0.0)
    z = torch.randn(5, 4)
    assert torch.equal(quiet.add_noise(z), z)


def test_information_rate_bound():
    assert information_rate_bound(16, 0.05) == pytest.approx(8 * math.log2(20))
    assert information_rate_bound(6, 0.1) == pytest.approx(3 * math.log2(10))
    assert information_rate_bound(4, 0.1, target=8.0) == pytest.approx(2 * math.log2(2 / 0.1))
    assert information_rate_bound(4, 0.0) == math.inf
    assert information_rate_bound(4, 1.0) == 0.0
    m = make(noise_var=0.05)
    assert m.information_rate_bound == pytest.approx(2 * math.log2(20))
    assert m.summary() == {"info_rate_bound_bits": m.information_rate_bound}


@pytest.mark.parametrize("fields,text", [
    ({"lambda_var": -1.0}, "lambda_var"),
    ({"noise_var": -0.1}, "noise_var"),
    ({"noise_var": 2.0}, "noise_var=2.0 is too large"),
    ({"target_variance": 0.0}, "target_variance"),
    ({"recon_scale": 0.0}, "recon_scale"),
])
def test_bad_configs_are_one_line_errors(fields, text):
    with pytest.raises(ConfigError, match=text) as e:
        make(**fields)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("fields,text", [({"gamma": -1.0}, "gamma"), ({"disc_lr": 0.0}, "disc_lr"),
                                         ({"noise_var": -1.0}, "noise_var")])
def test_bad_tc_vcae_configs(fields, text):
    with pytest.raises(ConfigError, match=text):
        make("tc_vcae", **fields)


def test_tc_vcae_defaults_and_loss_parts():
    m = make("tc_vcae", disc_layers=2, disc_width=16)
    c = m.config
    assert (c.gamma, c.lambda_var, c.noise_var, c.disc_lr, (c.disc_beta1, c.disc_beta2)) == (7.0, 1.0, 0.1, 1e-4,
                                                                                              (0.5, 0.9))
    default = TCVCAE.Config()
    assert (default.disc_layers, default.disc_width) == (6, 1000)
    assert set(m.objectives()) == {"model", "discriminator"}
    assert TCVCAE.monitor == "recon" and VCAE.default_sampler == TCVCAE.default_sampler == "flow"
    z = torch.randn(32, 4)
    torch.manual_seed(0)
    with torch.no_grad():
        total, parts = m.regularizer(z)
        tc = discriminator_tc(m.discriminator(z))
    vcae_part = c.lambda_var * parts["var_penalty"]
    assert float(total) == pytest.approx(float(vcae_part + 7.0 * tc), rel=1e-5)
    assert {"variance", "var_penalty", "tc", "disc_loss"} <= set(parts)


def test_training_drives_the_total_variance_to_the_target():
    from vaelab.data.toy import mixture_of_gaussians

    x, _, _ = mixture_of_gaussians(2000, dim=20, seed=0)
    m = make(lambda_var=1.0, noise_var=0.01, latent_dim=2)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(400):
        loss = m.loss(x[torch.randint(len(x), (100,), generator=g)])["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        variance = float(total_variance(m.add_noise(m.encode(x))))
    assert variance == pytest.approx(2.0, abs=0.2)


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("name", ["vcae", "tc_vcae"])
@pytest.mark.parametrize("dataset", ["digits", "dsprites"])
def test_cli_trains_vcae_models(tmp_path, capsys, name, dataset):
    out = tmp_path / "run"
    if dataset == "digits":
        data_args = ["--dataset", "digits", *tiny_overrides()]
    else:
        data_args = ["--dataset", "dsprites", "latent_dim=3", "train.tensorboard=false"]
    extra = ["disc_layers=2", "disc_width=32"] if name == "tc_vcae" else []
    code = main(["train", "--model", name, "--out", str(out), "--epochs", "2", "--subset", "64", "--batch-size", "32",
                 "--no-progress", "--no-figures", *data_args, *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    bound = 1.5 * math.log2(1 / (0.05 if name == "vcae" else 0.1))
    assert f"information-rate bound {bound:.2f} bits" in captured.err
    with open(out / "log.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert float(row["info_rate_bound_bits"]) == pytest.approx(bound)
    assert float(row["val/variance"]) >= 0.0
    assert (out / "samplers" / "maf.pt").is_file()


def test_status_records_the_information_rate_bound(tmp_path):
    import json

    from conftest import tiny_overrides
    from vaelab.config import build_config
    from vaelab.train import train

    config = build_config(model="vcae", dataset="digits", steps=2, overrides=tiny_overrides())
    train(config, tmp_path / "r", progress=False)
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["info_rate_bound_bits"] > 0
