"""`vaelab train --model ard_vae` and `vaelab relevance`: happy paths and one-line errors."""

import pytest
import torch
from PIL import Image

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.runs import Run

TINY = ["--dataset", "digits", "--no-progress", *tiny_overrides()]


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err, text):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], err
    assert "Traceback" not in err


def table(out):
    """The rows of the printed relevance table: (rank, axis, score, cumulative, active)."""
    lines = out.splitlines()
    start = lines.index(next(l for l in lines if l.startswith("rank"))) + 2
    rows = []
    for line in lines[start:]:
        if line.startswith("active axes"):
            break
        rank, axis, score, cumulative, active = line.split()
        rows.append((int(rank), int(axis), float(score), float(cumulative), active))
    return rows


@pytest.fixture(scope="module")
def ard_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ard") / "run"
    assert main(["train", "--model", "ard_vae", "--out", str(out), "--epochs", "2", *TINY,
                 "latent_dim=4", "alpha_size=300", "beta=0.5"]) == 0
    return out


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("vae") / "run"
    assert main(["train", "--model", "vae", "--out", str(out), "--steps", "10", "--no-figures", *TINY]) == 0
    return out


def test_relevance_of_an_ard_vae_prints_the_table_and_writes_both_figures(ard_run, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "relevance", ard_run, "--out", tmp_path)
    assert code == 0
    rows = table(out)
    assert sorted(r[1] for r in rows) == [0, 1, 2, 3] and [r[0] for r in rows] == [1, 2, 3, 4]
    scores = [r[2] for r in rows]
    assert scores == sorted(scores, reverse=True) and rows[-1][3] == pytest.approx(1.0)
    active = [r[1] for r in rows if r[4] == "yes"]
    assert f"active axes: {len(active)} of 4" in out and "prior variance b/a" in out and "code reading" in out
    assert out.split("):")[1].split("\n")[0].split() == [str(a) for a in active]
    assert Image.open(tmp_path / "relevance.png").size[0] > 100
    width, height = Image.open(tmp_path / "relevance_traversal.png").size
    # rows of 8 px enlarged twice for their axis labels, then the figure scale 2
    assert height == 4 * (2 + len(active) * 10) and width - 4 * (2 + 9 * 10) > 12


def test_relevance_matches_the_model_and_its_options(ard_run, tmp_path, capsys):
    model = Run(ard_run).load_model("best")
    code, out, _ = run_cli(capsys, "relevance", ard_run, "--out", tmp_path, "--reading", "paper",
                           "--fraction", "0.5", "--num-samples", "20", "--all-axes", "--steps", "5")
    assert code == 0 and "paper reading, 20 Jacobians" in out and "explain 50%" in out
    rows = table(out)
    assert len([r for r in rows if r[4] == "yes"]) <= len([r for r in rows if r[3] < 0.5]) + 1
    width, height = Image.open(tmp_path / "relevance_traversal.png").size
    assert height == 4 * (2 + 4 * 10) and width - 4 * (2 + 5 * 10) > 12
    assert isinstance(model.prior_variance, torch.Tensor)


def test_relevance_of_a_plain_vae_uses_the_second_moment_of_held_out_codes(vae_run, capsys):
    code, out, _ = run_cli(capsys, "relevance", vae_run)
    assert code == 0 and len(table(out)) == 3 and "second moment of" in out and "held-out codes" in out
    assert (vae_run / "figures" / "relevance.png").is_file()
    assert (vae_run / "figures" / "relevance_traversal.png").is_file()


def test_sampling_an_ard_vae_uses_its_active_axes(ard_run, tmp_path, capsys):
    model = Run(ard_run).load_model("best")
    z = model.sample_latent(200, torch.Generator().manual_seed(0))
    assert bool((z[:, ~model.active_mask] == 0).all()) and bool((z[:, model.active_mask] != 0).all())
    code, _, _ = run_cli(capsys, "sample", ard_run, "-n", "8", "--out", tmp_path / "s.png")
    assert code == 0 and (tmp_path / "s.png").is_file()


def test_ard_vae_trains_on_dsprites_from_the_cli(tmp_path, capsys):
    out = tmp_path / "d"
    code, text, _ = run_cli(capsys, "train", "--model", "ard_vae", "--dataset", "dsprites", "--out", out,
                            "--steps", "4", "--subset", "600", "--no-progress", "--no-figures",
                            "train.tensorboard=false", "alpha_size=200", "latent_dim=5")
    assert code == 0 and "4 steps" in text
    header, first = (out / "log.csv").read_text().splitlines()[:2]
    assert float(first.split(",")[header.split(",").index("ard/active_dims")]) >= 1
    code, text, _ = run_cli(capsys, "relevance", out, "--num-samples", "10")
    assert code == 0 and len(table(text)) == 5 and (out / "figures" / "relevance_traversal.png").is_file()


def test_an_alpha_set_larger_than_the_training_set_fails_before_training(tmp_path, capsys):
    out = tmp_path / "big"
    code, _, err = run_cli(capsys, "train", "--model", "ard_vae", "--out", out, "--steps", "3", *TINY,
                           "alpha_size=10000")
    assert code == 2
    one_line_error(err, "alpha_size=10000 must be smaller than the training set (1350 items)")
    assert not (out / "checkpoints").exists() and not out.exists()


@pytest.mark.parametrize("override,message", [
    ("beta=0", "invalid beta=0.0"),
    ("beta=-2", "invalid beta=-2.0"),
    ("prior_form=laplace", "unknown prior_form 'laplace'; choose one of: gaussian, student_t"),
])
def test_bad_ard_settings_are_one_line_errors(tmp_path, capsys, override, message):
    code, _, err = run_cli(capsys, "train", "--model", "ard_vae", "--out", tmp_path / "r", "--steps", "3", *TINY,
                           "alpha_size=300", override)
    assert code == 2
    one_line_error(err, message)
    assert not (tmp_path / "r").exists()


def test_bad_relevance_input_is_a_one_line_error(vae_run, tmp_path, capsys):
    code, _, err = run_cli(capsys, "relevance", tmp_path / "missing")
    assert code == 2
    one_line_error(err, "does not exist")
    for flag, value in (("--fraction", "1.5"), ("--fraction", "0"), ("--num-samples", "0"), ("--steps", "1")):
        code, _, err = run_cli(capsys, "relevance", vae_run, flag, value)
        assert code == 2 and flag in err and "Traceback" not in err
