"""Sweeps: parsing with file:line errors, expansion, resumable and lock-safe execution, executors agree."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.errors import ConfigError, VaelabError
from vaelab.experiments.sweeps import (SweepSpec, dump_sweep, expand, load_sweep, missing_metrics, parse_sweep,
                                       run_config, run_sweep)

TINY = {k: yaml.safe_load(v) for k, _, v in (o.partition("=") for o in tiny_overrides())}
HEAD = "methods: [vae]\ndatasets: [digits]\nseeds: [0]\n"


def tiny_spec(methods=("vae",), seeds=(0, 1), steps=3, **extra) -> SweepSpec:
    return SweepSpec(tuple(methods), ("digits",), tuple(seeds), {**TINY, "steps": steps, **extra},
                     metrics=("reconstruction",), num_samples=20)


def results(out: Path) -> dict[str, tuple[dict, float, int]]:
    return {d.name: (json.loads((d / "metrics.json").read_text())["metrics"],
                     json.loads((d / "status.json").read_text())["best_val_loss"],
                     json.loads((d / "status.json").read_text())["steps"])
            for d in sorted(out.iterdir()) if (d / "metrics.json").is_file()}


def test_a_valid_file_round_trips(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(HEAD.replace("[vae]", "[vae, beta_tcvae]") + "overrides: {steps: 3, subset: 50, latent_dim: 3}\n"
                    "grid: {beta: [1, 4]}\nmethod_overrides: {beta_tcvae: {train.lr: 0.001}}\n"
                    "metrics: [reconstruction, latent]\nnum_samples: 20\nname: tiny\n")
    spec = load_sweep(path)
    assert spec == SweepSpec(("vae", "beta_tcvae"), ("digits",), (0,), {"steps": 3, "subset": 50, "latent_dim": 3},
                             {"beta": (1, 4)}, {"beta_tcvae": {"train.lr": 0.001}}, ("reconstruction", "latent"),
                             20, "tiny")
    (tmp_path / "again.yaml").write_text(dump_sweep(spec))
    assert load_sweep(tmp_path / "again.yaml") == spec
    assert parse_sweep(yaml.safe_load(dump_sweep(spec))) == spec


BAD = [
    ("methods:\n  - vae\n  - vea\ndatasets: [digits]\nseeds: [0]\n", 3, "unknown method 'vea'; choose one of: vae,"),
    ("methods: [vae]\ndatasets: [digits, dsprite]\nseeds: [0]\n", 2, "unknown dataset 'dsprite'"),
    (HEAD + "grid:\n  beta: 3\n", 5, "grid.beta must be a non-empty list"),
    (HEAD + "grid: [1, 2]\n", 4, "grid must be a mapping"),
    (HEAD + "grid: {beta: []}\n", 4, "grid.beta must be a non-empty list"),
    (HEAD + "overrides: {steps: 3}\nseed: 3\n", 5, "unknown key 'seed'"),
    (HEAD + "overrides:\n  steps: 3\n  lattent_dim: 3\n", 6, "unknown key 'lattent_dim'"),
    (HEAD + "overrides: {steps: 3}\nmethod_overrides:\n  vae: {beta: -1}\n", 6, "beta"),
    (HEAD + "grid:\n  train.lr: [0.001, fast]\n", 5, "train.lr must be a number"),
    (HEAD + "overrides:\n  seed: 1\n", 5, "seed is set by the sweep's `seeds` list"),
    ("methods: [vae]\ndatasets: [digits]\nseeds: [0, one]\n", 3, "seeds must be non-negative integers"),
    ("methods: vae\ndatasets: [digits]\nseeds: [0]\n", 1, "methods must be a non-empty list"),
    (HEAD + "metrics: [reconstruction, mgi]\n", 4, "unknown metric 'mgi'"),
    (HEAD + "metrics: [generative:nope]\n", 4, "unknown metric 'generative:nope'"),
    (HEAD + "metrics: [mig:flow]\n", 4, "unknown metric 'mig:flow'"),
    (HEAD + "num_samples: 5\n", 4, "num_samples must be an integer of at least 10"),
    (HEAD + "method_overrides: {avae: {kde_samples: 10}}\n", 4, "'avae', which is not in methods"),
    (HEAD + "seeds: [1]\n", 4, "duplicate key 'seeds'"),
    (HEAD + "dataset_overrides: {mnist: {epochs: 3}}\n", 4, "'mnist', which is not in datasets"),
    (HEAD + "cell_overrides:\n  vae:\n    digits: {beta: -1}\n", 6, "beta"),
    (HEAD + "cell_overrides: {vae: {mnist: {beta: 2}}}\n", 4, "cell_overrides.vae names 'mnist'"),
    ("methods: [vae\ndatasets: [digits]\n", 2, "not valid YAML"),
    ("methods: [vae]\ndatasets: [digits]\n", 1, "missing key 'seeds'"),
]


@pytest.mark.parametrize("text, line, fragment", BAD)
def test_a_bad_file_names_its_file_and_line(tmp_path, text, line, fragment):
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_sweep(path)
    message = str(e.value)
    assert message.startswith(f"{path}:{line}: ") and fragment in message and "\n" not in message, message


def test_the_cli_rejects_a_bad_file_in_one_line_and_runs_nothing(tmp_path, capsys):
    path, out = tmp_path / "sweep.yaml", tmp_path / "out"
    path.write_text(BAD[0][0])
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:3: unknown method 'vea'"), lines
    assert not out.exists()
    assert main(["sweep", str(tmp_path / "absent.yaml"), "--out", str(out)]) == 2
    assert not out.exists()


def test_dataset_and_cell_overrides_apply_in_order_and_round_trip(tmp_path):
    shared = {k: v for k, v in TINY.items() if k != "data.options"}  # mog has no size option: digits only
    spec = SweepSpec(("vae", "beta_vae"), ("digits", "mog"), (0,), {**shared, "steps": 3, "beta": 2.0},
                     method_overrides={"beta_vae": {"beta": 9}},
                     dataset_overrides={"digits": {"beta": 5.0, "epochs": 1, "data.options": TINY["data.options"]}},
                     cell_overrides={"beta_vae": {"digits": {"beta": 7, "steps": 4}}})
    got = {r.name: (run_config(r).model_config.beta, run_config(r).train.steps, run_config(r).train.epochs)
           for r in expand(spec)}
    assert got == {"vae-digits-seed0": (5.0, None, 1), "vae-mog-seed0": (2.0, 3, None),
                   "beta_vae-digits-seed0": (7.0, 4, None), "beta_vae-mog-seed0": (9.0, 3, None)}
    assert parse_sweep(yaml.safe_load(dump_sweep(spec))) == spec


def test_expansion_names_counts_and_configs():
    spec = SweepSpec(("vae", "beta_vae"), ("digits",), (0, 1), {**TINY, "steps": 3, "beta": 2.0},
                     {"beta": (1, 4), "train.lr": (0.001,)}, {"beta_vae": {"steps": 5, "beta": 9}})
    runs = expand(spec)
    assert len(runs) == 2 * 1 * 2 * 1 * 2
    assert [r.name for r in runs[:4]] == ["vae-digits-beta=1-train.lr=0.001-seed0", "vae-digits-beta=1-train.lr=0.001-seed1",
                                          "vae-digits-beta=4-train.lr=0.001-seed0", "vae-digits-beta=4-train.lr=0.001-seed1"]
    assert len({r.name for r in runs}) == len(runs)
    configs = [run_config(r) for r in runs]
    assert [c.model_config.beta for c in configs] == [1, 1, 4, 4] * 2
    assert [c.train.seed for c in configs] == [0, 1] * 4
    assert [c.train.steps for c in configs] == [3] * 4 + [5] * 4
    assert {(c.train.lr, c.train.device, c.train.tensorboard, c.model_config.latent_dim) for c in configs} == {
        (0.001, "cpu", False, 3)}
    assert runs[5].grid_point == {"beta": 1, "train.lr": 0.001} and runs[5].settings["beta"] == 1
    named = expand(SweepSpec(("vae",), ("digits",), (3,), {"steps": 3}, {"data.options": ({"size": 8},)}))
    assert [r.name for r in named] == ["vae-digits-data.options=size_8-seed3"]


def test_missing_metrics_reads_metrics_json_and_sampler_entries(tmp_path):
    wanted = ["reconstruction", "generative:gaussian", "generative", "latent"]
    assert missing_metrics(tmp_path, wanted) == wanted and missing_metrics(tmp_path, None) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"seconds": {"reconstruction": 0.1, "generative_gaussian": 2.0}}))
    assert missing_metrics(tmp_path, wanted) == ["generative", "latent"]
    spec = parse_sweep(yaml.safe_load(HEAD + "metrics: [generative, 'generative:flow']\n"))
    assert spec.metrics == ("generative", "generative:flow")


def test_a_sweep_killed_midway_completes_on_rerun_without_duplicates(tmp_path):
    path, out = tmp_path / "sweep.yaml", tmp_path / "out"
    spec = tiny_spec(methods=("vae", "beta_vae"), steps=120, **{"train.checkpoint_every": 10})
    path.write_text(dump_sweep(spec))
    names = [r.name for r in expand(spec)]
    proc = subprocess.Popen([sys.executable, "-m", "vaelab.cli", "sweep", str(path), "--out", str(out),
                             "--no-progress", "--no-report"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = out / names[0] / "checkpoints" / "latest.pt"
    deadline = time.monotonic() + 60
    while not first.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    statuses = [json.loads(p.read_text())["status"] for p in out.glob("*/status.json")]
    assert first.is_file() and statuses.count("finished") < len(names), statuses

    assert run_sweep(load_sweep(path), out, progress=False) == [out / n for n in names]
    done = results(out)
    assert sorted(done) == sorted(names) and sorted(p.name for p in out.iterdir()) == sorted(names + [".locks", "sweep.yaml"])
    assert [p.name for p in (out / ".locks").iterdir()] == [".guard"]
    for name, (metrics, _, steps) in done.items():
        assert steps == 120 and "reconstruction.mse" in metrics
        assert json.loads((out / name / "status.json").read_text())["status"] == "finished"
        assert (out / name / "log.csv").read_text().splitlines()[-1].split(",")[1] == "120"

    reference = tmp_path / "reference"
    run_sweep(SweepSpec(spec.methods[:1], spec.datasets, spec.seeds[:1], spec.overrides, metrics=spec.metrics,
                        num_samples=spec.num_samples), reference, progress=False)
    assert results(reference)[names[0]] == done[names[0]]

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    run_sweep(load_sweep(path), out, progress=False)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


@pytest.fixture(scope="module")
def local_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    run_sweep(tiny_spec(), out, progress=False)
    return results(out)


def test_two_local_workers_give_the_same_numbers(tmp_path, local_results):
    run_sweep(tiny_spec(), tmp_path / "out", workers=2, progress=False)
    assert results(tmp_path / "out") == local_results
    assert len(local_results) == 2 and all(s == 3 for _, _, s in local_results.values())


def test_ray_gives_the_same_numbers_as_local(tmp_path, local_results):
    pytest.importorskip("ray", reason="the ray executor needs Ray: pip install 'vaelab[ray]'")
    run_sweep(tiny_spec(), tmp_path / "out", executor="ray", progress=False)
    assert results(tmp_path / "out") == local_results


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("holder", [{"pid": os.getpid(), "host": socket.gethostname()},
                                    {"pid": 1, "host": "another-host"}])
def test_a_live_lock_skips_its_run_and_a_stale_one_is_taken_over(tmp_path, capsys, holder):
    spec, out = tiny_spec(), tmp_path / "out"
    first, second = (r.name for r in expand(spec))
    lock = out / ".locks" / f"{first}.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps(holder))
    run_sweep(spec, out, progress=False)
    err = capsys.readouterr().err
    assert f"{first}: locked (held by pid {holder['pid']} on {holder['host']})" in err and "1 of 2 runs skipped" in err
    assert not (out / first).exists() and lock.is_file() and sorted(results(out)) == [second]

    lock.write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname()}))
    run_sweep(spec, out, progress=False)
    assert sorted(results(out)) == [first, second] and not lock.exists()


def test_a_failed_run_does_not_stop_the_others(tmp_path):
    spec, out = tiny_spec(), tmp_path / "out"
    first, second = (r.name for r in expand(spec))
    (out / first).mkdir(parents=True)
    (out / first / "notes.txt").write_text("not a run")
    (out / "sweep.yaml").write_text(dump_sweep(spec))
    with pytest.raises(VaelabError, match=rf"^1 of 2 runs failed: {first} \(run directory .* already exists"):
        run_sweep(spec, out, progress=False)
    assert sorted(results(out)) == [second]


def test_a_directory_holds_one_sweep_only(tmp_path):
    out = tmp_path / "out"
    (out / "sweep.yaml").parent.mkdir()
    (out / "sweep.yaml").write_text(dump_sweep(tiny_spec()))
    with pytest.raises(ConfigError, match="describes a different sweep .*differs in seeds"):
        run_sweep(tiny_spec(seeds=(0, 1, 2)), out, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "run").mkdir()
    with pytest.raises(ConfigError, match="already holds files but no sweep.yaml"):
        run_sweep(tiny_spec(), tmp_path / "other", progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["sweep.yaml"]


def test_local_workers_report_the_steps_of_each_running_run(tmp_path):
    from vaelab.experiments.sweeps import _Job, _local

    spec = tiny_spec(steps=6)
    jobs = [_Job(r.name, str(tmp_path / r.name), str(tmp_path / ".locks" / f"{r.name}.lock"), run_config(r),
                 spec.metrics, spec.num_samples, 1, False) for r in expand(spec)]
    seen = []
    outcomes = list(_local(jobs, 2, None, lambda *report: seen.append(report)))
    assert sorted(o.state for o in outcomes) == ["done", "done"]
    assert {(name, step) for name, step, total in seen if step == total} == {(j.name, 6) for j in jobs}
    assert all(total == 6 and 1 <= step <= 6 for _, step, total in seen)


def test_workers_are_dealt_round_robin_onto_the_gpus(monkeypatch):
    import multiprocessing

    import torch

    from vaelab.experiments import sweeps

    assert [sweeps.device_slot(k, 2) for k in range(5)] == [0, 1, 0, 1, 0]
    assert sweeps.device_slot(3, 0) is None
    bound = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", bound.append)
    monkeypatch.setattr(sweeps, "_WORKER", {})
    counter = multiprocessing.Value("i", 0)
    for _ in range(3):
        sweeps._init_worker(None, counter)
    assert bound == [0, 1, 0] and sweeps._WORKER["slot"] == 2 and counter.value == 3
def test_the_plan_counts_runs_and_steps_left_and_times_them(tmp_path, capsys):
    from vaelab.data import load_dataset, split_indices
    from vaelab.experiments.sweeps import plan_sweep

    spec = SweepSpec(("vae",), ("digits",), (0, 1), {**TINY, "epochs": 2, "batch_size": 50},
                     metrics=("reconstruction",), num_samples=20)
    train_items = len(split_indices(len(load_dataset("digits", size=8)), 0.1, 0, None)[0])
    per_run = 2 * (train_items // 50)
    plan = plan_sweep(spec, tmp_path / "out")
    assert (plan.runs, plan.finished, plan.steps) == (2, 0, 2 * per_run)
    assert plan.seconds == pytest.approx(plan.steps * plan.rates[("vae", "digits")]) and plan.seconds > 0
    assert plan.line().startswith(f"2 runs (2 to train, 0 finished), {2 * per_run:,} training steps; training about")
    assert not (tmp_path / "out").exists()  # planning writes nothing

    (tmp_path / "s.yaml").write_text(dump_sweep(spec))
    code = main(["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"), "--dry-run"])
    assert code == 0 and "2 runs (2 to train, 0 finished)" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()

    run_sweep(SweepSpec(spec.methods, spec.datasets, (0,), spec.overrides, metrics=spec.metrics,
                        num_samples=20), tmp_path / "half", progress=False)
    assert "1 run (1 to train, 0 finished)" in capsys.readouterr().err  # printed before starting
    plan = plan_sweep(spec, tmp_path / "half")
    assert (plan.runs, plan.finished, plan.steps) == (2, 1, per_run)


def test_a_run_that_cannot_start_leaves_the_plan_without_an_estimate(tmp_path):
    from vaelab.experiments.sweeps import plan_sweep

    spec = SweepSpec(("vae",), ("digits", "mnist"), (0,), {**TINY, "epochs": 1, "data_root": str(tmp_path / "none")},
                     metrics=("reconstruction",), num_samples=20)
    plan = plan_sweep(spec, tmp_path / "out")
    assert plan.seconds is None and "no time estimate" in plan.line() and plan.runs == 2
