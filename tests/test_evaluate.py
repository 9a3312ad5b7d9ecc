"""vaelab evaluate: the suite on tiny runs, merging, and bad input."""

import json
import shutil

import numpy as np
import pytest
import torch

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.config import build_config
from vaelab.evaluate import evaluate_run
from vaelab.runs import Run
from vaelab.train import train


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "digits"
    train(build_config(model="vae", dataset="digits", steps=30, overrides=tiny_overrides()), out, progress=False)
    return out


@pytest.fixture(scope="module")
def dsprites_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval") / "dsprites"
    config = build_config(model="vae", dataset="dsprites", steps=20, subset=2000, batch_size=32,
                          overrides=["train.tensorboard=false"])
    train(config, out, progress=False)
    return out


def test_ground_truth_metrics_on_dsprites(dsprites_run):
    names = ["mig", "factor_vae", "beta_vae", "sap", "dci", "directions", "pca_mig", "pca_factor_vae", "latent",
             "reconstruction", "downstream"]
    out = evaluate_run(dsprites_run, names, num_samples=60, progress=False)
    m = out["metrics"]
    for key in ("mig", "factor_vae.eval_accuracy", "beta_vae.eval_accuracy", "sap", "dci.disentanglement",
                "pca_mig", "pca_factor_vae.eval_accuracy", "latent.kl_gaussian", "latent.entropy",
                "reconstruction.mse", "downstream.accuracy_10", "directions.mean_angle"):
        assert key in m and m[key] == m[key], key
    assert 0.0 <= m["mig"] <= 1.0 and 0.0 <= m["factor_vae.eval_accuracy"] <= 1.0
    assert len(out["arrays"]["directions.angles"]) == 5
    assert m["latent.entropy_ground_truth"] == m["latent.entropy_code_ground_truth"] == 3.0
    from vaelab.metrics.latent import normal_reference_entropy

    for key, variant in (("latent.entropy", "vaelab"), ("latent.entropy_code", "code")):
        assert m[f"{key}_on_normal"] == normal_reference_entropy(6, int(m["latent.entropy_num_codes"]),
                                                                    m["latent.entropy_bandwidth"], variant)
    assert len(out["arrays"]["directions.vectors"][0]) == 6
    on_disk = json.loads((dsprites_run / "metrics.json").read_text())
    assert on_disk["metrics"] == m and set(on_disk["seconds"]) == set(names)


def test_results_are_reproducible_and_merge(dsprites_run):
    a = evaluate_run(dsprites_run, ["mig", "sap"], num_samples=60, seed=3, progress=False)["metrics"]
    b = evaluate_run(dsprites_run, ["mig"], num_samples=60, seed=3, progress=False)["metrics"]
    assert a["mig"] == b["mig"] and "sap" in b


def test_digits_suite_skips_ground_truth_metrics(digits_run):
    out = evaluate_run(digits_run, None, num_samples=100, progress=False)
    assert "mig" not in out["metrics"] and "reconstruction.mse" in out["metrics"]
    assert "downstream.accuracy_100" in out["metrics"]
    assert out["features"]["kind"] == "trained"


