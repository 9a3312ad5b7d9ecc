"""Experiment trackers beside the CSV and TensorBoard logs: Weights & Biases and MLflow (optional extras).

``vaelab train --logger wandb`` (or ``vaelab.fit(..., loggers=["mlflow"])``) sends the scalars the
training loop logs (``train/*`` every ``log_every`` steps, the per-epoch ``val/*`` rows), the
resolved config and, after training, the run's figures. A tracker's run id is kept in
``RUN/tracking.json``, so ``--resume`` continues the same tracked run.

- ``wandb``: ``pip install 'vaelab[wandb]'``; project ``$WANDB_PROJECT`` (default ``vaelab``),
  ``WANDB_MODE=offline`` to log without an account (files under ``RUN/wandb``).
- ``mlflow``: ``pip install 'vaelab[mlflow]'``; tracking URI ``$MLFLOW_TRACKING_URI``, else a
  file store in ``RUN/mlruns`` (for which ``MLFLOW_ALLOW_FILE_STORE=true`` is set, as MLflow 3
  asks); experiment ``$MLFLOW_EXPERIMENT_NAME`` (default ``vaelab``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Sequence

from vaelab.errors import ConfigError
from vaelab.io import write_json
from vaelab.runs import Run

__all__ = ["TRACKERS", "Tracker", "WandbTracker", "MlflowTracker", "make_trackers", "flatten_config"]


def flatten_config(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"beta": 4}}`` -> ``{"model.beta": 4}`` (data options included)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flatten_config(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _ids(run: Run) -> dict[str, str]:
    path = run.path / "tracking.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError:
        return {}


def _keep_id(run: Run, name: str, run_id: str) -> None:
    write_json(run.path / "tracking.json", {**_ids(run), name: run_id})


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"--logger {extra} needs the {module} package; install it with "
                          f"pip install 'vaelab[{extra}]'") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


class Tracker:
    """What the training loop and :func:`vaelab.fit` call; subclasses send the values somewhere."""

    name = "tracker"

    def start(self, run: Run) -> None:
        """Opens (or, after ``--resume``, reopens) the tracked run of ``run``."""

    def scalars(self, values: dict[str, float], step: int) -> None:
        """Logs scalar values at optimisation step ``step``."""

    def log_figures(self, paths: Sequence[Path]) -> None:
        """Uploads the run's figures (PNG files)."""

    def finish(self) -> None:
        """Closes the tracked run."""


class WandbTracker(Tracker):
    """Weights & Biases: one wandb run per vaelab run, its config the resolved run config."""

    name = "wandb"

    def __init__(self) -> None:
        self.wandb = _require("wandb", "wandb")
        self.handle: Any = None

    def start(self, run: Run) -> None:
        run_id = _ids(run).get(self.name) or uuid.uuid4().hex[:8]
        try:
            self.handle = self.wandb.init(project=os.environ.get("WANDB_PROJECT", "vaelab"), name=run.path.name,
                                          id=run_id, resume="allow", dir=str(run.path),
                                          config=run.config().to_dict(), settings=self.wandb.Settings(silent=True))
        except Exception as e:  # wandb raises its own types (no API key, no network, ...)
            raise ConfigError(f"wandb could not start ({_first_line(e)}); run `wandb login`, or set "
                              f"WANDB_MODE=offline to log to files") from None
        _keep_id(run, self.name, run_id)

    def scalars(self, values: dict[str, float], step: int) -> None:
        self.handle.log(dict(values), step=step)

    def log_figures(self, paths: Sequence[Path]) -> None:
        if paths:
            self.handle.log({f"figures/{Path(p).stem}": self.wandb.Image(str(p)) for p in paths})

    def finish(self) -> None:
        if self.handle is not None:
            self.handle.finish()
            self.handle = None


class MlflowTracker(Tracker):
    """MLflow: one MLflow run per vaelab run; the config as parameters and as ``config.json``."""

    name = "mlflow"

    def __init__(self) -> None:
        self.tracking = _require("mlflow.tracking", "mlflow")
        self.client: Any = None
        self.run_id: str | None = None

    def start(self, run: Run) -> None:
        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            uri = (run.path / "mlruns").resolve().as_uri()
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks file stores to opt in
        try:
            self._open(run, uri)
        except Exception as e:  # mlflow raises its own types (bad URI, unreachable server, ...)
            raise ConfigError(f"mlflow could not start at {uri} ({_first_line(e)}); check $MLFLOW_TRACKING_URI") \
                from None

    def _open(self, run: Run, uri: str) -> None:
        from mlflow.entities import Param

        self.client = self.tracking.MlflowClient(tracking_uri=uri)
        config = run.config().to_dict()
        self.run_id = _ids(run).get(self.name)
        if self.run_id is None:
            name = os.environ.get("MLFLOW_EXPERIMENT_NAME", "vaelab")
            experiment = self.client.get_experiment_by_name(name)
            experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(name)
            self.run_id = self.client.create_run(experiment_id, run_name=run.path.name).info.run_id
            _keep_id(run, self.name, self.run_id)
            params = [Param(k, json.dumps(v)[:500]) for k, v in flatten_config(config).items()]
            for i in range(0, len(params), 100):
                self.client.log_batch(self.run_id, params=params[i : i + 100])
        self.client.log_dict(self.run_id, config, "config.json")

    def scalars(self, values: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, step) for k, v in values.items()])

    def log_figures(self, paths: Sequence[Path]) -> None:
        for p in paths:
            self.client.log_artifact(self.run_id, str(p), "figures")

    def finish(self) -> None:
        if self.client is not None and self.run_id is not None:
            self.client.set_terminated(self.run_id)
            self.client = None


TRACKERS: dict[str, Callable[[], Tracker]] = {"wandb": WandbTracker, "mlflow": MlflowTracker}


def make_trackers(names: Sequence[str]) -> list[Tracker]:
    """Builds the trackers ``names`` (``"wandb"``, ``"mlflow"``; ``"csv"`` and ``"tensorboard"`` are
    always on and accepted as no-ops); a missing package is a :class:`ConfigError`."""
    trackers = []
    for name in dict.fromkeys(names):
        if name in ("csv", "tensorboard"):
            continue
        if name not in TRACKERS:
            raise ConfigError(f"unknown logger {name!r}; choose from: csv, tensorboard, {', '.join(TRACKERS)}")
        trackers.append(TRACKERS[name]())
    return trackers
