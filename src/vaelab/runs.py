"""Run directories: a run describes itself and is reproducible from its stored config.

Layout::

    RUN/
      config.yaml            the resolved config
      status.json            running | interrupted | failed | finished, with a summary
      log.csv                one row per epoch (train means, validation, learning rate)
      tb/                    TensorBoard event files
      checkpoints/latest.pt  everything needed to resume exactly
      checkpoints/best.pt    the model with the lowest validation loss
      figures/*.png          reconstructions, samples, traversal, training curves
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import yaml

from vaelab.config import RunConfig
from vaelab.errors import ConfigError, RunError, VaelabError, user_input
from vaelab.io import read_json_mapping, read_text, write_json, write_text
from vaelab.models import Model, build_model

__all__ = ["Run", "RESUMABLE_KEYS"]

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

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def exists(self) -> bool:
        return self.config_file.is_file()

    @classmethod
    def create(cls, path: str | Path, config: RunConfig) -> "Run":
        """Creates a new run directory; refuses one that already holds anything but its data file
        (``data.npz``, written first by :func:`vaelab.fit` for in-memory data)."""
        run = cls(path)
        if run.path.exists() and (not run.path.is_dir() or any(p.name != cls.data_file_name for p in run.path.iterdir())):
            raise RunError(f"run directory {run.path} already exists; pass --resume to continue it, "
                           "or choose another --out")
        run.path.mkdir(parents=True, exist_ok=True)
        write_text(run.config_file, config.to_yaml())
        return run

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

    def update_config(self, config: RunConfig) -> None:
        """Stores ``config`` after checking it differs from the stored one only in resumable keys."""
        old, new = _flatten(self.config().to_dict()), _flatten(config.to_dict())
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k not in RESUMABLE_KEYS)
        if changed:
            raise RunError(f"the run in {self.path} was made with different settings ({', '.join(changed)}); "
                           "a resumed run may only change its budget or device -- start a new --out instead")
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

    def status(self) -> dict[str, Any]:
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

    def write_status(self, state: str, **fields: Any) -> None:
        write_json(self.status_file, {**self.status(), **fields, "status": state})
