"""The Python API (fit / load / evaluate / export) and own data through the CLI."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

import vaelab
from test_cli import one_line_error
from test_cli import run_cli as cli_run
from vaelab.cli import main
from vaelab.errors import DataError, RunError
from vaelab.metrics.latent import active_dimensions, relevance_scores
from vaelab.runs import Run

FAST = {"train.tensorboard": False, "train.eval_batch_size": 256, "batch_size": 50}
FAST_CLI = ["--no-progress", "train.tensorboard=false", "train.eval_batch_size=256", "--batch-size", "50"]


def digits(n=400):
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images[:n] / 16.0).astype(np.float32), d.target[:n]


def write_pngs(folder, n=60, side=8):
    x, _ = digits(n)
    for i, img in enumerate(x):
        sub = folder / str(i % 3)
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(img * 255).astype(np.uint8)).resize((side, side)).save(sub / f"{i:03d}.png")
    return folder


def run_cli(capsys, *argv):
    return cli_run(capsys, *map(str, argv))


def snapshot(run_dir):
    return {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ard(tmp_path_factory):
    x, y = digits()
    out = tmp_path_factory.mktemp("api") / "ard"
    run = vaelab.fit("ard_vae", x, out, labels=y, steps=40, latent_dim=6, alpha_size=100, relevance_samples=20, figures=False,
                     **FAST)
    return run, x, y


def test_fit_on_an_array_stores_the_data_and_load_gives_the_runs_codes(ard):
    run, x, y = ard
    assert run.status()["status"] == "finished" and run.status()["steps"] == 40
    stored = np.load(run.path / "data.npz")
    np.testing.assert_array_equal(stored["images"][:, 0], x)
    np.testing.assert_array_equal(stored["labels"], y)
    cfg = run.config()
    assert cfg.data.name == "own" and cfg.data.root == str((run.path / "data.npz").resolve())
    assert cfg.model_config.architecture == "mlp" and cfg.model_config.latent_dim == 6
    model = vaelab.load(run.path)
    own = run.load_model("best")
    with torch.no_grad():
        expected = own.encode(torch.from_numpy(x[:, None]))
    assert torch.equal(model.encode(x), expected)
    assert torch.equal(model.encode(x[:, :, :, None]), expected)  # channels-last
    assert torch.allclose(model.encode(x[0]), expected[:1], atol=1e-6)  # one item (another batch size)
    u8 = np.round(x * 255).astype(np.uint8)
    with torch.no_grad():
        assert torch.allclose(model.encode(u8), own.encode(torch.from_numpy(u8[:, None]).float() / 255), atol=1e-6)
    assert model.decode(expected[:3]).shape == (3, 1, 8, 8)
    assert model.reconstruct(x[:5]).shape == (5, 1, 8, 8)
    assert not model.model.training and model.device == torch.device("cpu")
    with pytest.raises(DataError, match=r"do not fit the model's items \(1, 8, 8\)"):
        model.encode(np.zeros((2, 9, 9), np.float32))


def test_sampling_is_seeded_and_ard_active_axes_are_the_models(ard):
    run, x, _ = ard
    model = vaelab.load(run)
    a, b, c = model.sample(5, generator=3), model.sample(5, generator=3), model.sample(5, generator=4)
    assert a.shape == (5, 1, 8, 8) and torch.equal(a, b) and not torch.equal(a, c)
    assert model.active_axes == torch.nonzero(model.model.active_mask).flatten().tolist()


def test_relevance_matches_the_direct_computation(ard):
    run, x, _ = ard
    model = vaelab.load(run)
    rel = model.relevance(x[:30], num_samples=20)
    with torch.no_grad():
        codes = model.model.encode(torch.from_numpy(x[:30, None]))
    want = relevance_scores(model.model.decode, codes, variance=model.model.prior_variance, reading="code",
                            num_jacobian=20)
    assert torch.allclose(rel.scores, want, rtol=1e-5, atol=1e-10)
    assert rel.active == active_dimensions(want, 0.99).tolist() and rel.num_codes == 30
    assert rel.plot(run.path / "rel.png").stat().st_size > 0


def test_evaluate_returns_what_metrics_json_holds(ard):
    run, _, _ = ard
    result = vaelab.evaluate(vaelab.load(run), ["reconstruction", "downstream"], num_samples=100)
    assert result == json.loads((run.path / "metrics.json").read_text())
    assert 0.0 < result["metrics"]["reconstruction.mse"] < 1.0
    assert 0.0 <= result["metrics"]["downstream.accuracy_10"] <= 1.0
    assert callable(vaelab.evaluate)


def test_export_round_trip_gives_the_same_codes(ard, tmp_path, capsys):
    run, x, _ = ard
    code, out, _ = run_cli(capsys, "export", run.path, "--format", "safetensors", "--out", tmp_path / "exp")
    assert code == 0 and "model.safetensors" in out
    config = json.loads((tmp_path / "exp" / "config.json").read_text())
    assert config["model"] == "ard_vae" and config["shape"] == [1, 8, 8]
    exported, original = vaelab.load(tmp_path / "exp"), vaelab.load(run)
    assert (exported.encode(x) - original.encode(x)).abs().max() < 1e-6
    assert exported.active_axes == original.active_axes
    assert torch.equal(exported.sample(4, generator=1), original.sample(4, generator=1))
    before = snapshot(tmp_path / "exp")
    code, _, err = run_cli(capsys, "export", run.path, "--out", tmp_path / "exp")
    assert code == 2 and snapshot(tmp_path / "exp") == before
    one_line_error(err, "already exists")


def test_export_carries_a_fitted_sampler(tmp_path):
    x, _ = digits(200)
    run = vaelab.fit("rae", x, tmp_path / "rae", steps=10, latent_dim=3, figures=False, **FAST)
    path = vaelab.export(run)
    assert (path / "sampler.safetensors").is_file()
    exported, original = vaelab.load(path), vaelab.load(run)
    assert torch.allclose(exported.sample(6, generator=2), original.sample(6, generator=2), atol=1e-6)


def test_fit_accepts_a_torch_dataset_of_pairs(tmp_path):
    x, y = digits(120)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    run = vaelab.fit("vae", ds, tmp_path / "v", steps=3, latent_dim=2, figures=False, **FAST)
    stored = np.load(run.path / "data.npz")
    np.testing.assert_array_equal(stored["labels"], y)
    assert run.config().data.options["layout"] == "nchw"


def test_fit_resume_checks_the_given_data(tmp_path):
    x, _ = digits(120)
    out = tmp_path / "v"
    vaelab.fit("vae", x, out, steps=3, latent_dim=2, figures=False, **FAST)
    assert vaelab.fit(data=x, out=out, resume=True, steps=6, figures=False).status()["steps"] == 6
    before = snapshot(out)
    with pytest.raises(DataError, match="differ from those the run"):
        vaelab.fit(data=x[::-1].copy(), out=out, resume=True, steps=9, figures=False)
    assert snapshot(out) == before
    with pytest.raises(RunError, match="already exists"):
        vaelab.fit("vae", x, out, steps=3)
    assert snapshot(out) == before


def test_a_failed_fit_leaves_no_files_behind(tmp_path):
    x, _ = digits(50)
    with pytest.raises(vaelab.errors.ConfigError, match="unknown key 'no_such_key'"):
        vaelab.fit("vae", x, tmp_path / "bad", steps=3, no_such_key=1)
    assert not (tmp_path / "bad").exists()
    with pytest.raises(DataError, match="NaN"):
        vaelab.fit("vae", np.full((10, 4, 4), np.nan, np.float32), tmp_path / "nan", steps=3)
    assert not (tmp_path / "nan").exists()


# ----------------------------------------------------------------------------- own data from the CLI


def test_cli_trains_an_ard_vae_on_a_folder_of_pngs(tmp_path, capsys):
    pngs = write_pngs(tmp_path / "some_pngs", n=300)
    out = tmp_path / "runs" / "mine"
    code, stdout, err = run_cli(capsys, "train", "--model", "ard_vae", "--dataset", pngs, "--out", out,
                                "--steps", "300", *FAST_CLI, "--batch-size", "25", "relevance_samples=5")
    assert code == 0, err
    assert "300 steps" in stdout and (out / "figures" / "samples.png").is_file()
    cfg = Run(out).config()
    assert cfg.data.root == str(pngs.resolve()) and cfg.data.options["fingerprint"]["files"] == 300
    assert cfg.model_config.alpha_size == 270 // 5  # X_alpha sized for 270 training images, not the seeds' 10K
    model = vaelab.load(out)
    x = vaelab.data.load_dataset(str(pngs)).images(range(300))
    with torch.no_grad():
        assert torch.equal(model.encode(x), Run(out).load_model().encode(x))


@pytest.fixture
def pngs_run(tmp_path):
    pngs = write_pngs(tmp_path / "pngs", n=30)
    out = tmp_path / "run"
    assert main(["train", "--model", "vae", "--dataset", str(pngs), "--out", str(out), "--steps", "4",
                 "--no-figures", *FAST_CLI, "latent_dim=2"]) == 0
    return pngs, out


def test_a_dataset_changed_after_training_stops_resume_and_evaluate(pngs_run, capsys):
    pngs, out = pngs_run
    before = snapshot(out)
    Image.new("L", (8, 8), 255).save(pngs / "0" / "000.png")
    code, _, err = run_cli(capsys, "train", "--out", out, "--resume", "--steps", "8", "--no-progress")
    assert code == 2
    one_line_error(err, f"dataset folder {pngs.resolve()} changed since the run was made")
    code, _, err = run_cli(capsys, "evaluate", out, "--metrics", "reconstruction", "--no-progress")
    assert code == 2
    one_line_error(err, "changed since the run was made")
    assert snapshot(out) == before


def bad_inputs(tmp_path):
    (tmp_path / "empty").mkdir()
    write_pngs(tmp_path / "broken", n=6)
    (tmp_path / "broken" / "1" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    write_pngs(tmp_path / "mixed", n=4)
    Image.new("L", (12, 9)).save(tmp_path / "mixed" / "0" / "big.png")
    np.save(tmp_path / "rank.npy", np.zeros((4, 2, 3, 8, 8), np.float32))
    nan = np.zeros((10, 8, 8), np.float32)
    nan[3, 2, 2] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    np.save(tmp_path / "range.npy", np.full((10, 8, 8), 2.0, np.float32))
    return [
        ("empty", [], "holds no PNG or JPEG images"),
        ("broken", [], "bad.png is unreadable"),
        ("mixed", ["data.options.resize=false"], "big.png is 12x9"),
        ("rank.npy", [], "rank 5"),
        ("nan.npy", [], "NaN or infinite values (first in item 3)"),
        ("range.npy", [], "outside the declared range [0, 1]"),
        ("missing.npy", [], "does not exist"),
    ]


def test_bad_own_data_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    for name, extra, text in bad_inputs(tmp_path):
        out = tmp_path / f"run-{name}"
        code, _, err = run_cli(capsys, "train", "--model", "vae", "--dataset", tmp_path / name, "--out", out,
                               "--steps", "2", *FAST_CLI, *extra)
        assert code == 2, (name, err)
        one_line_error(err, text)
        assert not out.exists(), name
    code, _, err = run_cli(capsys, "train", "--model", "vae", "--dataset", tmp_path / "nan.npy", "--out", existing,
                           "--steps", "2", *FAST_CLI)
    assert code == 2 and (existing / "keep.txt").read_text() == "mine" and len(list(existing.iterdir())) == 1


def test_mixed_sizes_are_resized_by_default(tmp_path, capsys):
    write_pngs(tmp_path / "mixed", n=4)
    Image.new("L", (12, 9)).save(tmp_path / "mixed" / "0" / "big.png")
    assert vaelab.data.load_dataset(str(tmp_path / "mixed")).shape == (1, 8, 8)


def test_default_evaluation_of_unlabelled_own_data_skips_the_generative_group(tmp_path, monkeypatch):
    monkeypatch.delenv("VAELAB_INCEPTION", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no Inception weights
    x, _ = digits(300)
    run = vaelab.fit("vae", x, tmp_path / "u", steps=3, latent_dim=2, figures=False, **FAST)
    result = vaelab.evaluate(run, num_samples=100)
    assert set(result["seconds"]) == {"reconstruction", "latent"}
    with pytest.raises(DataError, match="no labels or factors to train a feature network"):
        vaelab.evaluate(run, ["generative"], num_samples=100)


def test_data_info_describes_own_data(tmp_path, capsys):
    pngs = write_pngs(tmp_path / "p", n=12)
    code, out, _ = run_cli(capsys, "data", "info", pngs)
    assert code == 0 and "own: 12 items of shape (1, 8, 8), values in (0.0, 1.0)" in out
