"""wandb / mlflow trackers, offline: the scalars they receive are the CSV log's, the config and figures arrive."""

import csv
import json
import glob
import struct
import sys
import time

import numpy as np
import pytest

import vaelab
from vaelab.errors import ConfigError
from vaelab.tracking import flatten_config, make_trackers

FAST = {"train.tensorboard": False, "batch_size": 50, "log_every": 2, "latent_dim": 2}


def digits(n=200):
    from sklearn.datasets import load_digits

    return (load_digits().images[:n] / 16.0).astype(np.float32)


def csv_column(run, key):
    with open(run.log_file, newline="") as f:
        return {int(r["step"]): float(r[key]) for r in csv.DictReader(f)}


def wandb_records(path):
    """The protobuf records of an offline ``.wandb`` file (LevelDB log framing: 32 KiB blocks,
    7-byte chunk headers; full / first / middle / last chunks)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data, pos, buf = open(path, "rb").read(), 7, b""
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7:
            pos += left
            continue
        _, n, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk, pos = data[pos + 7 : pos + 7 + n], pos + 7 + n
        if kind == 0 and n == 0:
            break
        if kind in (1, 4):
            record = pb.Record()
            record.ParseFromString(buf + chunk if kind == 4 else chunk)
            yield record
        buf = chunk if kind == 2 else buf + chunk if kind == 3 else b""


def test_flatten_config():
    assert flatten_config({"model": {"beta": 4, "name": "vae"}, "data": {"options": {}}}) == \
        {"model.beta": 4, "model.name": "vae", "data.options": {}}


def test_unknown_or_missing_logger_is_a_clear_error(monkeypatch):
    with pytest.raises(ConfigError, match="unknown logger 'comet'"):
        make_trackers(["comet"])
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ConfigError, match=r"needs the wandb package; install it with pip install 'vaelab\[wandb\]'"):
        make_trackers(["wandb"])
    assert make_trackers(["csv", "tensorboard"]) == []


def test_mlflow_file_store_gets_the_csv_scalars_config_and_figures_and_resume_continues(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    run = vaelab.fit("vae", digits(), tmp_path / "m", steps=8, loggers=["mlflow"], **FAST)
    run = vaelab.fit(out=tmp_path / "m", resume=True, steps=12, loggers=["mlflow"], figures=False)
    client = MlflowClient(tracking_uri=(run.path / "mlruns").resolve().as_uri())
    (experiment,) = [e for e in client.search_experiments() if e.name == "vaelab"]
    (tracked,) = client.search_runs([experiment.experiment_id])
    history = {m.step: m.value for m in client.get_metric_history(tracked.info.run_id, "val/loss")}
    logged = csv_column(run, "val/loss")
    assert sorted(logged) == [3, 6, 9, 12]
    # the CSV row of the epoch that the budget of 8 steps cut short (step 8) was replaced on resume
    assert sorted(history) == [3, 6, 8, 9, 12]
    assert {s: history[s] for s in logged} == pytest.approx(logged, rel=1e-12)
    assert tracked.data.params["model.name"] == '"vae"'
    assert tracked.data.params["data.options.fingerprint.sha256"].strip('"') == \
        run.config().data.options["fingerprint"]["sha256"]
    artifacts = {a.path for a in client.list_artifacts(tracked.info.run_id, "figures")}
    assert {"figures/samples.png", "figures/reconstructions.png"} <= artifacts


def test_wandb_offline_run_gets_the_csv_scalars_config_and_figures(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = vaelab.fit("vae", digits(), tmp_path / "w", steps=6, loggers=["wandb"], **FAST)
    run_id = json.loads((run.path / "tracking.json").read_text())["wandb"]
    (path,) = glob.glob(str(run.path / "wandb" / f"offline-run-*-{run_id}" / f"run-{run_id}.wandb"))
    deadline = time.monotonic() + 60  # wandb's service process may still be writing its log
    while "exit" not in [r.WhichOneof("record_type") for r in wandb_records(path)] and time.monotonic() < deadline:
        time.sleep(0.2)
    history, config, kinds = {}, {}, []
    for r in wandb_records(path):
        kind = r.WhichOneof("record_type")
        kinds.append(kind)
        if kind == "history":
            items = {i.key or "/".join(i.nested_key): float(i.value_json) for i in r.history.item
                     if (i.key or "/".join(i.nested_key)) in ("val/loss", "_step")}
            if "val/loss" in items:
                history[int(items["_step"])] = items["val/loss"]
        elif kind in ("config", "run"):
            config.update({i.key: i.value_json for i in (r.config if kind == "config" else r.run.config).update})
    assert history == pytest.approx(csv_column(run, "val/loss"), rel=1e-12), kinds
    assert sorted(history) == [3, 6]
    assert json.loads(config["model"])["name"] == "vae"
    figures = glob.glob(str(run.path / "wandb" / f"offline-run-*-{run_id}" / "files" / "media" / "images" /
                            "figures" / "samples_*.png"))
    assert len(figures) == 1


def test_a_tracker_that_cannot_start_is_one_line_and_leaves_no_run(tmp_path, monkeypatch, capsys):
    wandb = pytest.importorskip("wandb")
    from test_cli import one_line_error

    from vaelab.cli import main

    def no_key(**kwargs):
        raise wandb.errors.UsageError("No API key configured. Use `wandb login` to log in.")

    monkeypatch.setattr(wandb, "init", no_key)
    np.save(tmp_path / "x.npy", digits(100))
    code = main(["train", "--model", "vae", "--dataset", str(tmp_path / "x.npy"), "--out", str(tmp_path / "r"),
                 "--steps", "2", "--batch-size", "50", "--logger", "wandb", "--no-progress",
                 "train.tensorboard=false"])
    assert code == 2
    one_line_error(capsys.readouterr().err, "wandb could not start (UsageError: No API key configured.")
    assert not (tmp_path / "r").exists()
