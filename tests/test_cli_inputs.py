"""Inputs the CLI used to mishandle: a missing best checkpoint, a full disk, redirected progress bars,
silent caps, figures of unbounded cost, and one failing run of a sweep."""

import json
import shutil
import subprocess
import sys

import pytest
import torch
import yaml
from conftest import tiny_overrides
from PIL import Image

from vaelab.cli import main

TINY = ["--dataset", "digits", "--no-progress", *tiny_overrides()]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("inputs") / "run"
    assert main(["train", "--model", "vae", "--out", str(out), "--steps", "20", "--no-figures", *TINY]) == 0
    return out


def test_sample_from_the_latest_checkpoint_needs_no_best(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    (run / "checkpoints" / "best.pt").unlink()
    assert main(["sample", str(run), "--checkpoint", "latest", "-n", "8", "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size == (2 + 8 * 10, 2 + 1 * 10)


def test_a_full_disk_during_training_is_one_line_and_the_run_is_failed(tmp_path, capsys, monkeypatch):
    def full_disk(obj, f):
        raise RuntimeError("[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file")

    monkeypatch.setattr(torch, "save", full_disk)
    out = tmp_path / "r"
    code = main(["train", "--model", "vae", "--out", str(out), "--steps", "5", "--no-figures", *TINY])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"error: cannot write {out}/checkpoints/")
    status = json.loads((out / "status.json").read_text())
    assert status["status"] == "failed" and status["error"].startswith("RunError: cannot write")


def test_progress_bars_stay_out_of_redirected_output(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "vaelab.cli", "train", "--model", "vae", "--dataset", "digits",
                           "--out", str(tmp_path / "r"), "--steps", "30", "--no-figures", *tiny_overrides()],
                          capture_output=True)  # bytes: text mode would turn carriage returns into newlines
    assert proc.returncode == 0, proc.stderr
    assert b"\r" not in proc.stderr + proc.stdout and b"\x1b" not in proc.stderr + proc.stdout
    assert proc.stdout.startswith(b"run ")


def test_caps_on_counts_are_said(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    assert main(["evaluate", str(run), "--metrics", "reconstruction", "--num-samples", "500", "--no-progress"]) == 0
    assert capsys.readouterr().err == ("warning: num_samples=500 is more than the 297 held-out items; "
                                       "the metrics of held-out items use all 297\n")
    assert main(["train", "--model", "vae", "--out", str(tmp_path / "b"), "--steps", "2", "--batch-size", "5000",
                 "--no-figures", *TINY]) == 0
    assert capsys.readouterr().err == ("warning: batch_size=5000 is more than the 1350 training items; "
                                       "every step uses all of them\n")


def test_figures_of_a_wide_latent_space_have_bounded_cost(tmp_path, capsys):
    from vaelab.viz import MAX_FIGURE_AXES

    out = tmp_path / "wide"
    assert main(["train", "--model", "vae", "--out", str(out), "--steps", "5", *TINY, "latent_dim=40"]) == 0
    rows = MAX_FIGURE_AXES
    width, height = Image.open(out / "figures" / "traversal.png").size  # rows enlarged twice for labels, scale 2
    assert height == 4 * (2 + rows * 10) and width - 4 * (2 + 9 * 10) > 12
    capsys.readouterr()
    assert main(["traverse", str(out), "--steps", "5", "--out", str(tmp_path / "t.png")]) == 0
    assert "traversing the 10 of 40 dimensions whose held-out codes spread most" in capsys.readouterr().out
    width, height = Image.open(tmp_path / "t.png").size
    assert height == 2 * (2 + rows * 10) and width - 2 * (2 + 5 * 10) > 6


def test_traversal_axes_are_the_widest_in_axis_order():
    from vaelab.viz import traversal_axes

    scale = torch.tensor([0.1, 5.0, 0.2, 3.0, 4.0, 0.3])
    codes = torch.randn(400, 6, generator=torch.Generator().manual_seed(0)) * scale + 7.0
    assert traversal_axes(codes, cap=3) == [1, 3, 4]
    assert traversal_axes(codes, cap=6) == list(range(6))


def test_one_run_raising_an_unexpected_error_does_not_abort_the_sweep(tmp_path, monkeypatch):
    from vaelab.errors import VaelabError
    from vaelab.experiments import sweeps

    real = sweeps.complete_run

    def flaky(run_dir, config, *args, **kwargs):
        if config.train.seed == 0:
            raise TypeError("'<' not supported between instances of 'str' and 'int'")
        return real(run_dir, config, *args, **kwargs)

    monkeypatch.setattr(sweeps, "complete_run", flaky)
    tiny = {k: yaml.safe_load(v) for k, _, v in (o.partition("=") for o in tiny_overrides())}
    spec = sweeps.parse_sweep({"methods": ["vae"], "datasets": ["digits"], "seeds": [0, 1],
                               "overrides": {"steps": 2, **tiny},
                               "metrics": ["reconstruction"], "num_samples": 20})
    with pytest.raises(VaelabError, match=r"1 of 2 runs failed: vae-digits-seed0 \(TypeError: '<' not supported"):
        sweeps.run_sweep(spec, tmp_path / "sw", progress=False)
    assert json.loads((tmp_path / "sw" / "vae-digits-seed1" / "status.json").read_text())["status"] == "finished"


def test_report_leaves_out_a_run_whose_metrics_json_is_a_list(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    (run / "metrics.json").write_text("[1, 2]\n")
    code = main(["report", str(run), "--out", str(tmp_path / "rep")])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert "left out" in out and "holds an array, not a JSON object" in out
    assert (run / "metrics.json").read_text() == "[1, 2]\n"
