"""AVAE: the KL term, beta, the KDE set schedule, generation, config checks, resume and the CLI."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.config import TrainConfig, build_config
from vaelab.data.base import TensorDataset
from vaelab.data.cache import CachedImages
from vaelab.errors import ConfigError
from vaelab.kde import bandwidth
from vaelab.models import build_model
from vaelab.models.avae import KL_LOGS, aggregate_kl, kde_log_floor
from vaelab.runs import Run
from vaelab.train import Interrupted, TrainContext, TrainState, train


def make_model(shape=(1, 8, 8), likelihood="bernoulli", arch="mlp", latent_dim=3, **config):
    torch.manual_seed(0)
    cfg = {"latent_dim": latent_dim, "architecture": arch, "likelihood": likelihood, "kde_samples": 40,
           "bandwidth": 0.5, **config}
    return build_model("avae", cfg, shape, (0.0, 1.0) if likelihood == "bernoulli" else None)


def make_ctx(model, n=200, n_val=30, seed=0):
    """A real TrainContext over random data of the model's shape."""
    g = torch.Generator().manual_seed(seed + 100)
    x = torch.rand(n + n_val, *model.shape, generator=g)
    if model.likelihood.name == "gaussian":
        x = torch.randn(n + n_val, *model.shape, generator=g)
    data = TensorDataset(x, "toy", (0.0, 1.0) if model.likelihood.name == "bernoulli" else None)
    perm = torch.randperm(n + n_val, generator=g)
    return TrainContext(model, data, perm[:n], perm[n:], perm[:n], TrainConfig(eval_batch_size=16),
                        torch.device("cpu"), torch.Generator().manual_seed(seed), TrainState(), CachedImages(data))


@torch.no_grad()
def eval_codes(model, x):
    was = model.training
    model.eval()
    z = model.encode(x)
    model.train(was)
    return z


# --------------------------------------------------------------------------- the KL term


def reference_kl(z, centres, h, tail, log):
    """mean[log(q(z) + eps) - log N(z; 0, I)] in float64 with scipy densities."""
    z, centres = z.double().numpy(), centres.double().numpy()
    l = z.shape[1]
    kernel = lambda mean: stats.multivariate_normal(mean, h * h * np.eye(l))
    q = np.mean([kernel(c).pdf(z) for c in centres], axis=0)
    eps = 0.0
    if tail > 0:
        radius = h * math.sqrt(stats.chi2.ppf(1.0 - tail, l))
        eps = kernel(np.zeros(l)).pdf(np.r_[radius, np.zeros(l - 1)])
    p = stats.multivariate_normal(np.zeros(l), np.eye(l)).pdf(z)
    return float(np.mean(np.log(q + eps) - np.log(p)) / (math.log(10.0) if log == "log10" else 1.0))


@pytest.mark.parametrize("log", ["ln", "log10"])
@pytest.mark.parametrize("tail", [0.0, 1e-2, 1e-6])
def test_kl_term_matches_an_independent_float64_computation(log, tail):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(9, 3, generator=g, dtype=torch.float64) * 1.6
    centres = torch.randn(50, 3, generator=g, dtype=torch.float64)
    floor = kde_log_floor(0.4, 3, tail) if tail else None
    got = aggregate_kl(z, centres, 0.4, floor, KL_LOGS[log])
    assert float(got) == pytest.approx(reference_kl(z, centres, 0.4, tail, log), rel=1e-10)


def test_the_floor_only_lifts_points_far_from_every_centre():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(50, 3, generator=g, dtype=torch.float64)
    near, far = centres[:4] + 0.01, torch.full((1, 3), 6.0, dtype=torch.float64)
    floor = kde_log_floor(0.4, 3, 1e-6)
    assert float(aggregate_kl(near, centres, 0.4, floor)) == pytest.approx(float(aggregate_kl(near, centres, 0.4)),
                                                                           abs=1e-4)
    assert float(aggregate_kl(far, centres, 0.4, floor)) > float(aggregate_kl(far, centres, 0.4)) + 10.0
    # the floor stops the KDE term from pushing an outlier further out: only -log p(z) acts on it
    zf = far.clone().requires_grad_()
    (grad,) = torch.autograd.grad(aggregate_kl(zf, centres, 0.4, floor), zf)
    assert torch.allclose(grad, far, rtol=1e-6)


