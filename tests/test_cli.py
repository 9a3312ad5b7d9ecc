"""The command line: happy paths, and one-line errors with non-zero exits for bad input."""

import subprocess
import sys

import pytest

from conftest import tiny_overrides
from vaelab.cli import main

TINY = ["--dataset", "digits", "--no-progress", *tiny_overrides()]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err, text):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--model", "vae", "--out", str(out), "--steps", "20", *TINY]) == 0
    return out


def test_train_writes_figures_and_summary(trained):
    for name in ("reconstructions.png", "samples.png", "traversal.png", "curves.png"):
        assert (trained / "figures" / name).stat().st_size > 0
    assert (trained / "config.yaml").read_text().startswith("model:")


def test_beta_vae_trains_from_the_cli(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "train", "--model", "beta_vae", "--out", str(tmp_path / "b"), "--steps", "3",
                           "--no-figures", *TINY, "beta=2")
    assert code == 0 and "3 steps" in out


def test_sample_reconstruct_traverse(trained, tmp_path, capsys):
    from PIL import Image

    code, out, _ = run_cli(capsys, "sample", str(trained), "-n", "16", "--out", str(tmp_path / "s.png"))
    assert code == 0 and Image.open(tmp_path / "s.png").size == (2 + 8 * 10, 2 + 2 * 10)
    code, _, _ = run_cli(capsys, "reconstruct", str(trained), "-n", "8", "--out", str(tmp_path / "r.png"))
    assert code == 0 and Image.open(tmp_path / "r.png").size == (2 + 8 * 10, 2 + 2 * 10)
    code, _, _ = run_cli(capsys, "traverse", str(trained), "--dims", "0,2", "--steps", "5",
                         "--out", str(tmp_path / "t.png"))
    width, height = Image.open(tmp_path / "t.png").size  # rows of 8 px enlarged twice for their z0 / z2 labels
    assert code == 0 and height == 2 * (2 + 2 * 10) and width - 2 * (2 + 5 * 10) > 6


def test_sampling_is_seeded(trained, tmp_path, capsys):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        run_cli(capsys, "sample", str(trained), "--seed", str(seed), "--out", str(tmp_path / f"{name}.png"))
    read = lambda n: (tmp_path / f"{n}.png").read_bytes()
    assert read("a") == read("b") != read("c")


def test_data_info_factor_sizes(capsys):
    code, out, _ = run_cli(capsys, "data", "info", "dsprites")
    assert code == 0 and "factor sizes: [3, 6, 40, 32, 32]" in out and "737,280 items" in out
    code, out, _ = run_cli(capsys, "data", "info", "shapes3d")
    assert code == 0 and "factor sizes: [10, 10, 10, 8, 4, 15]" in out and "480,000 items" in out
    code, out, _ = run_cli(capsys, "data", "info", "digits")
    assert code == 0 and "no ground-truth factors" in out and "10 classes" in out


def test_data_preview(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "data", "preview", "dsprites", "-n", "16", "--out", str(tmp_path / "p.png"))
    assert code == 0 and (tmp_path / "p.png").is_file()
    code, _, _ = run_cli(capsys, "data", "preview", "shapes3d", "--by-factor", "--out", str(tmp_path / "f.png"))
    assert code == 0 and (tmp_path / "f.png").is_file()


def test_models_lists_the_registry(capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0 and "vae:" in out and "beta_vae:" in out and "beta = 3.0" in out


@pytest.mark.parametrize("argv,text", [
    (["train", "--model", "vea", "--dataset", "digits", "--out", "{tmp}/x"], "unknown model 'vea'"),
    (["train", "--model", "vae", "--dataset", "mnits", "--out", "{tmp}/x"], "unknown dataset 'mnits'"),
    (["train", "--model", "vae", "--dataset", "digits", "--out", "{tmp}/x", "beta=-2"], "invalid beta=-2.0"),
    (["train", "--model", "vae", "--dataset", "digits", "--out", "{tmp}/x", "nope=1"], "unknown key 'nope'"),
    (["train", "--model", "vae", "--dataset", "mnist", "--out", "{tmp}/x", "--data-root", "{tmp}/none"], "mnist"),
    (["train", "--model", "vae", "--dataset", "digits", "--out", "{tmp}/x", "--config", "{tmp}/c.yaml"],
     "does not exist"),
    (["sample", "{tmp}/nothing"], "does not exist"),
    (["data", "info", "mnist", "--data-root", "{tmp}/none"], "mnist"),
    (["data", "preview", "mog"], "holds vectors"),
])
def test_bad_input_is_one_line_and_nonzero(tmp_path, capsys, argv, text):
    code, _, err = run_cli(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2
    one_line_error(err, text)
    assert not (tmp_path / "x" / "checkpoints").exists()


def test_existing_run_is_refused_and_untouched(trained, capsys):
    before = {p: p.read_bytes() for p in trained.rglob("*") if p.is_file()}
    code, _, err = run_cli(capsys, "train", "--model", "vae", "--out", str(trained), "--steps", "20", *TINY)
    assert code == 2
    one_line_error(err, "already exists; pass --resume")
    assert before == {p: p.read_bytes() for p in trained.rglob("*") if p.is_file()}


def test_resume_of_a_finished_run_changes_nothing(trained, capsys):
    before = (trained / "checkpoints" / "latest.pt").read_bytes()
    code, out, _ = run_cli(capsys, "train", "--out", str(trained), "--resume", "--no-progress", "--no-figures")
    assert code == 0 and "20 steps" in out
    assert (trained / "checkpoints" / "latest.pt").read_bytes() == before


def test_run_without_checkpoint_and_corrupt_checkpoint(trained, tmp_path, capsys):
    import shutil

    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(trained / "config.yaml", bare / "config.yaml")
    code, _, err = run_cli(capsys, "sample", str(bare))
    assert code == 2
    one_line_error(err, "has no best checkpoint")
    (bare / "checkpoints").mkdir()
    (bare / "checkpoints" / "best.pt").write_bytes(b"not a checkpoint")
    code, _, err = run_cli(capsys, "sample", str(bare))
    assert code == 2
    one_line_error(err, "is unreadable")
    assert (bare / "checkpoints" / "best.pt").read_bytes() == b"not a checkpoint"


def test_corrupt_config_in_run_dir(trained, tmp_path, capsys):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(trained, bad)
    (bad / "config.yaml").write_text("model: [unclosed\n")
    code, _, err = run_cli(capsys, "train", "--out", str(bad), "--resume")
    assert code == 2
    one_line_error(err, "config.yaml is corrupt")


def test_nan_loss_exits_3_with_one_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--model", "vae", "--out", str(tmp_path / "n"), "--steps", "5",
                           *TINY, "train.lr=1e30")
    assert code == 3
    one_line_error(err, "became nan")


def test_traverse_rejects_bad_dims(trained, capsys):
    code, _, err = run_cli(capsys, "traverse", str(trained), "--dims", "0,99")
    assert code == 2 and "dimensions must be in [0, 3)" in err and "Traceback" not in err


def test_console_entry_point_exit_status(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "vaelab.cli", "train", "--model", "nope", "--dataset", "digits",
                           "--out", str(tmp_path / "x")], capture_output=True, text=True)
    from vaelab.models import MODELS

    assert proc.returncode == 2 and proc.stderr.strip() == \
        f"error: unknown model 'nope'; choose one of: {', '.join(MODELS)}"


