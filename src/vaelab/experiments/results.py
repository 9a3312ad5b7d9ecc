"""What a report reads from run directories: one :class:`RunResult` per run, one :class:`Row` per method."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from vaelab.errors import VaelabError
from vaelab.runs import Run

__all__ = ["RunResult", "Row", "find_runs", "load_results"]

_BOOKKEEPING = {"model.name", "data.name", "train.seed", "train.device", "train.log_every",
                "train.checkpoint_every", "train.tensorboard", "train.eval_batch_size", "data.root",
                "data.download", "data.cache", "data.cache_gib"}


@dataclass(frozen=True)
class RunResult:
    """What a report reads from one finished run directory."""

    path: Path
    dataset: str
    model: str
    seed: int
    settings: dict[str, Any]
    metrics: dict[str, float]
    arrays: dict[str, Any] = field(default_factory=dict)
    features: dict[str, Any] | None = None


@dataclass
class Row:
    """The runs of one method on one dataset, sorted by seed."""

    dataset: str
    model: str
    method: str
    runs: list[RunResult]

    def values(self, key: str, fallback: str | None = None) -> list[float]:
        """The runs' values of ``key`` (of ``fallback`` for a run without ``key``)."""
        return [r.metrics[key] if key in r.metrics else r.metrics[fallback] for r in self.runs
                if key in r.metrics or (fallback is not None and fallback in r.metrics)]


def find_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Run directories among ``paths`` and up to two levels below them (hidden ones aside), in sorted order."""
    found: dict[Path, Path] = {}

    def visit(p: Path, depth: int) -> None:
        if (p / "config.yaml").is_file():
            found.setdefault(p.resolve(), p)
        elif depth < 2:
            for child in sorted(c for c in p.iterdir() if c.is_dir() and not c.name.startswith(".")):
                visit(child, depth + 1)

    for p in map(Path, paths):
        if not p.is_dir():
            raise VaelabError(f"{p} is not a directory; give run directories or directories holding them")
        visit(p, 0)
    if not found:
        raise VaelabError(f"no run directories (with config.yaml) in {', '.join(map(str, paths))}")
    return list(found.values())


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    flat = {f"{section}.{k}": v for section, values in config.items() for k, v in values.items()}
    return {k: v for k, v in flat.items() if k not in _BOOKKEEPING}


def _read_metrics(path: Path) -> dict[str, Any]:
    return Run(path).read_metrics()


def load_results(paths: Sequence[str | Path]) -> tuple[list[RunResult], list[str]]:
    """Reads the finished runs under ``paths``.

    Returns:
        The runs, and one note per run left out (unfinished or unreadable).
    """
    results, notes = [], []
    for path in find_runs(paths):
        run = Run(path)
        state = run.status().get("status", "no status")
        if state != "finished":
            notes.append(f"left out {path}: {state}")
            continue
        try:
            config = run.config()
            saved = _read_metrics(path)
        except VaelabError as e:
            notes.append(f"left out {path}: {e}")
            continue
        metrics = {k: float(v) for k, v in saved.get("metrics", {}).items()}
        if run.status().get("best_val_loss") is not None:
            metrics["train.best_val_loss"] = float(run.status()["best_val_loss"])
        results.append(RunResult(path, config.data.name, config.model, config.train.seed,
                                 _settings(config.to_dict()), metrics, saved.get("arrays", {}),
                                 saved.get("features")))
    return results, notes