def test_log10_term_is_the_natural_log_term_over_ln10():
    x = (torch.rand(12, 1, 8, 8, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    natural, decimal = make_model(kl_log="ln"), make_model(kl_log="log10")
    kl_ln, kl_10 = natural.loss(x)["kl"].detach(), decimal.loss(x)["kl"].detach()
    assert float(kl_10) == pytest.approx(float(kl_ln) / math.log(10.0), rel=1e-5)


def test_loss_is_recon_plus_beta_times_the_kl_against_the_kde_codes():
    model = make_model(kde_floor_tail=1e-3)
    ctx = make_ctx(model)
    model.on_train_start(ctx)
    x = ctx.images(ctx.sgd_index[:10])
    out = {k: v.detach() for k, v in model.loss(x).items()}
    z = model.encode(x).detach()
    expected = reference_kl(z, model.kde_codes, float(model.h), 1e-3, "log10")
    assert float(out["kl"]) == pytest.approx(expected, rel=1e-4)
    assert float(out["loss"]) == pytest.approx(float(out["recon"]) + float(model.beta) * expected, rel=1e-5)


def test_gradient_reaches_the_encoder_only_through_the_minibatch_codes():
    model = make_model()
    ctx = make_ctx(model)
    model.on_train_start(ctx)
    assert not model.kde_codes.requires_grad and model.kde_codes.grad_fn is None
    x = ctx.images(ctx.sgd_index[:10])
    params = list(model.encoder.parameters())
    got = torch.autograd.grad(model.loss(x)["kl"], params)

    # the chain rule through the minibatch codes alone: d kl / d z, then back through the encoder
    z = model.encode(x)
    zc = z.detach().requires_grad_()
    (dz,) = torch.autograd.grad(model.regularizer(zc)[1]["kl"], zc)
    for a, b in zip(got, torch.autograd.grad(z, params, grad_outputs=dz)):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-8)
    # centres that carried gradient (the KDE set encoded with autograd) would add a second path
    attached = model.encode(ctx.images(model.kde_index))
    kl_attached = aggregate_kl(model.encode(x), attached, model.h, kde_log_floor(0.5, 3, 1e-6), 10.0)
    other = torch.autograd.grad(kl_attached, params)
    assert torch.allclose(attached.detach(), model.kde_codes, atol=1e-6)
    assert any(not torch.allclose(a, b, rtol=1e-3, atol=1e-6) for a, b in zip(got, other))


def test_before_training_the_batch_is_its_own_detached_kde():
    model = make_model(bandwidth=None, kde_samples=10_000, kde_floor_tail=0.0, kl_log="ln")
    x = (torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(2)) > 0.5).float()
    z = model.encode(x)
    assert int(model.kde_step) == -1 and float(model.beta) == 1.0 and 0.0 < float(model.h) < 1.0
    assert float(model.loss(x)["kl"].detach()) == pytest.approx(float(aggregate_kl(z, z.detach(), model.h).detach()),
                                                                rel=1e-6)


# --------------------------------------------------------------------------- beta


def expected_beta(model, x, estimator):
    with torch.no_grad():
        model.eval()
        raw = model.decoder(model.encoder(x))
        model.train()
    if model.likelihood.name == "bernoulli":
        xhat = torch.sigmoid(raw)
        nll = F.binary_cross_entropy_with_logits(raw, x, reduction="none").flatten(1).sum(1)
    else:
        xhat = raw
        nll = (raw - x).square().flatten(1).sum(1)
    if estimator == "code":
        return math.sqrt(float(nll.double().mean()))
    return float((x - xhat).flatten(1).double().norm(dim=1).mean())


