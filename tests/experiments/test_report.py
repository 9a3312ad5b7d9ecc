"""Reports: seed statistics, best / second-best marks, the three formats, figures, determinism, CLI."""

import base64
import io
import json
import re
import shutil
import statistics
import subprocess

import numpy as np
import pytest
import yaml
from pathlib import Path
from PIL import Image

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.errors import VaelabError
from vaelab.experiments.presets import Column, Preset
from vaelab.experiments.report import build_tables, group_rows, load_results, terminal_table, write_report
from vaelab.experiments.sweeps import SweepSpec

IMAGE_FIGURES = {"reconstructions", "samples", "traversal", "MDS", "latent histograms", "relevance",
                 "training curves"}


def train(out, model, seed, *extra, budget=("--steps", "3"), dataset="digits", overrides=None):
    assert main(["train", "--model", model, "--dataset", dataset, "--out", str(out), *budget, "--seed", str(seed),
                 "--no-progress", "--no-figures", *(tiny_overrides() if overrides is None else overrides),
                 *extra]) == 0


def evaluate(run, metrics="reconstruction,latent"):
    assert main(["evaluate", str(run), "--metrics", metrics, "--num-samples", "50", "--no-progress"]) == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Digits: vae and ard_vae, two seeds each; dsprites (with directions) and mog: one vae each."""
    root = tmp_path_factory.mktemp("sweep")
    for seed in (0, 1):
        train(root / f"vae-seed{seed}", "vae", seed)
        train(root / f"ard_vae-seed{seed}", "ard_vae", seed, "alpha_size=200", budget=("--epochs", "1"))
    small = ["architecture=mlp", "latent_dim=3", "train.tensorboard=false", "train.eval_batch_size=256"]
    train(root / "more" / "dsprites-vae", "vae", 0, "--subset", "300", dataset="dsprites", overrides=small)
    train(root / "more" / "mog-vae", "vae", 0, "data.options={n: 300, dim: 10}", dataset="mog", overrides=small)
    for run in sorted(p.parent for p in root.rglob("config.yaml")):
        evaluate(run, "reconstruction,latent,directions" if "dsprites" in run.name else "reconstruction,latent")
    return root


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, write_report([runs], out)


def fake_run(path, model, seed, metrics, status="finished", dataset="dsprites", arrays=None, **model_config):
    """A run directory with a config, a status and metrics, but no checkpoint or log."""
    path.mkdir(parents=True)
    config = {"model": {"name": model, **model_config}, "data": {"name": dataset}, "train": {"seed": seed}}
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    (path / "status.json").write_text(json.dumps({"status": status, "best_val_loss": 100.0 + seed}))
    (path / "metrics.json").write_text(json.dumps({"run": str(path), "metrics": metrics, "arrays": arrays or {}}))
    return path


def marked_runs(root):
    """Three methods, two seeds: MIG a < c < b; MSE a < c < b; entropy (ground truth 3) closest c, then b."""
    values = {"a": ([0.50, 0.52], [0.10, 0.12], [2.0, 2.0]), "b": ([0.70, 0.74], [0.30, 0.34], [3.5, 3.5]),
              "c": ([0.60, 0.60], [0.20, 0.20], [2.9, 2.9])}
    for name, (mig, mse, entropy) in values.items():
        for seed in (0, 1):
            fake_run(root / f"{name}-{seed}", "vae", seed, {"mig": mig[seed], "reconstruction.mse": mse[seed],
                                                            "latent.entropy": entropy[seed],
                                                            "latent.entropy_ground_truth": 3.0,
                                                            "latent.active_dims": 4.0 + seed},
                     beta={"a": 1.0, "b": 4.0, "c": 8.0}[name])
    return root


def data_images(html):
    return re.findall(r"<img[^>]*src='([^']*)'", html)


def figure_titles(html, method):
    section = re.search(rf"<h3>{re.escape(method)}</h3>.*?<div class='figs'>(.*?)</div>", html, re.S).group(1)
    return set(re.findall(r"alt='([^']*)'", section))


# ----------------------------------------------------------------------------- tables of real tiny runs


def test_cells_are_mean_and_sample_std_of_the_seeds_metrics(runs):
    rows = group_rows(load_results([runs])[0])
    assert [(r.dataset, r.method, len(r.runs)) for r in rows] == [
        ("digits", "ard_vae", 2), ("dsprites", "vae", 1), ("mog", "vae", 1), ("digits", "vae", 2)]
    tables = {t.dataset: t for t in build_tables(rows)}
    text = terminal_table([runs])
    for model in ("vae", "ard_vae"):
        saved = [json.loads((runs / f"{model}-seed{s}" / "metrics.json").read_text())["metrics"] for s in (0, 1)]
        table = tables["digits"]
        line = next(l for l in table.ours if l.label == model)
        for key in ("reconstruction.mse", "latent.kl_gaussian", "latent.mmd"):
            values = [m[key] for m in saved]
            cell = line.cells[[c.key for c in table.columns].index(key)]
            assert cell.mean == pytest.approx(statistics.mean(values), rel=1e-12)
            assert cell.std == pytest.approx(statistics.stdev(values), rel=1e-12)
            assert (cell.n, cell.of) == (2, 2)
        fmt = lambda k: next(c.fmt for c in table.columns if c.key == k)
        mse = [m["reconstruction.mse"] for m in saved]
        assert (f"{statistics.mean(mse):{fmt('reconstruction.mse')}} +- "
                f"{statistics.stdev(mse):{fmt('reconstruction.mse')}}") in text
    single = next(l for l in tables["mog"].ours)
    assert all(c.std == 0.0 for c in single.cells if c.mean is not None)
    losses = [json.loads((runs / f"vae-seed{s}" / "status.json").read_text())["best_val_loss"] for s in (0, 1)]
    loss = next(l for l in tables["digits"].ours if l.label == "vae").cells[-1]
    assert tables["digits"].columns[-1].key == "train.best_val_loss"
    assert loss.mean == pytest.approx(statistics.mean(losses)) and loss.std == pytest.approx(statistics.stdev(losses))


def test_default_columns_are_the_known_keys_the_runs_have(runs):
    tables = {t.dataset: t for t in build_tables(group_rows(load_results([runs])[0]))}
    keys = [c.key for c in tables["digits"].columns]
    assert keys == ["reconstruction.mse", "latent.kl_gaussian", "latent.kl_gaussian_model_prior", "latent.entropy",
                    "latent.entropy_code", "latent.mmd", "latent.active_dims", "train.best_val_loss"]
    constants = dict(tables["digits"].constants)  # latent_dim 3 and the same m in every run
    assert list(constants) == ["entropy l/2", "vaelab on N(0, I)", "code on N(0, I)"] and constants["entropy l/2"] == "1.5"
    assert [c.key for c in tables["dsprites"].columns][0] == "directions.mean_angle"


# ----------------------------------------------------------------------------- marks, labels, presets (fake runs)


def test_methods_are_labelled_by_the_config_values_that_differ(tmp_path):
    fake_run(tmp_path / "x0", "vae", 0, {"mig": 0.1}, beta=1.0)
    fake_run(tmp_path / "x1", "vae", 1, {"mig": 0.3}, beta=1.0)
    fake_run(tmp_path / "x2", "vae", 0, {"mig": 0.5}, beta=4.0)
    fake_run(tmp_path / "y0", "beta_tcvae", 0, {"mig": 0.2}, beta=6.0)
    fake_run(tmp_path / "z0", "vae", 2, {}, status="running")
    from vaelab.locks import holder

    (tmp_path / "z0" / "status.json").write_text(json.dumps({"status": "running", "process": holder()}))
    results, notes = load_results([tmp_path])
    rows = group_rows(results)
    assert [(r.method, [x.seed for x in r.runs]) for r in rows] == [
        ("vae beta=1", [0, 1]), ("vae beta=4", [0]), ("beta_tcvae", [0])]
    assert notes == [f"left out {tmp_path / 'z0'}: running"]
    cell = build_tables(rows)[0].ours[0].cells[0]
    assert (cell.mean, cell.std) == pytest.approx((0.2, 0.1414213562373095))


def test_best_is_bold_and_second_underlined_by_each_columns_direction(tmp_path):
    root = marked_runs(tmp_path / "runs")
    (table,) = build_tables(group_rows(load_results([root])[0]))
    assert [c.key for c in table.columns] == ["mig", "reconstruction.mse", "latent.entropy", "latent.active_dims",
                                              "train.best_val_loss"]
    assert table.constants == (("entropy l/2", "3.0"),)  # no "3.0 +- 0.0" column
    marks = {l.label: [c.mark for c in l.cells] for l in table.ours}
    assert marks == {"vae beta=1": ["", "best", "", "", ""],  # validation losses of different objectives: unmarked
                     "vae beta=4": ["best", "", "second", "", ""],
                     "vae beta=8": ["second", "second", "best", "", ""]}
    out = tmp_path / "report"
    written = write_report([root], out, formats=["md", "tex"])
    assert set(written) == {"md", "tex"} and not (out / "report.html").exists()
    md = written["md"].read_text()
    assert "| vae beta=4 | 2 | **0.720 ± 0.028** | 0.3200 ± 0.0283 | <u>3.500 ± 0.000</u> | 4.5 ± 0.7 | 100.50 ± 0.71 |" in md
    assert "The same in every row: entropy l/2 = 3.0." in md and "entropy l/2 |" not in md
    assert "| vae beta=8 | 2 | <u>0.600 ± 0.000</u> | <u>0.2000 ± 0.0000</u> | **2.900 ± 0.000** |" in md
    tex = written["tex"].read_text()
    assert "vae beta=4 & 2 & \\textbf{0.720 $\\pm$ 0.028} & 0.3200 $\\pm$ 0.0283 & \\underline{3.500 $\\pm$ 0.000}" in tex
    assert "vae beta=1 & 2 & 0.510 $\\pm$ 0.014 & \\textbf{0.1100 $\\pm$ 0.0141}" in tex
    assert "4.5 $\\pm$ 0.7" in tex and "\\textbf{4.5" not in tex and "\\underline{4.5" not in tex


def test_a_preset_sets_columns_targets_and_published_lines(tmp_path):
    root = marked_runs(tmp_path / "runs")
    fake_run(root / "t0", "beta_tcvae", 0, {"mig": 0.9, "reconstruction.mse": 0.5})
    preset = Preset("demo", "Paper (2020), Table 3", "A demo preset.", SweepSpec(("vae",), ("dsprites",), (0,)),
                    (Column("mig", "MIG", None), Column("reconstruction.mse", "MSE", target=0.3, fmt=".2f")),
                    {"dsprites": {"beta_tcvae": {"mig": (0.25, 0.05)}, "aae": {"reconstruction.mse": 0.01}}})
    (table,) = build_tables(group_rows(load_results([root])[0]), preset)
    assert [l.label for l in table.interleaved()] == ["vae beta=1", "vae beta=4", "vae beta=8", "beta_tcvae",
                                                      "beta_tcvae (published)", "aae (published)"]
    assert [[c.mark for c in l.cells] for l in table.ours] == [["", ""], ["", "best"], ["", "second"], ["", ""]]
    text = terminal_table([root], preset)
    assert text.splitlines()[0] == "vaelab report: demo (Paper (2020), Table 3)"
    assert re.search(r"^beta_tcvae \(published\) +0\.250 \+- 0\.050 +-$", text, re.M)
    assert re.search(r"^aae \(published\) +- +0\.01$", text, re.M)
    written = write_report([root], tmp_path / "report", preset, formats=["html", "md"])
    html = written["html"].read_text()
    assert html.count("<table>") == 2 and "<caption>published (Paper (2020), Table 3)</caption>" in html
    assert "<td>beta_tcvae (published)</td><td></td><td>0.250 ± 0.050</td>" in html
    assert "| *aae (published)* |  | - | 0.01 |" in written["md"].read_text()


def test_runs_without_checkpoints_or_logs_skip_their_figures(tmp_path):
    angles = [[0.0, 80.0], [80.0, 0.0]]
    fake_run(tmp_path / "a", "avae", 0, {"mig": 0.4}, arrays={"directions.angles": angles})
    written = write_report([tmp_path], tmp_path / "report")
    html = written["html"].read_text()
    assert [f.name for f in (tmp_path / "report" / "figures").iterdir()] == ["dsprites-avae-direction_angles.png"]
    assert "dsprites / avae: no model figures" in html and "has no best checkpoint" in html
    assert len(data_images(html)) == 1


def test_bad_paths_and_formats_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(VaelabError, match="is not a directory"):
        terminal_table([tmp_path / "absent"])
    with pytest.raises(VaelabError, match="no run directories"):
        terminal_table([tmp_path])
    fake_run(tmp_path / "a", "vae", 0, {"mig": 0.4})
    with pytest.raises(VaelabError, match="unknown report format 'pdf'"):
        write_report([tmp_path], tmp_path / "out", formats=["md", "pdf"])
    assert main(["report", str(tmp_path / "absent")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]


# ----------------------------------------------------------------------------- documents of real tiny runs


def test_html_is_one_self_contained_page_with_every_table_and_figure(report, runs):
    out, written = report
    assert written == {f: out / f"report.{f}" for f in ("md", "tex", "html")}
    html = written["html"].read_text()
    assert not re.search(r"https?://", html) and "<script" not in html and "<link" not in html
    assert html.count("<table>") == 3 and all(f"<h3>{d}</h3>" in html for d in ("digits", "dsprites", "mog"))
    sources = data_images(html)
    assert len(sources) == html.count("<img") == len(list((out / "figures").glob("*.png")))
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert image.format == "PNG" and min(image.size) > 8
    assert figure_titles(html, "digits / vae") == IMAGE_FIGURES
    assert "one row per latent axis (z0, z1, z2)" in html  # axes counted from 0, as --dims and relevance count
    assert figure_titles(html, "digits / ard_vae") == IMAGE_FIGURES | {"prior variances", "ARD variance curves"}
    assert figure_titles(html, "dsprites / vae") == IMAGE_FIGURES | {"direction traversal", "direction angles"}
    assert figure_titles(html, "mog / vae") == {"MDS", "latent histograms", "relevance", "training curves"}
    md = written["md"].read_text()
    assert md.count("| method | seeds |") == 3 and "![samples](figures/digits-vae-samples.png)" in md
    assert "\\begin{tabular}{lr" + "c" * 8 + "}" in written["tex"].read_text()  # the 8 non-constant digits columns
    assert "ard\\_vae & 2 &" in written["tex"].read_text()


def test_reports_are_a_pure_function_of_the_runs(report, runs, tmp_path):
    out, written = report
    before = {p: p.stat().st_mtime_ns for p in runs.rglob("*")}
    again = write_report([runs], tmp_path)
    assert {p: p.stat().st_mtime_ns for p in runs.rglob("*")} == before
    for f in ("md", "tex", "html"):
        assert again[f].read_bytes() == written[f].read_bytes()
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert pngs == sorted(p.name for p in (tmp_path / "figures").glob("*.png")) and len(pngs) == 29
    for name in pngs:
        assert (tmp_path / "figures" / name).read_bytes() == (out / "figures" / name).read_bytes(), name


def test_cli_report_prints_the_table_and_writes_the_files(runs, tmp_path, capsys):
    copy = shutil.copytree(runs / "vae-seed0", tmp_path / "vae-seed0")
    assert main(["report", str(copy), "--format", "md,html"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("vaelab report\n\ndigits: 1 method, 1 run") and f"wrote {copy / 'report' / 'report.md'}" in out
    assert sorted(p.name for p in (copy / "report").iterdir()) == ["figures", "report.html", "report.md"]
    assert main(["report", str(copy)]) == 0 and (copy / "report" / "report.tex").is_file()


def test_chromium_renders_the_page(report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium binary")
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1280,2400", report[1]["html"].as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (2400, 1280)
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.05


def test_a_column_with_a_fallback_scores_each_run_on_its_own_key():
    from vaelab.experiments.presets import get_preset
    from vaelab.experiments.report import Row, RunResult

    def result(model, seed, **metrics):
        return RunResult(Path(f"{model}{seed}"), "mnist", model, seed, {}, metrics)

    kl = {"latent.kl_gaussian": 0.6}
    rows = [Row("mnist", "avae", "avae", [result("avae", 0, **kl, **{"latent.kl_gaussian_model_prior": 0.2}),
                                          result("avae", 1, **kl, **{"latent.kl_gaussian_model_prior": 0.4})]),
            Row("mnist", "aae", "aae", [result("aae", 0, **{"latent.kl_gaussian": 0.5})])]
    table = build_tables(rows, get_preset("avae-table5"))[0]
    own_avae, own_aae = table.ours[0].cells, table.ours[1].cells
    assert own_avae[0].mean == pytest.approx(0.3) and own_avae[1].mean == pytest.approx(0.6)
    assert own_aae[0].mean == pytest.approx(0.5) and own_aae[1].mean == pytest.approx(0.5)
    assert own_avae[0].mark == "best" and own_aae[1].mark == "best"
    published = {line.label: line.cells[0].mean for line in table.published}
    assert published["avae (published)"] == 0.31


def test_a_report_never_writes_into_a_directory_it_does_not_own(tmp_path, capsys):
    root = marked_runs(tmp_path / "runs")
    run = root / "a-0"
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    with pytest.raises(VaelabError, match=r"holds files a report does not write \(config.yaml, metrics.json"):
        write_report([root], run)
    assert main(["report", str(root), "--out", str(run)]) == 2
    assert "error: report directory" in capsys.readouterr().err
    assert before == {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    out = tmp_path / "report"
    assert main(["report", str(root), "--out", str(out), "--format", "md"]) == 0
    assert f"wrote {out / 'report.md'}\n" in capsys.readouterr().out
    assert main(["report", str(root), "--out", str(out), "--format", "md"]) == 0
    assert f"wrote {out / 'report.md'} (regenerated: replaces the previous report)" in capsys.readouterr().out
