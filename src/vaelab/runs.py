"""Run directories: a run describes itself and is reproducible from its stored config.

Layout::

    RUN/
      config.yaml            the resolved config
      status.json            running | interrupted | failed | finished, with a summary
      .lock                  held by the process training the run (see :mod:`vaelab.locks`)
      log.csv                one row per epoch (train means, validation, learning rate)
      tb/                    TensorBoard event files
      checkpoints/latest.pt  everything needed to resume exactly
      checkpoints/best.pt    the model with the lowest validation loss
      figures/*.png          reconstructions, samples, traversal, training curves
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch
import yaml

from vaelab.config import RunConfig
from vaelab.errors import ConfigError, RunError, VaelabError, user_input
from vaelab.io import read_json_mapping, read_text, write_json, write_text
from vaelab.locks import acquire, alive, holder, release
from vaelab.models import Model, build_model

__all__ = ["Run", "RESUMABLE_KEYS", "LOCK_FILES"]

LOCK_FILES = (".lock", ".guard")
"""What :meth:`Run.locked` leaves in a run directory; a directory holding only these counts as empty."""

RESUMABLE_KEYS = {
    "train.epochs", "train.steps", "train.device", "train.log_every", "train.checkpoint_every",
    "train.tensorboard", "train.eval_batch_size", "data.root", "data.download", "data.cache", "data.cache_gib",
}


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and k != "options":
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


class Run:
    """A run directory.

    Args:
        path: The directory.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    data_file_name = "data.npz"
    config_file = property(lambda self: self.path / "config.yaml")
    status_file = property(lambda self: self.path / "status.json")
    log_file = property(lambda self: self.path / "log.csv")
    tb_dir = property(lambda self: self.path / "tb")
    checkpoint_dir = property(lambda self: self.path / "checkpoints")
    figures_dir = property(lambda self: self.path / "figures")
    lock_file = property(lambda self: self.path / ".lock")

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def exists(self) -> bool:
        return self.config_file.is_file()

    def is_empty(self) -> bool:
        """Whether the directory is absent or holds nothing but lock files and the data file that
        :func:`vaelab.fit` writes first for in-memory data."""
        if not self.path.exists():
            return True
        return self.path.is_dir() and all(p.name in (*LOCK_FILES, self.data_file_name) for p in self.path.iterdir())

    def check_new(self) -> None:
        """Refuses a directory that already holds anything (lock files and the data file aside)."""
        if not self.is_empty():
            raise RunError(f"run directory {self.path} already exists; pass --resume to continue it, "
                           "or choose another --out")

    @classmethod
    def create(cls, path: str | Path, config: RunConfig) -> "Run":
        """Creates a new run directory; refuses one that already holds anything but its data file
        (``data.npz``, written first by :func:`vaelab.fit` for in-memory data)."""
        run = cls(path)
        run.check_new()
        run.path.mkdir(parents=True, exist_ok=True)
        write_text(run.config_file, config.to_yaml())
        return run

    @contextmanager
    def locked(self) -> Iterator["Run"]:
        """Holds ``RUN/.lock`` for this process (creating the directory); refuses a run another live
        process holds. A lock left by a killed process is taken over."""
        self.path.mkdir(parents=True, exist_ok=True)
        held = acquire(self.lock_file)
        if held is not None:
            raise RunError(f"run directory {self.path} is in use ({held}); wait for that process to finish "
                           "or stop it, then try again")
        try:
            yield self
        finally:
            release(self.lock_file)

    @classmethod
    def open(cls, path: str | Path) -> "Run":
        """Opens an existing run directory."""
        run = cls(path)
        if not run.path.is_dir():
            raise RunError(f"run directory {run.path} does not exist")
        if not run.config_file.is_file():
            raise RunError(f"{run.path} is not a vaelab run directory (no config.yaml)")
        return run

    def config(self) -> RunConfig:
        try:
            with user_input(str(self.config_file)):
                return RunConfig.from_dict(yaml.safe_load(read_text(self.config_file)) or {})
        except yaml.YAMLError:
            raise RunError(f"{self.config_file} is corrupt (not valid YAML); restore it from a copy "
                           "or start a new run") from None
        except ConfigError as e:
            raise RunError(f"{self.config_file} is corrupt ({e}); restore it from a copy or start a new run") from None

    def check_config(self, config: RunConfig) -> None:
        """Refuses ``config`` unless it differs from the stored one only in resumable keys; writes nothing."""
        old, new = _flatten(self.config().to_dict()), _flatten(config.to_dict())
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k not in RESUMABLE_KEYS)
        if changed:
            raise RunError(f"the run in {self.path} was made with different settings ({', '.join(changed)}); "
                           "a resumed run may only change its budget or device -- start a new --out instead")

    def update_config(self, config: RunConfig) -> None:
        """Stores ``config`` after :meth:`check_config`."""
        self.check_config(config)
        if config != self.config():
            write_text(self.config_file, config.to_yaml())

    def checkpoint_path(self, which: str = "best") -> Path:
        return self.checkpoint_dir / f"{which}.pt"

    def load_checkpoint(self, which: str = "best", map_location: str | torch.device = "cpu") -> dict[str, Any]:
        """Loads a checkpoint dict; a missing or unreadable file is a :class:`RunError`."""
        if which not in ("best", "latest"):
            raise RunError(f"unknown checkpoint {which!r}; use best or latest")
        path = self.checkpoint_path(which)
        if not path.is_file():
            raise RunError(f"{self.path} has no {which} checkpoint; train it first "
                           f"(vaelab train --out {self.path} --resume)")
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except Exception as e:  # torch raises many types for a corrupt file
            raise RunError(f"checkpoint {path} is unreadable ({type(e).__name__}); "
                           "restore it or retrain the run") from None

    def load_model(self, which: str = "best", device: str | torch.device = "cpu") -> Model:
        """Rebuilds the trained model from a checkpoint, in evaluation mode."""
        ckpt = self.load_checkpoint(which, map_location=device)
        try:
            meta = ckpt["meta"]
            model = build_model(meta["model"], dict(meta["model_config"]), tuple(meta["shape"]),
                                None if meta["value_range"] is None else tuple(meta["value_range"]))
            model.load_state_dict(ckpt["model"])
        except VaelabError:
            raise
        except (KeyError, RuntimeError, TypeError) as e:
            raise RunError(f"checkpoint {self.checkpoint_path(which)} does not match its model ({e}); "
                           "retrain the run") from None
        return model.to(device).eval()

    def _stored_status(self) -> dict[str, Any]:
        if not self.status_file.is_file():
            return {}
        try:
            status = json.loads(self.status_file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return status if isinstance(status, dict) else {}

    def read_metrics(self) -> dict[str, Any]:
        """The contents of ``metrics.json`` (``{}`` when absent); a file that is not a mapping of
        mappings is a :class:`RunError`."""
        path = self.path / "metrics.json"
        if not path.is_file():
            return {}
        fix = f"move it away and run `vaelab evaluate {self.path}` again"
        saved = read_json_mapping(path, fix)
        for key in ("metrics", "arrays", "settings", "seconds"):
            if not isinstance(saved.get(key, {}), dict):
                raise RunError(f"{path} is corrupt ({key!r} is not a JSON object); {fix}")
        return saved
    def status(self) -> dict[str, Any]:
        """``status.json``; a run marked ``running`` whose process is gone (e.g. killed with SIGKILL)
        reads as ``interrupted``, with ``stale`` saying so. The file itself is left as it is."""
        status = self._stored_status()
        if status.get("status") == "running" and not alive(status.get("process")):
            who = status.get("process")
            pid = f"pid {who.get('pid')}" if isinstance(who, dict) else "its process"
            status = {**status, "status": "interrupted",
                      "stale": f"status.json says running, but {pid} is gone; resume with --resume"}
        return status

    def write_status(self, state: str, **fields: Any) -> None:
        """Writes ``status.json``: the stored fields updated with ``fields``; only a ``running`` status
        names its process (``process``: pid, host, start time)."""
        status = {k: v for k, v in {**self._stored_status(), **fields}.items() if k not in ("process", "stale")}
        if state == "running":
            status["process"] = holder()
        write_json(self.status_file, {**status, "status": state})