@pytest.mark.parametrize("likelihood,shape", [("bernoulli", (1, 8, 8)), ("gaussian", (20,))])
@pytest.mark.parametrize("estimator", ["code", "paper"])
def test_beta_is_the_chosen_validation_statistic_at_start_and_after_each_epoch(estimator, likelihood, shape):
    model = make_model(shape, likelihood, beta_estimator=estimator)
    ctx = make_ctx(model)
    x_val = ctx.data.images(ctx.val_index)
    model.on_train_start(ctx)
    assert float(model.beta) == pytest.approx(expected_beta(model, x_val, estimator), rel=1e-5)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1.3)
    logged = model.on_epoch_end(ctx)
    assert model.training
    assert logged["avae/beta"] == float(model.beta) == pytest.approx(expected_beta(model, x_val, estimator), rel=1e-5)
    codes = eval_codes(model, x_val).double()
    assert logged["avae/code_total_var"] == pytest.approx(float(codes.var(0, unbiased=False).sum()), rel=1e-5)
    assert logged["avae/code_mean_norm"] == pytest.approx(float(codes.mean(0).norm()), rel=1e-5)
    assert logged["avae/val_l2"] == pytest.approx(expected_beta(model, x_val, "paper"), rel=1e-5)
    assert math.sqrt(logged["avae/val_nll"]) == pytest.approx(expected_beta(model, x_val, "code"), rel=1e-5)


# --------------------------------------------------------------------------- the KDE set


def test_kde_and_sgd_sets_partition_the_training_set_and_are_redrawn_every_k_e_epochs():
    model = make_model(kde_resample_epochs=2)
    ctx = make_ctx(model)
    model.on_train_start(ctx)
    train_set = set(ctx.train_index.tolist())
    sets = []
    for epoch in range(5):
        ctx.state.epoch = epoch
        model.on_epoch_start(ctx)
        model.on_epoch_start(ctx)  # a run resumed at an epoch boundary calls it again: no second draw
        kde, sgd = set(model.kde_index.tolist()), set(ctx.sgd_index.tolist())
        assert len(kde) == 40 and len(sgd) == 160 and not kde & sgd and kde | sgd == train_set
        assert torch.allclose(model.kde_codes, eval_codes(model, ctx.images(model.kde_index)))
        sets.append(kde)
    assert sets[0] == sets[1] != sets[2] == sets[3] != sets[4]


def test_kde_codes_are_reencoded_every_k_b_steps():
    model = make_model(kde_refresh_steps=3)
    ctx = make_ctx(model)
    model.on_train_start(ctx)
    refreshed = []
    for step in range(11):
        ctx.state.step = step
        before = model.kde_codes.clone()
        model.on_step_start(ctx)
        refreshed.append(not torch.equal(before, model.kde_codes))
        fresh = torch.allclose(model.kde_codes, eval_codes(model, ctx.images(model.kde_index)))
        assert fresh == (step == 0 or refreshed[-1])
        with torch.no_grad():  # an optimiser step
            for p in model.encoder.parameters():
                p.add_(0.01)
    assert refreshed == [step in (3, 6, 9) for step in range(11)]


def test_kde_codes_are_encoded_in_evaluation_mode():
    model = make_model((1, 32, 32), arch="mnist", latent_dim=4, kde_samples=8)
    ctx = make_ctx(model, n=24, n_val=4)
    model.train()
    model.on_train_start(ctx)
    x = ctx.images(model.kde_index)
    assert model.training
    assert torch.allclose(model.kde_codes, eval_codes(model, x), atol=1e-5)
    with torch.no_grad():
        assert not torch.allclose(model.kde_codes, model.encode(x), atol=1e-3)  # batch-norm statistics differ


# --------------------------------------------------------------------------- generation and config