def test_cli_prints_a_table(digits_run, capsys):
    assert main(["evaluate", str(digits_run), "--metrics", "reconstruction,latent", "--num-samples", "100",
                 "--no-progress", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "reconstruction.mse" in out and "latent.kl_gaussian" in out and "metrics.json" in out


@pytest.mark.parametrize("argv,text", [
    (["--metrics", "mig"], "needs ground-truth factors and dataset digits has none"),
    (["--metrics", "fid"], "unknown metric 'fid'"),
    (["--num-samples", "3"], "num_samples must be at least 10"),
])
def test_bad_input(digits_run, capsys, argv, text):
    before = (digits_run / "metrics.json").read_bytes() if (digits_run / "metrics.json").exists() else None
    code = main(["evaluate", str(digits_run), "--no-progress", *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and text in err and len(err.strip().splitlines()) == 1
    after = (digits_run / "metrics.json").read_bytes() if (digits_run / "metrics.json").exists() else None
    assert before == after


def test_run_without_checkpoint(digits_run, tmp_path, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(digits_run / "config.yaml", bare / "config.yaml")
    assert main(["evaluate", str(bare), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "has no best checkpoint" in err and not (bare / "metrics.json").exists()


def test_generative_metrics_of_an_rae_use_its_fitted_sampler(tmp_path):
    out = tmp_path / "rae"
    train(build_config(model="rae", dataset="digits", steps=20, overrides=tiny_overrides()), out, progress=False)
    result = evaluate_run(out, ["generative"], num_samples=100, progress=False)
    assert result["features"]["sampler"] == "gaussian"
    assert (out / "samplers" / "gaussian.pt").is_file()
    assert result["metrics"]["generative.prior_fd"] >= 0.0


def test_generative_metrics_of_another_sampler_sit_beside_the_default(tmp_path, capsys):
    out = tmp_path / "rae"
    train(build_config(model="rae", dataset="digits", steps=20, overrides=tiny_overrides()), out, progress=False)
    first = evaluate_run(out, ["generative"], num_samples=100, progress=False)
    both = evaluate_run(out, ["generative"], num_samples=100, progress=False, sampler="gmm")
    m = both["metrics"]
    assert m["generative.prior_fd"] == first["metrics"]["generative.prior_fd"]
    assert m["generative_gmm.prior_fd"] != m["generative.prior_fd"]
    assert m["generative_gmm.reconstruction_fd"] == m["generative.reconstruction_fd"]
    assert both["settings"]["generative_gmm"]["sampler"] == "gmm"
    assert both["features"]["sampler"] == "gaussian" and (out / "samplers" / "gmm.pt").is_file()
    assert main(["evaluate", str(out), "--metrics", "latent", "--sampler", "gmm", "--no-progress"]) == 2
    assert "applies to the generative metrics only" in capsys.readouterr().err
    assert main(["evaluate", str(out), "--metrics", "generative", "--sampler", "nope", "--no-progress"]) == 2
    assert "unknown sampler 'nope'" in capsys.readouterr().err


def test_disentanglement_metrics_of_the_ard_vae_use_its_active_axes(tmp_path, monkeypatch):
    from vaelab.metrics import disentanglement

    out = tmp_path / "ard"
    config = build_config(model="ard_vae", dataset="dsprites", steps=5, subset=2000, batch_size=32,
                          overrides=["train.tensorboard=false", "latent_dim=5", "alpha_size=200"])
    train(config, out, progress=False)
    path = out / "checkpoints" / "best.pt"
    ckpt = torch.load(path, weights_only=False)
    ckpt["model"]["active_mask"] = torch.tensor([True, False, True, False, False])
    torch.save(ckpt, path)
    model = Run(out).load_model()
    widths = []

    def spy(data, encode, generator, **kwargs):
        factors = data.sample_factors(8, generator)
        codes = np.asarray(encode(factors))
        widths.append(codes.shape[1])
        z = model.encode(data.render(factors))
        expected = z[:, [0, 2]] if codes.shape[1] == 2 else z
        np.testing.assert_allclose(codes, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
        return {"factor_vae.eval_accuracy": 0.5}

    monkeypatch.setattr(disentanglement, "factor_vae_score", spy)
    active = evaluate_run(out, ["factor_vae"], num_samples=60, progress=False)
    assert active["settings"]["factor_vae"]["axes"] == [0, 2]
    full = evaluate_run(out, ["factor_vae"], num_samples=60, progress=False, all_axes=True)
    assert full["settings"]["factor_vae"]["axes"] == "all"
    assert widths == [2, 5]
    assert main(["evaluate", str(out), "--metrics", "factor_vae", "--num-samples", "60", "--no-progress"]) == 0
    assert json.loads((out / "metrics.json").read_text())["settings"]["factor_vae"]["axes"] == [0, 2]
    assert main(["evaluate", str(out), "--metrics", "factor_vae", "--all-axes", "--no-progress"]) == 0
    assert widths[-1] == 5


def test_an_interrupted_evaluation_keeps_the_groups_it_finished(dsprites_run, tmp_path, monkeypatch):
    from vaelab.evaluate import METRICS  # vaelab.evaluate is the API function; the module holds METRICS

    run = tmp_path / "run"
    shutil.copytree(dsprites_run, run)
    (run / "metrics.json").unlink(missing_ok=True)

    def interrupted(ctx, g):
        raise KeyboardInterrupt

    monkeypatch.setitem(METRICS, "mig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        evaluate_run(run, ["reconstruction", "sap", "mig", "dci"], num_samples=60, progress=False)
    kept = json.loads((run / "metrics.json").read_text())
    assert set(kept["seconds"]) == {"reconstruction", "sap"} and set(kept["settings"]) == {"reconstruction", "sap"}
    assert kept["metrics"]["reconstruction.mse"] > 0 and 0.0 <= kept["metrics"]["sap"] <= 1.0
    assert not any(k.startswith(("mig", "dci")) for k in kept["metrics"])
    assert not list(run.glob(".metrics.json.*.tmp"))


def test_grid_codes_are_encoded_once_per_checkpoint_and_reused(digits_run, tmp_path):
    from vaelab.data.base import FactorGridDataset
    from vaelab.evaluate import EvalContext
    from vaelab.metrics.disentanglement import mig_score

    class Grid(FactorGridDataset):
        name, shape, factor_names, factor_sizes, on_demand = "grid", (1, 8, 8), ("a", "b"), (4, 6), True

        def render(self, factors):
            f = self.check_factors(factors).float()
            x = torch.zeros(len(f), 1, 8, 8)
            x[:, 0, 0, :] = f[:, :1] / 3
            x[:, 0, 1, :] = f[:, 1:] / 5
            return x

    run_dir = tmp_path / "run"
    shutil.copytree(digits_run, run_dir)
    run, data = Run(run_dir), Grid()
    model = run.load_model("best")

    def context():
        return EvalContext(run, model, data, data, torch.arange(len(data)), torch.device("cpu"), None, False)

    first = context()
    first.fill_codes()
    assert (run_dir / "codes" / "best.pt").is_file() and first.encoder().num_encoded == len(data)
    expected = model.encode(data.images(torch.arange(len(data)))).detach().numpy()
    assert np.allclose(first.encoder()(data.factors(torch.arange(len(data)))), expected, atol=1e-6)
    second = context()
    def no_encoding(x):
        raise AssertionError("the stored codes must be used")

    second.encode = no_encoding
    assert second.encoder().num_encoded == len(data)
    g = lambda: torch.Generator().manual_seed(0)
    assert mig_score(data, second.encoder(), g(), num_train=24) == mig_score(data, first.encoder(), g(), num_train=24)
    ckpt = run.checkpoint_path("best")
    ckpt.write_bytes(ckpt.read_bytes() + b"\0")  # another checkpoint: the stored codes no longer apply
    assert context().encoder().num_encoded == 0
