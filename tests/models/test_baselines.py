"""The baselines of the seeds: defaults, loss assembly, discriminators, validation, CLI runs."""

import math

import pytest
import torch
from torch import nn

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.config import build_config
from vaelab.errors import ConfigError
from vaelab.losses import dip_covariance, l2_penalty
from vaelab.models import MODELS, build_model

BASELINES = ["beta_tcvae", "factor_vae", "dip_vae_i", "dip_vae_ii", "wae_mmd", "aae", "rae", "cwae"]


def make(name, arch="mlp", shape=(1, 8, 8), seed=0, **fields):
    torch.manual_seed(seed)
    return build_model(name, {"latent_dim": 4, "architecture": arch, "likelihood": "bernoulli", **fields}, shape,
                       (0.0, 1.0))


def batch(n=16, shape=(1, 8, 8)):
    return (torch.rand(n, *shape, generator=torch.Generator().manual_seed(1)) > 0.5).float()


def test_every_baseline_is_registered():
    assert set(BASELINES) <= set(MODELS)


@pytest.mark.parametrize("name,expected", [
    ("beta_tcvae", {"beta": 5.0}),
    ("factor_vae", {"gamma": 10.0, "disc_layers": 6, "disc_width": 1000, "disc_lr": 1e-4, "disc_beta1": 0.5,
                    "disc_beta2": 0.9}),
    ("dip_vae_i", {"lambda_od": 10.0, "lambda_d": 100.0}),
    ("dip_vae_ii", {"lambda_od": 10.0, "lambda_d": 10.0}),
    ("wae_mmd", {"recon_scale": 0.05, "beta": 10.0, "kernel": "imq"}),
    ("cwae", {"recon_scale": 1.0, "beta": 50.0, "noise_var": 0.05}),
    ("aae", {"recon_scale": 0.05, "beta": 1.0, "disc_hidden": None, "disc_lr": 1e-4}),
    ("rae", {"recon_scale": 1.0, "beta": 1e-4, "dec_l2": 1e-6}),
])
def test_defaults_follow_the_seeds(name, expected):
    config = MODELS[name].Config()
    assert {k: getattr(config, k) for k in expected} == expected


@pytest.mark.parametrize("name,override,message", [
    ("beta_tcvae", "beta=-1", "invalid beta=-1.0"),
    ("factor_vae", "gamma=-0.5", "invalid gamma=-0.5"),
    ("factor_vae", "disc_lr=0", "invalid disc_lr=0.0"),
    ("factor_vae", "disc_beta1=1", "invalid disc_beta1=1.0"),
    ("factor_vae", "disc_width=0", "invalid disc_width=0"),
    ("dip_vae_i", "lambda_od=-1", "invalid lambda_od=-1.0"),
    ("dip_vae_ii", "lambda_d=-1", "invalid lambda_d=-1.0"),
    ("wae_mmd", "kernel=rbf", "unknown kernel 'rbf'"),
    ("wae_mmd", "recon_scale=0", "invalid recon_scale=0.0"),
    ("cwae", "noise_var=-0.1", "invalid noise_var=-0.1"),
    ("aae", "disc_hidden=[100, 0]", "invalid disc_hidden=0"),
    ("aae", "disc_lr=-1e-4", "invalid disc_lr=-0.0001"),
    ("rae", "dec_l2=-1e-6", "invalid dec_l2=-1e-06"),
])
def test_bad_hyperparameters_are_refused_before_training(name, override, message):
    with pytest.raises(ConfigError, match=message):
        build_config(model=name, dataset="digits", overrides=[override])


def test_bad_hyperparameter_is_one_line_on_the_cli(tmp_path, capsys):
    code = main(["train", "--model", "cwae", "--dataset", "digits", "--out", str(tmp_path / "x"), "noise_var=-1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "invalid noise_var=-1.0" in err[0]
    assert not (tmp_path / "x").exists()


def test_beta_tcvae_weights_only_the_total_correlation():
    x = batch()
    torch.manual_seed(3)
    a = make("beta_tcvae", beta=1.0).loss(x)
    assert a["loss"].item() == pytest.approx((a["recon"] + a["kl"]).item(), rel=1e-6)
    torch.manual_seed(3)
    b = make("beta_tcvae", beta=6.0).loss(x)
    assert b["loss"].item() == pytest.approx((b["recon"] + b["kl"] + 5.0 * b["tc"]).item(), rel=1e-6)


def test_beta_tcvae_keeps_the_dataset_size_in_its_state():
    class Ctx:
        train_index = torch.arange(1234)

    model = make("beta_tcvae")
    x = batch()
    torch.manual_seed(0)
    before = model.loss(x)["tc"]
    model.on_train_start(Ctx())
    assert model.state_dict()["dataset_size"].item() == 1234
    torch.manual_seed(0)
    after = model.loss(x)["tc"]
    assert (after - before).item() == pytest.approx(3 * math.log(1234 / 16), rel=1e-4)
    other = make("beta_tcvae", seed=1)
    other.load_state_dict(model.state_dict())
    assert other.dataset_size.item() == 1234


def test_dip_vae_ii_adds_the_mean_posterior_variance():
    mu, logvar = torch.randn(10, 4), torch.randn(10, 4)
    one, two = make("dip_vae_i"), make("dip_vae_ii")
    assert torch.allclose(one.covariance(mu, logvar), dip_covariance(mu))
    assert torch.allclose(two.covariance(mu, logvar) - one.covariance(mu, logvar), torch.diag(logvar.exp().mean(0)))


def test_factor_vae_discriminator_and_its_optimiser():
    model = make("factor_vae")
    layers = list(model.discriminator)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [1000] * 6 + [2]
    assert all(m.negative_slope == 0.2 for m in layers if isinstance(m, nn.LeakyReLU))
    assert sum(isinstance(m, nn.LeakyReLU) for m in layers) == 6
    disc = model.objectives()["discriminator"]
    assert (disc.loss_key, disc.lr, disc.betas, disc.plateau) == ("disc_loss", 1e-4, (0.5, 0.9), False)
    assert {id(p) for p in disc.params} == {id(p) for p in model.discriminator.parameters()}


@pytest.mark.parametrize("name", ["factor_vae", "aae"])
def test_discriminator_loss_trains_only_the_discriminator(name):
    model = make(name)
    losses = model.loss(batch())
    losses["disc_loss"].backward()
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("discriminator."))
    assert all(p.grad is not None for p in model.discriminator.parameters())
    model.zero_grad(set_to_none=True)
    key = "tc" if name == "factor_vae" else "adversarial"
    losses = model.loss(batch())
    losses[key].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())


