"""Sweeps: a YAML file of methods x datasets x seeds x grid, expanded into run directories.

A sweep file::

    methods: [vae, beta_tcvae, avae]
    datasets: [dsprites]
    seeds: [0, 1, 2]
    overrides: {steps: 2000, subset: 50000}
    grid: {beta: [1, 4]}
    method_overrides: {avae: {kde_samples: 2000}}
    dataset_overrides: {mnist: {epochs: 50}}
    cell_overrides: {vae: {mnist: {epochs: 100}}}
    metrics: [mig, factor_vae]
    num_samples: 2000

Every run gets its own directory ``OUT/METHOD-DATASET[-KEY=VALUE...]-seedSEED``. Running a
sweep again trains only what is missing: finished runs are skipped, interrupted ones resume
from their latest checkpoint and only the metric groups absent from ``metrics.json`` are
evaluated. A lock file per run (``OUT/.locks/NAME.lock``) keeps two sweep processes from
training the same run at once.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import json
import logging
import math
import multiprocessing
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NoReturn

import yaml
from tqdm.auto import tqdm

from vaelab.config import RunConfig, build_config
from vaelab.errors import MAX_SEED, ConfigError, VaelabError, user_input
from vaelab.io import read_text
from vaelab.io import write_text
from vaelab.locks import acquire, release

__all__ = [
    "SweepSpec",
    "RunSpec",
    "RunOutcome",
    "device_slot",
    "load_sweep",
    "parse_sweep",
    "dump_sweep",
    "expand",
    "run_config",
    "missing_metrics",
    "complete_run",
    "Plan",
    "plan_sweep",
    "run_sweep",
    "EXECUTORS",
]

KEYS = ("methods", "datasets", "seeds", "overrides", "grid", "method_overrides", "metrics", "num_samples", "name",
        "dataset_overrides", "cell_overrides")
FLAG_KEYS = {"steps": "train.steps", "epochs": "train.epochs", "subset": "data.subset",
             "batch_size": "train.batch_size", "device": "train.device", "data_root": "data.root"}
RESERVED = {"seed": "seeds", "train.seed": "seeds", "model": "methods", "model.name": "methods",
            "dataset": "datasets", "data.name": "datasets"}

Lines = dict[tuple[str, ...], int]


@dataclass(frozen=True)
class SweepSpec:
    """A sweep: every method on every dataset for every seed and every grid point.

    Attributes:
        methods: Model names (``vaelab models``).
        datasets: Dataset names.
        seeds: Training seeds.
        overrides: Settings of every run: ``steps``, ``epochs``, ``subset``, ``batch_size``, ``device``
            (the ``vaelab train`` options) or any config ``KEY`` (``beta``, ``train.lr``, ...).
        grid: ``KEY -> values``; the runs take the cartesian product.
        method_overrides: ``method -> {KEY: value}`` applied after ``overrides`` for that method only.
        metrics: Evaluation groups (``vaelab evaluate --metrics``), or ``generative:SAMPLER`` for the
            generative group with another latent sampler (``vaelab evaluate --sampler``); ``None``: every
            group that applies.
        num_samples: Cap on metric sample counts (``None``: the seeds' defaults).
        name: Optional title (presets set it).
        source: Where the spec was read from (error messages only).
        lines: Line of each key path in ``source`` (error messages only).
        dataset_overrides: ``dataset -> {KEY: value}`` applied after ``overrides`` on that dataset.
        cell_overrides: ``method -> dataset -> {KEY: value}`` applied after ``method_overrides``
            for that method on that dataset (e.g. more epochs for one method on one dataset).
    """

    methods: tuple[str, ...]
    datasets: tuple[str, ...]
    seeds: tuple[int, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    method_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: tuple[str, ...] | None = None
    num_samples: int | None = None
    name: str | None = None
    source: str | None = field(default=None, compare=False, repr=False)
    lines: Lines = field(default_factory=dict, compare=False, repr=False)
    dataset_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    cell_overrides: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def settings(self, method: str, dataset: str) -> dict[str, Any]:
        """The settings of ``method`` on ``dataset`` before the grid: every override level merged, later wins.

        A level that sets ``epochs`` or ``steps`` replaces the other budget of the levels before it.
        """
        out: dict[str, Any] = {}
        for level in (self.overrides, self.dataset_overrides.get(dataset, {}), self.method_overrides.get(method, {}),
                      self.cell_overrides.get(method, {}).get(dataset, {})):
            for budget, other in (("epochs", "steps"), ("steps", "epochs")):
                if budget in level:
                    out.pop(other, None)
            out.update(level)
        return out


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its directory name, method, dataset, seed and resolved settings."""

    name: str
    model: str
    dataset: str
    seed: int
    settings: dict[str, Any]
    grid_point: dict[str, Any]


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one run: ``state`` is ``done``, ``failed`` or ``locked``."""

    name: str
    state: str
    trained: bool = False
    evaluated: tuple[str, ...] = ()
    seconds: float = 0.0
    message: str = ""
    status: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        if self.state != "done":
            return f"{self.name}: {self.state} ({self.message})"
        parts = [f"trained {self.status.get('steps')} steps"] if self.trained else []
        parts += [f"evaluated {','.join(self.evaluated)}"] if self.evaluated else []
        what = f"{' and '.join(parts)} in {self.seconds:.1f} s" if parts else "already complete"
        loss = self.status.get("best_val_loss")
        return f"{self.name}: {what}" + (f"; best val loss {loss:.4g}" if isinstance(loss, float) else "")


# --------------------------------------------------------------------------- parsing


def _where(source: str, lines: Lines, path: tuple[str, ...]) -> str:
    while path and path not in lines:
        path = path[:-1]
    return f"{source}:{lines[path]}" if path in lines else source


def _line_map(root: yaml.Node, source: str) -> Lines:
    """Maps each key path (list items by index) of a composed YAML tree to its 1-based line."""
    out = {(): root.start_mark.line + 1}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = path + (str(key.value),)
                if sub in out:
                    raise ConfigError(f"{source}:{key.start_mark.line + 1}: duplicate key {key.value!r}")
                out[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                out[path + (str(i),)] = item.start_mark.line + 1
                walk(item, path + (str(i),))

    walk(root, ())
    return out


def load_sweep(path: str | Path) -> SweepSpec:
    """Reads and validates a sweep file; every error names the file and line at fault."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sweep file {path} does not exist")
    try:
        text = read_text(path)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        obj = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or 'syntax error'}); "
                          "fix the syntax") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"sweep file {path} cannot be read ({e})") from None
    with user_input(f"sweep file {path}"):
        return parse_sweep(obj, str(path), lines=_line_map(node, str(path)) if node is not None else {})