def test_a_failed_start_leaves_no_half_made_run(tmp_path, capsys):
    out = tmp_path / "r"
    code, _, err = run_cli(capsys, "train", "--model", "vae", "--dataset", "mnist", "--out", str(out),
                           "--data-root", str(tmp_path / "missing"))
    assert code == 2 and not out.exists()
    out.mkdir()
    code, _, err = run_cli(capsys, "train", "--model", "vae", "--dataset", "mnist", "--out", str(out),
                           "--data-root", str(tmp_path / "missing"))
    assert code == 2 and out.is_dir() and list(out.iterdir()) == []


def test_training_curves_plot_hook_columns(tmp_path):
    import warnings

    from vaelab.viz import plot_training_curves

    log = tmp_path / "log.csv"
    log.write_text("epoch,step,train/loss,val/loss,ard/prior_var_max,lr\n0,10,5.0,6.0,1.5,0.001\n1,20,4.0,5.0,2.5,0.001\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plot_training_curves(log, tmp_path / "c.png").stat().st_size > 0


def test_resume_summary_numbers_match_the_run_files_and_a_finished_resume_keeps_figures(trained, tmp_path, capsys):
    import json
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(trained, run)
    code, out, _ = run_cli(capsys, "train", "--out", str(run), "--resume", "--steps", "30", "--no-progress")
    status = json.loads((run / "status.json").read_text())
    rows = [r.split(",") for r in (run / "log.csv").read_text().splitlines()[1:]]
    best = next(r for r in rows if int(r[0]) == status["best_epoch"])
    assert code == 0 and (status["steps"], status["epochs"], status["epoch_steps"]) == (30, 2, 4)
    assert f"30 steps (2 epochs + 4 steps), best validation loss {status['best_val_loss']:.4f} at epoch " \
           f"{status['best_epoch']} (step {best[1]})" in out
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    code, _, _ = run_cli(capsys, "sample", str(run), "--seed", "1")  # a figure the user made
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    code, out, _ = run_cli(capsys, "train", "--out", str(run), "--resume", "--no-progress")
    assert code == 0 and "already finished: 30 steps" in out and "nothing trained or written" in out
    assert before == {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}


def test_data_preview_by_factor_shows_each_factors_own_values_in_labelled_rows(tmp_path, capsys):
    import torch

    from vaelab.cli.data import factor_rows
    from vaelab.data import load_dataset

    ds = load_dataset("dsprites")
    base = torch.tensor([1, 2, 5, 7, 9])
    x, shown = factor_rows(ds, base)
    assert x.shape == (5 * 10, *ds.shape)
    for k, size in enumerate(ds.factor_sizes):
        index = torch.linspace(0, size - 1, min(size, 10)).round().long()
        f = base.repeat(len(index), 1)
        f[:, k] = index
        row = x[10 * k : 10 * (k + 1)]
        assert torch.equal(row[: len(index)], ds.render(f).float())  # each value once, no repeats
        assert bool((row[len(index):] == 0.5).all())  # the rest of a short row is blank
        assert torch.equal(shown[k], ds.factor_values(k)[index])
    assert [len(v) for v in shown] == [3, 6, 10, 10, 10]
    code, out, _ = run_cli(capsys, "data", "preview", "dsprites", "--by-factor", "--out", str(tmp_path / "f.png"))
    assert code == 0 and "scale         6      0.5, 0.6, 0.7, 0.8, 0.9, 1" in out