def test_factor_vae_loss_assembly():
    model = make("factor_vae", gamma=7.0)
    losses = model.loss(batch())
    expected = losses["recon"] + losses["kl"] + 7.0 * losses["tc"]
    assert losses["loss"].item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("arch,shape,hidden", [
    ("mnist", (1, 32, 32), [100, 100, 100]),
    ("dsprites", (1, 64, 64), [1024, 1024, 1024]),
    ("mlp", (1, 8, 8), [100, 100, 100]),
])
def test_aae_discriminator_follows_avae_table_x(arch, shape, hidden):
    model = make("aae", arch, shape)
    linears = [m for m in model.discriminator if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == hidden + [1]
    assert linears[0].in_features == 4
    assert [m.out_features for m in make("aae", disc_hidden=[8]).discriminator if isinstance(m, nn.Linear)] == [8, 1]


def test_deterministic_models_assemble_their_losses():
    x = batch()
    wae = make("wae_mmd")
    l = wae.loss(x)
    assert l["loss"].item() == pytest.approx((0.05 * l["recon"] + 10.0 * l["mmd"]).item(), rel=1e-6)
    aae = make("aae")
    l = aae.loss(x)
    assert l["loss"].item() == pytest.approx((0.05 * l["recon"] + l["adversarial"]).item(), rel=1e-6)
    rae = make("rae")
    l = rae.loss(x)
    z = rae.encode(x)
    assert l["code_norm"].item() == pytest.approx(0.5 * z.square().sum(1).mean().item(), rel=1e-6)
    assert l["decoder_l2"].item() == pytest.approx(l2_penalty(rae.decoder.parameters()).item(), rel=1e-6)
    assert l["loss"].item() == pytest.approx((l["recon"] + 1e-4 * l["code_norm"] + 1e-6 * l["decoder_l2"]).item())
    for model in (wae, aae, rae):
        assert torch.equal(model.encode(x), model.encoder(x))


def test_cwae_adds_fixed_noise_of_the_configured_variance():
    model = make("cwae", noise_var=0.2)
    z = torch.zeros(20_000, 4)
    noisy = model.add_noise(z)
    assert noisy.var().item() == pytest.approx(0.2, rel=0.03)
    assert torch.equal(make("wae_mmd").add_noise(z), z)
    x = batch()
    assert torch.equal(model.encode(x), model.encode(x))


@pytest.mark.parametrize("name", ["beta_tcvae", "factor_vae", "dip_vae_i", "dip_vae_ii"])
def test_gaussian_variants_keep_the_posterior_mean_as_code(name):
    model = make(name)
    x = batch()
    assert torch.equal(model.encode(x), model.posterior_params(x)[0])


TINY = ["--dataset", "digits", "--no-progress", "--steps", "3", *tiny_overrides()]


@pytest.mark.parametrize("name", BASELINES)
def test_every_baseline_trains_and_samples_from_the_cli(name, tmp_path, capsys):
    out = tmp_path / name
    small = ["disc_width=64"] if name == "factor_vae" else []
    assert main(["train", "--model", name, "--out", str(out), "--no-figures", *TINY, *small]) == 0
    assert "3 steps" in capsys.readouterr().out
    assert main(["sample", str(out), "-n", "4", "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 0
    assert (out / "samplers" / "gaussian.pt").is_file() == (name == "rae")
    if name == "beta_tcvae":
        from vaelab.runs import Run

        assert Run(out).load_model().dataset_size.item() == 1350


def test_rae_figures_and_samplers_on_demand(tmp_path, capsys):
    out = tmp_path / "rae"
    assert main(["train", "--model", "rae", "--out", str(out), *TINY]) == 0
    assert (out / "figures" / "samples.png").stat().st_size > 0 and (out / "samplers" / "gaussian.pt").is_file()
    assert main(["sample", str(out), "--sampler", "gmm", "-n", "4", "--out", str(tmp_path / "g.png")]) == 0
    assert (out / "samplers" / "gmm.pt").is_file()
    assert main(["sample", str(out), "--sampler", "flowz"]) == 2
    assert "unknown sampler 'flowz'" in capsys.readouterr().err


@pytest.mark.parametrize("name,dataset,extra", [
    ("factor_vae", "dsprites", ["--subset", "64"]),
    ("aae", "digits", ["--subset", "64"]),
])
def test_conv_architectures_with_a_discriminator(name, dataset, extra, tmp_path):
    out = tmp_path / name
    argv = ["train", "--model", name, "--dataset", dataset, "--out", str(out), "--steps", "2", "--batch-size", "16",
            "--no-progress", "--no-figures", "train.tensorboard=false", *extra]
    assert main(argv) == 0
    assert main(["sample", str(out), "-n", "4", "--out", str(tmp_path / "s.png")]) == 0