def test_generation_samples_n_0_1_minus_h2():
    model = make_model(bandwidth=0.6)
    assert torch.allclose(model.prior().variance, torch.full((3,), 0.64))
    z = model.sample_latent(40_000, torch.Generator().manual_seed(0))
    assert torch.allclose(z.var(0), torch.full((3,), 0.64), atol=0.02)
    assert torch.equal(z, model.sample_latent(40_000, torch.Generator().manual_seed(0)))


def test_training_sets_h_to_the_eq_10_11_bandwidth():
    model = make_model(bandwidth=None, kde_samples=40)
    model.on_train_start(make_ctx(model))
    b = bandwidth(3, 40)
    assert float(model.h) == pytest.approx(b.h, rel=1e-6)
    assert torch.allclose(model.prior().variance, torch.full((3,), b.generation_variance))


@pytest.mark.parametrize("override,text", [
    ("kde_samples=1", "kde_samples"),
    ("kde_refresh_steps=0", "kde_refresh_steps"),
    ("kde_resample_epochs=0", "kde_resample_epochs"),
    ("beta_estimator=median", "unknown beta_estimator 'median'; choose one of: code, paper"),
    ("kl_log=log2", "unknown kl_log 'log2'; choose one of: log10, ln"),
    ("kde_floor_tail=1", "kde_floor_tail"),
    ("kde_floor_tail=-0.1", "kde_floor_tail"),
    ("bandwidth=1.0", "bandwidth"),
    ("bandwidth=0", "bandwidth"),
    ("bandwidth_search=grid", "unknown bandwidth_search 'grid'"),
])
def test_bad_config_values_are_rejected(override, text):
    with pytest.raises(ConfigError, match=text):
        build_config(model="avae", dataset="digits", overrides=[override])


# --------------------------------------------------------------------------- training


def cfg(*overrides, **flags):
    base = tiny_overrides() + ["kde_samples=100", "kde_refresh_steps=4"]
    return build_config(model="avae", dataset="digits", overrides=base + list(overrides), **flags)


