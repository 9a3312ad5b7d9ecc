"""What a report reads from run directories: one :class:`RunResult` per run, one :class:`Row` per method."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunResult", "Row"]


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