def parse_sweep(obj: Any, source: str = "<sweep>", lines: Lines | None = None) -> SweepSpec:
    """Validates a sweep mapping (e.g. ``yaml.safe_load`` of a sweep file) and returns its spec.

    Every run's config is built once, so bad override keys or values fail here, before any run.

    Args:
        obj: The mapping.
        source: Its file name, for error messages.
        lines: Line of each key path (see :func:`load_sweep`), for error messages.
    """
    from vaelab.data import DATASETS
    from vaelab.evaluate import METRICS
    from vaelab.models import MODELS
    from vaelab.samplers import SAMPLER_ALIASES, SAMPLERS

    lines = lines or {}
    samplers = [*SAMPLERS, *SAMPLER_ALIASES]

    def fail(path: tuple[str, ...], msg: str) -> NoReturn:
        raise ConfigError(f"{_where(source, lines, path)}: {msg}")

    if not isinstance(obj, dict):
        fail((), f"a sweep must be a mapping with keys {', '.join(KEYS[:3])} (and optionally {', '.join(KEYS[3:])})")
    for key in obj:
        if key not in KEYS:
            fail((str(key),), f"unknown key {key!r}; use one of: {', '.join(KEYS)}")
    for key in KEYS[:3]:
        if key not in obj:
            fail((), f"missing key {key!r}; a sweep needs {', '.join(KEYS[:3])}")

    def names(key: str, known: dict[str, Any], what: str) -> tuple[str, ...]:
        values = obj[key]
        if not isinstance(values, list) or not values:
            fail((key,), f"{key} must be a non-empty list of {what} names, e.g. [{next(iter(known))}]")
        for i, v in enumerate(values):
            if not isinstance(v, str) or v not in known:
                fail((key, str(i)), f"unknown {what} {v!r}; choose one of: {', '.join(known)}")
            if v in values[:i]:
                fail((key, str(i)), f"{what} {v!r} is listed twice")
        return tuple(values)

    methods = names("methods", MODELS, "method")
    datasets = names("datasets", DATASETS, "dataset")
    seeds = obj["seeds"]
    if not isinstance(seeds, list) or not seeds:
        fail(("seeds",), "seeds must be a non-empty list of integers, e.g. [0, 1, 2]")
    for i, s in enumerate(seeds):
        if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s <= MAX_SEED:
            fail(("seeds", str(i)), f"seeds must be non-negative integers up to {MAX_SEED}, got {s!r}")
        if s in seeds[:i]:
            fail(("seeds", str(i)), f"seed {s} is listed twice")

    def settings(value: Any, path: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            fail(path, f"{'.'.join(path)} must be a mapping KEY: VALUE, e.g. {{steps: 2000, beta: 4}}")
        for key in value:
            if not isinstance(key, str):
                fail(path + (str(key),), f"{'.'.join(path)} keys must be strings, got {key!r}")
            if key in RESERVED:
                fail(path + (key,), f"{key} is set by the sweep's `{RESERVED[key]}` list; remove it here")
        return dict(value)

    overrides = settings(obj.get("overrides"), ("overrides",))
    grid = settings(obj.get("grid"), ("grid",))
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            fail(("grid", key), f"grid.{key} must be a non-empty list of values, e.g. {key}: [1, 4]; got {values!r}")
        for i, v in enumerate(values):
            if v in values[:i]:
                fail(("grid", key, str(i)), f"grid.{key} lists {v!r} twice")
    per_method = settings(obj.get("method_overrides"), ("method_overrides",))
    for method, values in per_method.items():
        if method not in methods:
            fail(("method_overrides", method), f"method_overrides names {method!r}, which is not in methods")
        per_method[method] = settings(values, ("method_overrides", method))
    per_dataset = settings(obj.get("dataset_overrides"), ("dataset_overrides",))
    for dataset, values in per_dataset.items():
        if dataset not in datasets:
            fail(("dataset_overrides", dataset), f"dataset_overrides names {dataset!r}, which is not in datasets")
        per_dataset[dataset] = settings(values, ("dataset_overrides", dataset))
    cells = settings(obj.get("cell_overrides"), ("cell_overrides",))
    for method, per in cells.items():
        if method not in methods:
            fail(("cell_overrides", method), f"cell_overrides names {method!r}, which is not in methods")
        cells[method] = settings(per, ("cell_overrides", method))
        for dataset, values in cells[method].items():
            if dataset not in datasets:
                fail(("cell_overrides", method, dataset),
                     f"cell_overrides.{method} names {dataset!r}, which is not in datasets")
            cells[method][dataset] = settings(values, ("cell_overrides", method, dataset))

    metrics = obj.get("metrics")
    if metrics is not None:
        metrics = names("metrics", {**METRICS, **{f"generative:{s}": None for s in samplers}}, "metric")
    num_samples = obj.get("num_samples")
    if num_samples is not None and (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                                    or num_samples < 10):
        fail(("num_samples",), f"num_samples must be an integer of at least 10, got {num_samples!r}")
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        fail(("name",), f"name must be a string, got {name!r}")

    spec = SweepSpec(methods, datasets, tuple(seeds), overrides, {k: tuple(v) for k, v in grid.items()},
                     per_method, metrics, num_samples, name, source, lines, per_dataset, cells)
    expand(spec)
    return spec


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def dump_sweep(spec: SweepSpec) -> str:
    """The sweep file of ``spec`` (:func:`load_sweep` reads it back to an equal spec)."""
    d = {k: _plain(getattr(spec, k)) for k in KEYS}
    return yaml.safe_dump({k: v for k, v in d.items() if v not in (None, {}, [])}, sort_keys=False,
                          default_flow_style=None, width=120)


# --------------------------------------------------------------------------- expansion


def _yaml_value(value: Any) -> str:
    text = yaml.safe_dump(_plain(value), default_flow_style=True, width=10**9)
    return text[: -len("\n...\n")] if text.endswith("\n...\n") else text.strip()


def _name_part(value: Any) -> str:
    text = value if isinstance(value, str) else _yaml_value(value)
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_") or "_"


def run_config(run: RunSpec) -> RunConfig:
    """The resolved config of a run: CPU and no TensorBoard unless its settings say otherwise.

    ``steps``, ``epochs``, ``subset``, ``batch_size``, ``device`` and ``data_root`` are the
    ``vaelab train`` options; every other key is a ``KEY=VALUE`` config override.
    """
    overrides = ["train.tensorboard=false"] + [f"{FLAG_KEYS.get(k, k)}={_yaml_value(v)}" for k, v in run.settings.items()]
    return build_config(model=run.model, dataset=run.dataset, seed=run.seed, device="cpu", overrides=overrides)


def _check(run: RunSpec, spec: SweepSpec, origins: dict[str, tuple[str, ...]], method_path: tuple[str, ...]) -> None:
    try:
        run_config(run)
    except ConfigError as e:
        items = list(run.settings.items())
        culprit = None
        for i in range(len(items) + 1):
            try:
                run_config(dataclasses.replace(run, settings=dict(items[:i])))
            except ConfigError:
                culprit = items[i - 1][0] if i else None
                break
        path = origins[culprit] if culprit is not None else method_path
        where = _where(spec.source or "<sweep>", spec.lines, path)
        raise ConfigError(f"{where}: {run.model} on {run.dataset}: {e}") from None


def expand(spec: SweepSpec) -> list[RunSpec]:
    """One run per (method, dataset, grid point, seed), in that nesting order; every config is checked.

    Settings are ``overrides``, ``dataset_overrides[dataset]``, ``method_overrides[method]``,
    ``cell_overrides[method][dataset]``, then the grid point (later wins).
    Names look like ``vae-dsprites-seed0`` or ``beta_tcvae-dsprites-beta=4-seed0``.
    """
    keys = list(spec.grid)
    points = [dict(zip(keys, values)) for values in itertools.product(*spec.grid.values())]
    runs: list[RunSpec] = []
    seen: dict[str, RunSpec] = {}
    for mi, method in enumerate(spec.methods):
        extra = spec.method_overrides.get(method, {})
        for dataset in spec.datasets:
            per_dataset = spec.dataset_overrides.get(dataset, {})
            cell = spec.cell_overrides.get(method, {}).get(dataset, {})
            origins = {**{k: ("overrides", k) for k in spec.overrides},
                       **{k: ("dataset_overrides", dataset, k) for k in per_dataset},
                       **{k: ("method_overrides", method, k) for k in extra},
                       **{k: ("cell_overrides", method, dataset, k) for k in cell}, **{k: ("grid", k) for k in keys}}
            for point in points:
                for seed in spec.seeds:
                    tags = "".join(f"-{_name_part(k)}={_name_part(v)}" for k, v in point.items())
                    run = RunSpec(f"{method}-{dataset}{tags}-seed{seed}", method, dataset, seed,
                                  {**spec.settings(method, dataset), **point}, dict(point))
                    if run.name in seen:
                        where = _where(spec.source or "<sweep>", spec.lines, ("grid",))
                        raise ConfigError(f"{where}: grid points {seen[run.name].grid_point} and {point} give the "
                                          f"same run directory {run.name}; use distinct values")
                    if seed == spec.seeds[0]:
                        _check(run, spec, origins, ("methods", str(mi)))
                    seen[run.name] = run
                    runs.append(run)
    return runs


# --------------------------------------------------------------------------- one run


def _group_key(metric: str) -> str:
    from vaelab.evaluate import generative_group

    group, _, sampler = metric.partition(":")
    return generative_group(sampler) if sampler else group


def missing_metrics(run_dir: str | Path, metrics: list[str] | tuple[str, ...] | None) -> list[str] | None:
    """The entries of ``metrics`` not yet in ``RUN/metrics.json``.

    An entry is a group (``mig``) or ``generative:SAMPLER`` (stored as ``generative_SAMPLER``).
    ``metrics=None`` means every group that applies to the run's data; the result is then
    ``None`` (evaluate everything) while nothing has been evaluated yet.
    """
    from vaelab.runs import Run

    try:
        done = set(Run(run_dir).read_metrics().get("seconds", {}))
    except VaelabError:
        done = set()
    if metrics is None:
        if not done:
            return None
        metrics = _applicable(run_dir)
    return [m for m in metrics if _group_key(m) not in done]


def _applicable(run_dir: str | Path) -> list[str]:
    from vaelab.data import load_dataset
    from vaelab.evaluate import _heldout, _select
    from vaelab.runs import Run

    run = Run.open(run_dir)
    cfg = run.config().data
    data = load_dataset(cfg.name, cfg.root, download=False, **cfg.options)
    return _select(None, data, _heldout(run, data)[0])


def _clear_debris(run_dir: Path) -> None:
    """Removes the temporary files of an atomic write cut short in a run directory that has no config yet."""
    if run_dir.is_dir() and not (run_dir / "config.yaml").exists():
        for p in run_dir.iterdir():
            if p.is_file() and p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink()


def complete_run(run_dir: str | Path, config: RunConfig, metrics: list[str] | tuple[str, ...] | None = None,
                 num_samples: int | None = None, progress: bool = False,
                 on_step: Callable[[int, int], None] | None = None) -> tuple[bool, list[str]]:
    """Trains a run unless finished (resuming its checkpoint), then evaluates its missing metric groups.

    Args:
        run_dir: The run directory (created if absent).
        config: The run's resolved config.
        metrics: Metric groups or ``generative:SAMPLER``; ``None``: every group that applies.
        num_samples: Cap on metric sample counts.
        progress: Show progress bars.
        on_step: Passed to :func:`vaelab.train.train` (``(steps done, total)`` after each step).

    Returns:
        Whether it trained, and the groups it evaluated.
    """
    from vaelab.evaluate import evaluate_run
    from vaelab.runs import Run
    from vaelab.train import resolve_device, train

    run_dir = Path(run_dir)
    trained = Run(run_dir).status().get("status") != "finished"
    if trained:
        _clear_debris(run_dir)
        train(config, run_dir, resume=True, progress=progress, on_step=on_step)
    missing = missing_metrics(run_dir, metrics)
    if missing == []:
        return trained, []
    options = {"num_samples": num_samples, "seed": config.train.seed, "device": resolve_device(config.train.device),
               "progress": progress}
    groups = None if missing is None else [m for m in missing if ":" not in m]
    evaluated = []
    if groups != []:
        done = evaluate_run(run_dir, groups, **options)
        evaluated = [m for m in done["seconds"] if groups is None or m in groups]
    for metric in [m for m in missing or [] if ":" in m]:
        evaluate_run(run_dir, ["generative"], sampler=metric.partition(":")[2], **options)
        evaluated.append(metric)
    return trained, evaluated


# --------------------------------------------------------------------------- estimate


def _run_steps(config: RunConfig) -> int:
    """The training steps of a run's budget (epochs times the batches of the training split)."""
    from vaelab.data import load_dataset, split_indices

    tc, dc = config.train, config.data
    if tc.steps is not None:
        return tc.steps
    data = load_dataset(dc.name, dc.root, download=False, **dc.options)
    train_index, _ = split_indices(len(data), dc.val_fraction, dc.split_seed, dc.subset)
    return tc.epochs * max(1, len(train_index) // tc.batch_size)


def _step_seconds(config: RunConfig, threads: int, steps: int = 3) -> float:
    """Seconds per optimisation step of a run's model on the CPU: the best of ``steps`` timed
    steps on one batch of its data, after one untimed step."""
    import torch

    from vaelab.data import load_dataset
    from vaelab.models import build_model

    tc, dc = config.train, config.data
    data = load_dataset(dc.name, dc.root, download=False, **dc.options)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = build_model(config.model, config.model_config, data.shape, data.value_range)
            objectives = list(model.objectives().values())
            optimizers = [torch.optim.Adam(o.params, lr=o.lr or tc.lr) for o in objectives]
            x = data.images(torch.arange(min(tc.batch_size, len(data))))
            times = []
            for _ in range(steps + 1):
                start = time.perf_counter()
                losses = model.loss(x)
                for o in optimizers:
                    o.zero_grad(set_to_none=True)
                for i, o in enumerate(objectives):
                    losses[o.loss_key].backward(inputs=o.params, retain_graph=i < len(objectives) - 1)
                for o in optimizers:
                    o.step()
                times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return min(times[1:])


@dataclass(frozen=True)
class Plan:
    """What a sweep has left to do and about how long its training takes.

    Attributes:
        runs: Runs of the sweep.
        finished: Runs already trained (``status.json`` says finished).
        steps: Training steps left over all runs (those that could be read).
        rates: ``(method, dataset) -> seconds per step`` timed on this machine.
        seconds: Estimated wall-clock seconds of the training left with ``workers`` runs at once;
            ``None`` when a timing failed.
        workers: Runs at once.
    """

    runs: int
    finished: int
    steps: int
    rates: dict[tuple[str, str], float]
    seconds: float | None
    workers: int

    def line(self) -> str:
        left = self.runs - self.finished
        text = f"{self.runs} run{'s' * (self.runs != 1)} ({left} to train, {self.finished} finished)"
        if not left:
            return text + "; no training left"
        text += f", {self.steps:,} training steps"
        if self.seconds is None:
            return text + "; no time estimate (some runs could not be timed: they report why when they start)"
        return (text + f"; training about {_duration(self.seconds)} with {self.workers} worker"
                + "s" * (self.workers != 1) + " (steps timed just now on this machine; evaluation and "
                "per-epoch model hooks come on top)")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def plan_sweep(spec: SweepSpec, out: str | Path, workers: int = 1) -> Plan:
    """Counts a sweep's runs, finished runs and training steps left, and estimates the training time
    from a short timing of each (method, dataset)'s step (:func:`_step_seconds`); writes nothing."""
    from vaelab.runs import Run

    out = Path(out)
    threads = _threads(workers)
    runs = expand(spec)
    finished, steps, rates, seconds = 0, 0, {}, 0.0
    for r in runs:
        status = Run(out / r.name).status()
        if status.get("status") == "finished":
            finished += 1
            continue
        config = run_config(r)
        key = (r.model, r.dataset)
        try:  # advice only: a run that cannot start reports its own error when the sweep reaches it
            left = max(0, _run_steps(config) - int(status.get("steps") or 0))
            if key not in rates:
                rates[key] = _step_seconds(config, threads)
        except Exception:
            left, rates[key] = 0, math.nan
        steps += left
        seconds += left * rates[key] if math.isfinite(rates[key]) else math.nan
    total = seconds / min(workers, max(1, len(runs) - finished)) if math.isfinite(seconds) else None
    return Plan(len(runs), finished, steps, rates, total, workers)


def _threads(workers: int) -> int:
    import torch

    return max(1, min(torch.get_num_threads(), (os.cpu_count() or 1) // workers))


# --------------------------------------------------------------------------- executors


@dataclass(frozen=True)
class _Job:
    name: str
    path: str
    lock: str
    config: RunConfig
    metrics: tuple[str, ...] | None
    num_samples: int | None
    threads: int
    progress: bool


_WORKER: dict[str, Any] = {}
"""A sweep worker process's progress queue and device slot (set by :func:`_init_worker`)."""


def device_slot(slot: int, num_gpus: int) -> int | None:
    """The GPU of worker ``slot``: workers are dealt round-robin onto the GPUs, so ``--workers N``
    on ``G`` GPUs packs about ``N / G`` runs onto each; ``None`` without GPUs."""
    return slot % num_gpus if num_gpus > 0 else None


def _init_worker(queue: Any, counter: Any) -> None:
    """Runs once in each worker process: takes the next slot and binds its GPU (``cuda`` means that one)."""
    import torch

    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    gpu = device_slot(slot, torch.cuda.device_count() if torch.cuda.is_available() else 0)
    if gpu is not None:
        torch.cuda.set_device(gpu)
    _WORKER.update(queue=queue, slot=slot, gpu=gpu)


def _progress_reporter(name: str, every: float = 0.5) -> Callable[[int, int], None] | None:
    """Sends ``(name, step, total)`` to the sweep's progress queue at most every ``every`` seconds."""
    queue = _WORKER.get("queue")
    if queue is None:
        return None
    last = [0.0]

    def report(step: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= every or step >= total:
            last[0] = now
            queue.put((name, step, total))

    return report


def _run_job(job: _Job) -> RunOutcome:
    """Locks, completes and unlocks one run; a user error becomes a ``failed`` outcome."""
    import torch

    from vaelab.train import Interrupted

    held = acquire(job.lock)
    if held is not None:
        return RunOutcome(job.name, "locked", message=held)
    threads = torch.get_num_threads()
    torch.set_num_threads(job.threads)
    start = time.perf_counter()
    try:
        trained, evaluated = complete_run(job.path, job.config, job.metrics, job.num_samples, job.progress,
                                          on_step=_progress_reporter(job.name))
    except Interrupted:
        raise
    except Exception as e:  # one run's failure, expected (VaelabError) or not, must not abort the sweep
        what = "" if isinstance(e, VaelabError) else f"{type(e).__name__}: "
        return RunOutcome(job.name, "failed", seconds=time.perf_counter() - start,
                          message=what + " ".join(str(e).split()))
    finally:
        torch.set_num_threads(threads)
        release(job.lock)
    from vaelab.runs import Run

    return RunOutcome(job.name, "done", trained, tuple(evaluated), time.perf_counter() - start,
                      status=Run(job.path).status())


def _drain(queue: Any, on_progress: Callable[[str, int, int], None] | None) -> None:
    import queue as queues

    while True:
        try:
            name, step, total = queue.get_nowait()
        except (queues.Empty, OSError, EOFError):
            return
        if on_progress is not None:
            on_progress(name, step, total)


def _local(jobs: list[_Job], workers: int, address: str | None,
           on_progress: Callable[[str, int, int], None] | None = None) -> Iterator[RunOutcome]:
    if workers == 1:
        yield from map(_run_job, jobs)
        return
    context = multiprocessing.get_context("spawn")
    queue, counter = context.Queue(), context.Value("i", 0)
    pool = concurrent.futures.ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context,
                                                  initializer=_init_worker, initargs=(queue, counter))
    try:
        pending = {pool.submit(_run_job, job) for job in jobs}
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.5,
                                                    return_when=concurrent.futures.FIRST_COMPLETED)
            _drain(queue, on_progress)
            for future in done:
                yield future.result()
        _drain(queue, on_progress)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install 'vaelab[ray]'") from None
    return ray


def _ray(jobs: list[_Job], workers: int, address: str | None,
         on_progress: Callable[[str, int, int], None] | None = None) -> Iterator[RunOutcome]:
    ray = _import_ray()
    threads = jobs[0].threads
    started = not ray.is_initialized()
    if started:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(address=address, num_cpus=workers * threads if address is None else None,
                 include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    try:
        task = ray.remote(_run_job).options(num_cpus=threads, max_retries=0)
        pending = [task.remote(job) for job in jobs]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


EXECUTORS: dict[str, Callable[..., Iterator[RunOutcome]]] = {"local": _local, "ray": _ray}
"""Executors by name: ``(jobs, workers, address, on_progress) -> outcomes`` as runs finish; the
local one reports ``on_progress(run name, step, total)`` from its worker processes."""


def _claim(spec: SweepSpec, out: Path) -> None:
    """Writes ``OUT/sweep.yaml``, or checks that the one there describes the same sweep."""
    file, text = out / "sweep.yaml", dump_sweep(spec)
    if file.is_file():
        try:
            old = yaml.safe_load(file.read_text())
        except yaml.YAMLError:
            old = None
        new = yaml.safe_load(text)
        if old != new:
            old = old if isinstance(old, dict) else {}
            keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise ConfigError(f"{file} describes a different sweep (it differs in {', '.join(keys)}); "
                              "use another --out, or the sweep that directory was made with")
        return
    if out.exists() and (not out.is_dir() or any(not p.name.startswith((".sweep.yaml", ".locks"))
                                                 for p in out.iterdir())):
        raise ConfigError(f"{out} already holds files but no sweep.yaml; choose a new --out for the sweep")
    write_text(file, text)


def run_sweep(spec: SweepSpec, out: str | Path, workers: int = 1, executor: str = "local",
              address: str | None = None, progress: bool = True, announce: bool = True) -> list[Path]:
    """Trains and evaluates every run of a sweep into ``out``; re-running completes what is missing.

    A run whose lock is held by a live process is skipped and reported; a failed run does not
    stop the others.

    Args:
        spec: The sweep.
        out: The sweep directory: ``sweep.yaml`` and one directory per run.
        workers: Runs at once; each uses ``min(torch threads, cpu_count // workers)`` threads.
        executor: ``local`` (in this process for one worker, else spawned processes) or ``ray``.
        address: Ray cluster address (``None``: start a local Ray instance).
        progress: Show a progress bar over runs (and the training bars when in this process).
        announce: Print :func:`plan_sweep`'s line (runs, steps, estimated training time) on stderr first.

    Returns:
        The run directories, in :func:`expand` order.

    Raises:
        VaelabError: Naming every failed run, once all runs are done.
    """
    from vaelab.train import Interrupted

    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose one of: {', '.join(EXECUTORS)}")
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    runs = expand(spec)
    if executor == "ray":
        _import_ray()
    out = Path(out)
    _claim(spec, out)
    if announce:
        tqdm.write(f"{spec.name or 'sweep'}: {plan_sweep(spec, out, workers).line()}", file=sys.stderr)
    threads = _threads(workers)
    in_process = executor == "local" and workers == 1
    jobs = [_Job(r.name, str(out / r.name), str(out / ".locks" / f"{r.name}.lock"), run_config(r),
                 spec.metrics, spec.num_samples, threads, progress and in_process) for r in runs]
    outcomes: list[RunOutcome] = []
    bar = tqdm(total=len(jobs), disable=not progress, unit="run", desc=spec.name or "sweep", dynamic_ncols=True)
    running: dict[str, tuple[int, int]] = {}

    def show(name: str, step: int, total: int) -> None:
        running[name] = (step, total)
        bar.set_postfix_str(" | ".join(f"{n} {s}/{t}" if s < t else f"{n} evaluating"
                                       for n, (s, t) in running.items()), refresh=True)

    try:
        for outcome in EXECUTORS[executor](jobs, workers, address, show) if jobs else ():
            outcomes.append(outcome)
            running.pop(outcome.name, None)
            bar.update(1)
            tqdm.write(f"[{len(outcomes)}/{len(jobs)}] {outcome.line()}", file=sys.stderr)
    except (Interrupted, KeyboardInterrupt) as e:
        signum = getattr(e, "signum", signal.SIGINT)
        raise Interrupted(f"sweep interrupted ({signal.Signals(signum).name}) after {len(outcomes)} of {len(jobs)} "
                          "runs; run the same command again to continue", signum) from None
    finally:
        bar.close()
    locked = [o.name for o in outcomes if o.state == "locked"]
    if locked:
        tqdm.write(f"{len(locked)} of {len(jobs)} runs skipped: another process holds their lock "
                   f"({', '.join(locked)}); run the sweep again once it is done", file=sys.stderr)
    failed = [o for o in outcomes if o.state == "failed"]
    if failed:
        raise VaelabError(f"{len(failed)} of {len(jobs)} runs failed: "
                          + "; ".join(f"{o.name} ({o.message})" for o in failed))
    return [out / r.name for r in runs]