def test_a_kde_set_larger_than_the_training_split_fails_before_training(tmp_path):
    with pytest.raises(ConfigError, match=r"kde_samples=5000 .* holds only 1350 items; set kde_samples below 1350"):
        train(cfg("kde_samples=5000", steps=2), tmp_path / "a", progress=False)
    assert not Run(tmp_path / "a").checkpoint_path("latest").is_file()
    with pytest.raises(ConfigError, match="val_fraction"):
        train(cfg("data.val_fraction=0", steps=2), tmp_path / "b", progress=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("avae") / "ref"
    train(cfg(epochs=3), path, progress=False)
    return path


def checkpoint(path):
    return torch.load(Run(path).checkpoint_path("latest"), weights_only=True)


@pytest.mark.parametrize("stop", [12, 18])  # an epoch boundary (1250 SGD items / 100) and mid-epoch
def test_interrupted_then_resumed_equals_uninterrupted(reference, tmp_path, stop):
    with pytest.raises(Interrupted):
        train(cfg(epochs=3), tmp_path / "b", progress=False, stop_at_step=stop)
    train(cfg(epochs=3), tmp_path / "b", resume=True, progress=False)
    a, b = checkpoint(reference), checkpoint(tmp_path / "b")
    assert set(a["model"]) >= {"h", "beta", "kde_index", "kde_codes", "kde_step", "kde_epoch"}
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    for i, s in a["optimizers"]["model"]["state"].items():
        for k, v in s.items():
            assert torch.equal(v, b["optimizers"]["model"]["state"][i][k])
    assert torch.equal(a["sgd_index"], b["sgd_index"])
    assert {k: v for k, v in a["state"].items() if k != "seconds"} == \
           {k: v for k, v in b["state"].items() if k != "seconds"}
    strip = lambda p: [r.rsplit(",", 1)[0] for r in (p / "log.csv").read_text().splitlines()]
    assert strip(reference) == strip(tmp_path / "b")


def test_the_bandwidth_is_recorded_in_the_status_and_reused_on_resume(reference, tmp_path, monkeypatch):
    status, model = Run(reference).status(), Run(reference).load_model("latest")
    assert status["avae_bandwidth"] == float(model.h) == pytest.approx(bandwidth(3, 100).h, rel=1e-6)
    assert status["avae_generation_variance"] == pytest.approx(1.0 - float(model.h) ** 2, rel=1e-6)
    with pytest.raises(Interrupted):
        train(cfg(epochs=3), tmp_path / "b", progress=False, stop_at_step=5)

    def searched(*args, **kwargs):
        raise AssertionError("a resumed run searched its bandwidth again")

    # The resumed run takes h from its own files: no new search, no machine's cache.
    monkeypatch.setattr("vaelab.models.avae.search_bandwidth", searched)
    train(cfg(epochs=3), tmp_path / "b", resume=True, progress=False)
    a, b = checkpoint(reference), checkpoint(tmp_path / "b")
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k
    assert Run(tmp_path / "b").status()["avae_bandwidth"] == status["avae_bandwidth"]


def test_training_logs_beta_the_kl_term_and_code_statistics(reference):
    rows = (reference / "log.csv").read_text().strip().splitlines()
    header = rows[0].split(",")
    for key in ("train/kl", "val/kl", "train/recon", "val/recon", "avae/beta", "avae/val_nll", "avae/val_l2",
                "avae/code_mean_norm", "avae/code_total_var"):
        assert key in header, key
    assert len(rows) == 4
    model = Run(reference).load_model("latest")
    last = dict(zip(header, rows[-1].split(",")))
    assert float(last["avae/beta"]) == pytest.approx(float(model.beta), rel=1e-6)
    assert float(last["avae/beta"]) == pytest.approx(math.sqrt(float(last["avae/val_nll"])), rel=1e-6)
    assert int(model.kde_step) == 32 and int(model.kde_epoch) == 2  # drawn at steps 12, 24; refreshed at 28, 32
    assert float(model.h) == pytest.approx(bandwidth(3, 100).h, rel=1e-6)


# --------------------------------------------------------------------------- command line


@pytest.mark.parametrize("dataset,extra", [
    ("dsprites", ["--subset", "300", "train.batch_size=50"]),  # 64x64 binary, AVAE Table IX network
    ("digits", ["train.batch_size=32", "--no-figures"]),  # 32x32, the MNIST network of AVAE Table VIII
])
def test_train_sample_evaluate_from_the_command_line(tmp_path, capsys, dataset, extra):
    out = tmp_path / "run"
    code = main(["train", "--model", "avae", "--dataset", dataset, "--out", str(out), "--steps", "2", "--no-progress",
                 "--device", "cpu", "kde_samples=100", "train.tensorboard=false", *extra])
    assert code == 0, capsys.readouterr().err
    assert "2 steps" in capsys.readouterr().out
    assert main(["sample", str(out), "-n", "16", "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 0
    assert main(["evaluate", str(out), "--metrics", "reconstruction,latent", "--num-samples", "100",
                 "--device", "cpu", "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    model = Run(out).load_model()
    assert metrics["reconstruction.mse"] > 0 and "latent.kl_gaussian_model_prior" in metrics
    assert 0.0 < float(model.h) < 1.0 and float(model.beta) > 0


def test_the_channels_last_refresh_computes_the_plain_codes_and_restores_the_layout():
    model = make_model(shape=(1, 64, 64), arch="dsprites", latent_dim=4)
    ctx = make_ctx(model, n=120, n_val=10)
    model.on_train_start(ctx)
    model.encode_kde_set(ctx)
    expected = eval_codes(model, ctx.images(model.kde_index))
    torch.testing.assert_close(model.kde_codes, expected, rtol=1e-5, atol=1e-5)
    assert all(p.is_contiguous() for p in model.parameters())
    assert model.training
