"""The training loop: one short function over ``model.loss(batch) -> dict``.

Adam with ReduceLROnPlateau on the validation loss (AVAE appendix; or a constant rate, or
fixed milestones: ``train.schedule``), a budget in epochs
or steps, per-epoch and per-step model hooks, any number of optimisers (one per
:class:`~vaelab.models.base.Objective`), CSV and TensorBoard logs, and checkpoints
from which a resumed run continues with exactly the parameters of an uninterrupted one
on CPU: the data order of epoch ``e`` depends only on ``(seed, e)``, and the RNG states,
optimiser and scheduler states and hook state are all saved.
"""

from __future__ import annotations

import concurrent.futures
import csv
import math
import signal
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch
from torch import Tensor
from tqdm.auto import tqdm

from vaelab.config import RunConfig, TrainConfig
from vaelab.data import Dataset, load_dataset, split_indices
from vaelab.data.cache import CachedImages
from vaelab.denormals import flush_denormal
from vaelab.errors import RunError, TrainingDiverged, VaelabError, VaelabWarning
from vaelab.io import save_torch, write_text
from vaelab.memory import check_training_memory
from vaelab.models import Model, build_model
from vaelab.nets import memory_layout
from vaelab.runs import LOCK_FILES, Run

__all__ = ["OPTIMIZERS", "TrainState", "TrainContext", "Interrupted", "train", "resolve_device", "evaluate_losses",
           "make_scheduler", "MilestoneFactor", "memory_layout", "prefetched", "LossTracker"]

OPTIMIZERS: dict[str, Any] = {
    "adam": lambda params, lr, betas, weight_decay: torch.optim.Adam(params, lr=lr, betas=betas,
                                                                     weight_decay=weight_decay, foreach=True),
    "rmsprop": lambda params, lr, betas, weight_decay: torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-10,
                                                                           weight_decay=weight_decay),
}
"""Optimiser builders by :attr:`Objective.optimizer` name. RMSprop uses TensorFlow 1's
defaults (decay 0.9, epsilon 1e-10), those of the MaskAAE's released code; ``betas`` is unused.
Adam runs its multi-tensor (``foreach``) form on every device: on the CPU it gives the
for-loop form's parameters bit for bit (a test checks) in fewer operator calls."""


class Interrupted(VaelabError):
    """Training stopped on request (Ctrl-C or SIGTERM); the latest checkpoint holds the stopping point.

    The exit status is 128 + the signal number, as a shell reports a process killed by it:
    130 for SIGINT (Ctrl-C), 143 for SIGTERM (what SLURM, Kubernetes and Ray send).
    """

    exit_code = 130

    def __init__(self, message: str, signum: int = signal.SIGINT):
        super().__init__(message)
        self.signum = int(signum)
        self.exit_code = 128 + self.signum

    def __reduce__(self):
        return type(self), (str(self), self.signum)


@dataclass
class TrainState:
    """Counters saved in every checkpoint."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    epoch_started: bool = False
    best_val: float = math.inf
    best_epoch: int = -1
    best_step: int = 0
    seconds: float = 0.0
    sums: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainContext:
    """What hooks see: the data, the splits, the device and a generator for their randomness.

    Hooks may replace ``sgd_index`` (the items the current epoch iterates over, e.g. the
    training set minus a KDE or prior-estimation subset); it is saved in checkpoints.
    ``recorded`` is the run's ``status.json`` when it resumes (empty for a new run): what the
    model recorded there through :meth:`~vaelab.models.base.Model.summary` (e.g. the AVAE's
    bandwidth), for ``on_train_start`` to reuse instead of recomputing it.
    """

    model: Model
    data: Dataset
    train_index: Tensor
    val_index: Tensor
    sgd_index: Tensor
    config: TrainConfig
    device: torch.device
    generator: torch.Generator
    state: TrainState
    source: CachedImages
    layout: torch.memory_format = torch.contiguous_format
    recorded: dict[str, Any] = field(default_factory=dict)

    def images(self, index: Tensor) -> Tensor:
        """Returns the observations at ``index`` on the training device, in the training layout."""
        x = self.source.images(index)
        if self.device.type == "cuda" and x.device.type == "cpu":
            x = x.pin_memory()
        x = x.to(self.device, non_blocking=True)
        return x.contiguous(memory_format=self.layout) if x.dim() == 4 else x

    def batches(self, index: Tensor, batch_size: int | None = None) -> Iterator[Tensor]:
        """Yields the observations at ``index`` in batches on the training device."""
        bs = batch_size or self.config.eval_batch_size
        for i in range(0, len(index), bs):
            yield self.images(index[i : i + bs])


def resolve_device(name: str) -> torch.device:
    """Maps ``auto`` / ``cpu`` / ``cuda`` to a device, with a clear error when CUDA is absent.

    ``cuda`` resolves to the current GPU with its index (a sweep worker binds one with
    ``torch.cuda.set_device``), so threads such as the batch prefetcher use the same GPU.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("device cuda was asked for but PyTorch sees no GPU; use --device cpu or auto")
    return torch.device("cuda", torch.cuda.current_device()) if name == "cuda" else torch.device(name)


def prefetched(batches: Iterator[Callable[[], Tensor]], enabled: bool = True) -> Iterator[Tensor]:
    """Runs each batch-making call one step ahead in a background thread (in order when ``enabled``).

    The calls are pure functions of their batch (a gather from the cache, a copy to the
    device), so the batches and their order are the same with or without prefetching.
    """
    if not enabled:
        yield from (make() for make in batches)
        return
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="vaelab-prefetch") as pool:
        pending = None
        for make in batches:
            future = pool.submit(make)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


class LossTracker:
    """Per-epoch sums of the loss entries and the first non-finite value, kept on the device.

    ``add`` queues only device operations (no host synchronisation); ``sums()`` and
    ``first_bad()`` read them back, once per log interval. Sums run in float64 and start
    from the checkpointed values, so they are bitwise those of step-by-step host sums
    wherever they are read.
    """

    def __init__(self, sums: dict[str, float], keys: list[str], device: torch.device):
        self.device = device
        self.keys = keys
        self.totals = {k: torch.tensor(v, dtype=torch.float64, device=device) for k, v in sums.items()}
        self.latest: dict[str, Tensor] = {}
        self.bad_step = torch.tensor(-1, device=device)
        self.bad_value = {k: torch.zeros((), device=device) for k in keys}

    def add(self, losses: dict[str, Tensor], step: int) -> None:
        self.latest = {k: v.detach() for k, v in losses.items()}
        for k, v in self.latest.items():
            if k in self.totals:
                self.totals[k] += v
            else:
                self.totals[k] = v.to(torch.float64)
        for k in self.keys:
            v = self.latest[k]
            new = (self.bad_step < 0) & ~torch.isfinite(v)
            self.bad_value[k] = torch.where(new, v.float(), self.bad_value[k])
            self.bad_step = torch.where(new, step, self.bad_step)

    def first_bad(self) -> tuple[int, str, float] | None:
        """``(step, key, value)`` of the first non-finite monitored entry, or ``None``."""
        step = int(self.bad_step)
        if step < 0:
            return None
        for k in self.keys:
            value = float(self.bad_value[k])
            if not math.isfinite(value):
                return step, k, value
        return step, self.keys[0], math.nan

    def sums(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.totals.items()}

    def reset(self) -> None:
        self.totals = {}


def epoch_order(n: int, seed: int, epoch: int) -> Tensor:
    """The permutation of epoch ``epoch``: a function of ``(seed, epoch)`` only."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


@torch.no_grad()
def evaluate_losses(model: Model, batches: Iterator[Tensor], seed: int = 0) -> dict[str, float]:
    """Mean of each loss entry over ``batches``, in evaluation mode, without touching the global RNG."""
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    n = 0
    with torch.random.fork_rng(devices=[model.device] if model.device.type == "cuda" else []):
        torch.manual_seed(seed)
        for x in batches:
            for k, v in model.loss(x).items():
                sums[k] = sums.get(k, 0.0) + float(v) * len(x)
            n += len(x)
    model.train(was_training)
    return {k: v / max(n, 1) for k, v in sums.items()}


_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


@contextmanager
def _stop_on_signals() -> Iterator[dict[str, int]]:
    """While active, SIGINT and SIGTERM set ``flag["stop"]`` to the signal number (the loop stops at
    the next step boundary); a second one stops at once."""
    flag = {"stop": 0}

    def handler(signum, frame):
        if flag["stop"]:
            raise KeyboardInterrupt
        flag["stop"] = signum

    try:
        previous = {s: signal.signal(s, handler) for s in _SIGNALS}
    except ValueError:  # not the main thread
        yield flag
        return
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _summary(state: TrainState) -> dict[str, Any]:
    """The counters of ``status.json``, with the same keys in every state (docs/runs.md): ``steps`` and
    ``epochs`` done (``epoch_steps`` more into an unfinished epoch), the best validation loss, the
    number (from 1) of its epoch, the step it was measured at, and the seconds trained."""
    best = state.best_epoch >= 0
    return {"steps": state.step, "epochs": state.epoch, "epoch_steps": state.batch,
            "best_val_loss": state.best_val if best and math.isfinite(state.best_val) else None,
            "best_epoch": state.best_epoch + 1 if best else None, "best_step": state.best_step if best else None,
            "seconds": round(state.seconds, 3)}


class _Logs:
    """Per-epoch CSV rows (rewritten atomically; ``epoch`` numbered from 1) and per-step TensorBoard
    scalars (the event file is opened at the first scalar, so a call that logs nothing adds none)."""

    def __init__(self, run: Run, tensorboard: bool, step: int, epoch: int, trackers: Sequence[Any] = ()):
        self.run = run
        self.trackers = list(trackers)
        for t in self.trackers:
            t.start(run)
        self.rows: list[dict[str, Any]] = []
        if run.log_file.is_file():
            with open(run.log_file, newline="") as f:
                self.rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= epoch]
        self.tensorboard, self.purge_step = tensorboard, step or None
        self.writer = None

    def scalars(self, values: dict[str, float], step: int) -> None:
        if self.tensorboard and self.writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.run.tb_dir), purge_step=self.purge_step)
        if self.writer is not None:
            for k, v in values.items():
                self.writer.add_scalar(k, v, step)
        for t in self.trackers:
            t.scalars(values, step)

    def row(self, row: dict[str, Any]) -> None:
        self.rows = [r for r in self.rows if int(r["epoch"]) != row["epoch"]] + [row]
        keys = list(dict.fromkeys(k for r in self.rows for k in r))
        lines = [",".join(keys)] + [",".join(str(r.get(k, "")) for k in keys) for r in self.rows]
        write_text(self.run.log_file, "\n".join(lines) + "\n")
        self.scalars({k: float(v) for k, v in row.items() if k not in ("epoch", "step")}, row["step"])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _rng_state(ctx: TrainContext) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "hooks": ctx.generator.get_state()}
    if ctx.device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(ctx.device)
    return state


def _save(run: Run, which: str, ctx: TrainContext, config: RunConfig, optimizers, schedulers,
          scaler: _Precision | None = None) -> None:
    model = ctx.model
    save_torch(run.checkpoint_path(which), {
        "meta": {"model": config.model, "model_config": config.model_config.to_dict(),
                 "shape": list(model.shape), "value_range": getattr(ctx.data, "value_range", None)},
        "model": model.state_dict(),
        "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
        "schedulers": {k: s.state_dict() for k, s in schedulers.items()},
        "state": asdict(ctx.state),
        "sgd_index": ctx.sgd_index,
        "rng": _rng_state(ctx),
        "scaler": scaler.state_dict() if scaler else None,
    })


def _restore(ckpt: dict[str, Any], ctx: TrainContext, optimizers, schedulers) -> None:
    ctx.model.load_state_dict(ckpt["model"])
    for k, o in optimizers.items():
        o.load_state_dict(ckpt["optimizers"][k])
    for k, s in schedulers.items():
        s.load_state_dict(ckpt["schedulers"][k])
    ctx.state = TrainState(**ckpt["state"])
    ctx.sgd_index = ckpt["sgd_index"]
    torch.set_rng_state(ckpt["rng"]["torch"])
    ctx.generator.set_state(ckpt["rng"]["hooks"])
    if "cuda" in ckpt["rng"] and ctx.device.type == "cuda":
        torch.cuda.set_rng_state(ckpt["rng"]["cuda"], ctx.device)


def _check_finite(tracker: LossTracker, ctx: TrainContext, run: Run) -> None:
    """Raises :class:`TrainingDiverged` if a monitored loss entry was ever non-finite (reads the device once)."""
    bad = tracker.first_bad()
    if bad is None:
        return
    step, k, v = bad
    run.write_status("failed", error=f"{k} = {v} at step {step + 1}", **{**_summary(ctx.state), "steps": step})
    kept = run.checkpoint_path("latest")
    kept_msg = f"the last good checkpoint {kept} is kept" if kept.is_file() else "no checkpoint was written"
    raise TrainingDiverged(
        f"loss {k!r} became {v} at step {step + 1} (epoch {ctx.state.epoch + 1}); "
        f"{kept_msg}; lower the learning rate (train.lr=...) or check the data")


def _mark_failed(run: Run, error: Exception) -> None:
    """Records an unexpected stop (a full disk, a bug) in ``status.json``, so the run does not stay "running"."""
    try:
        run.write_status("failed", error=f"{type(error).__name__}: {' '.join(str(error).split())}"[:500])
    except OSError:
        pass


def _setup(config: RunConfig, run: Run, resume: bool, progress: bool):
    """Loads the data, builds the model, its optimisers and the hook context; restores a checkpoint."""
    tc, dc = config.train, config.data
    device = resolve_device(tc.device)
    if device.type == "cuda" and tc.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    data = load_dataset(dc.name, dc.root, split="train", download=dc.download, **dc.options)
    train_index, val_index = split_indices(len(data), dc.val_fraction, dc.split_seed, dc.subset)
    source = CachedImages(data, torch.cat([train_index, val_index]) if dc.cache else None,
                          limit_gib=dc.cache_gib, progress=progress,
                          device=device if dc.device_cache and device.type == "cuda" else None)

    check_training_memory(config.model, config.model_config, data.shape, data.value_range, device)
    torch.manual_seed(tc.seed)
    model = build_model(config.model, config.model_config, data.shape, data.value_range).to(device)
    layout = memory_layout(model, data.shape, tc.channels_last)
    model.to(memory_format=layout)
    objectives = model.objectives()
    optimizers = {k: OPTIMIZERS[o.optimizer](o.params, o.lr or tc.lr, o.betas, o.weight_decay)
                  for k, o in objectives.items()}
    schedulers = {k: make_scheduler(tc, optimizers[k]) for k, o in objectives.items()
                  if o.plateau and tc.schedule != "none"}
    ctx = TrainContext(model, data, train_index, val_index, train_index, tc, device,
                       torch.Generator().manual_seed(tc.seed + 1), TrainState(), source, layout,
                       recorded=run.status() if resume else {})
    model.on_train_start(ctx)
    scaler = _Precision(tc.amp, device)
    if resume and run.checkpoint_path("latest").is_file():
        ckpt = run.load_checkpoint("latest", map_location=device)
        _restore(ckpt, ctx, optimizers, schedulers)
        scaler.load_state_dict(ckpt.get("scaler"))
    if tc.compile:
        model.encoder.compile()
        model.decoder.compile()
    return ctx, objectives, optimizers, schedulers, scaler


class _Precision:
    """Autocast and loss scaling of ``train.amp`` (``None``: float32, both no-ops)."""

    def __init__(self, amp: str | None, device: torch.device):
        self.dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp) if amp else None
        self.device = device
        self.scaler = torch.amp.GradScaler(device.type) if self.dtype is torch.float16 else None

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.dtype) if self.dtype else nullcontext()

    def backward(self, loss: Tensor, **kwargs: Any) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward(**kwargs)

    def step(self, optimizers: dict[str, torch.optim.Optimizer]) -> None:
        for o in optimizers.values():
            self.scaler.step(o) if self.scaler else o.step()
        if self.scaler:
            self.scaler.update()

    def state_dict(self) -> dict[str, Any] | None:
        return self.scaler.state_dict() if self.scaler else None

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if self.scaler and state:
            self.scaler.load_state_dict(state)


class MilestoneFactor:
    """Learning-rate multiplier after ``epoch`` complete epochs: the product of the factors of the milestones passed."""

    def __init__(self, milestones: list[int], factors: list[float]):
        self.milestones, self.factors = list(milestones), list(factors)

    def __call__(self, epoch: int) -> float:
        return math.prod(f for m, f in zip(self.milestones, self.factors) if epoch >= m)


def make_scheduler(tc: TrainConfig, optimizer: torch.optim.Optimizer) -> Any:
    """The epoch-level scheduler of ``tc.schedule`` (``"plateau"`` or ``"milestones"``) for ``optimizer``."""
    if tc.schedule == "milestones":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, MilestoneFactor(tc.lr_milestones, tc.lr_factors))
    return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=tc.plateau_factor,
                                                      patience=tc.plateau_patience)


def _discard(run: Run, created: bool, keep_dir: bool) -> None:
    """Removes what a failed start wrote into a new run directory: its config and lock files."""
    if not run.path.is_dir() or any(p.name not in ("config.yaml", *LOCK_FILES) for p in run.path.iterdir()):
        return
    if created:
        run.config_file.unlink(missing_ok=True)
    if not run.exists():
        for name in LOCK_FILES:
            (run.path / name).unlink(missing_ok=True)
        if not keep_dir:
            run.path.rmdir()


def _check_budget(run: Run, tc: TrainConfig, state: TrainState) -> None:
    """Refuses a resumed budget below what the run has already trained (config and checkpoint would disagree)."""
    if tc.steps is not None and tc.steps < state.step:
        raise RunError(f"the run in {run.path} has already trained {state.step} steps; a budget of {tc.steps} "
                       f"steps would contradict its checkpoint -- give --steps {state.step} or more, or leave "
                       "the budget out to keep the stored one")
    done = state.epoch + (1 if state.batch > 0 else 0)
    if tc.steps is None and tc.epochs < done:
        what = f"{state.epoch} epochs" + (f" and {state.batch} steps of the next" if state.batch else "")
        raise RunError(f"the run in {run.path} has already trained {what}; a budget of {tc.epochs} epochs would "
                       f"contradict its checkpoint -- give --epochs {done} or more, or leave the budget out "
                       "to keep the stored one")


def train(
    config: RunConfig,
    out: str | Path,
    resume: bool = False,
    progress: bool = True,
    stop_at_step: int | None = None,
    on_step: Callable[[int, int], None] | None = None,
    trackers: Sequence[Any] = (),
) -> dict[str, Any]:
    """Trains ``config`` into the run directory ``out`` and returns the final status.

    The call holds the run directory's lock (``RUN/.lock``), so a second ``train`` into the same
    directory fails at once. A resume checks the stored config, the checkpoint and the budget
    before it writes anything, and a resume whose budget a finished run has already trained
    writes nothing at all. SIGINT (Ctrl-C) and SIGTERM stop at the next step boundary with the
    latest checkpoint saved, status ``interrupted`` and :class:`Interrupted`.

    Args:
        config: A resolved run config.
        out: Run directory; must be new unless ``resume``.
        resume: Continue the run in ``out`` from its latest checkpoint (start it if absent).
        progress: Show a progress bar.
        stop_at_step: Stop as if interrupted once this many steps are done (for tests).
        on_step: Called as ``on_step(steps_done, total_steps)`` after every step (progress of a
            sweep's worker); it must be cheap.
        trackers: Experiment trackers (:mod:`vaelab.tracking`) that receive every logged scalar;
            started here, finished by the caller.

    Returns:
        The fields of ``status.json`` and ``trained_steps``, the number of steps this call made.
    """
    run = Run(out)
    fresh = not (resume and run.exists())
    existed = run.path.exists()
    if fresh:
        run.check_new()
    else:
        run.check_config(config)
    held = created = started = False
    try:
        with run.locked():
            held = True
            if fresh:
                Run.create(run.path, config)
                created = True
            with flush_denormal(config.train.flush_denormal):
                ctx, objectives, optimizers, schedulers, precision = _setup(config, run, not fresh, progress)
                started = True
                return _train(config, run, fresh, ctx, objectives, optimizers, schedulers, precision, progress,
                              stop_at_step, on_step, trackers)
    except BaseException:
        if fresh and held and not started:
            _discard(run, created, keep_dir=existed)
        raise


def _train(config: RunConfig, run: Run, fresh: bool, ctx: TrainContext, objectives, optimizers, schedulers,
           precision: _Precision, progress: bool, stop_at_step: int | None,
           on_step: Callable[[int, int], None] | None, trackers: Sequence[Any]) -> dict[str, Any]:
    tc, dc, model, device, val_index = config.train, config.data, ctx.model, ctx.device, ctx.val_index
    state = ctx.state

    bs = tc.batch_size
    if bs > len(ctx.sgd_index):
        warnings.warn(VaelabWarning(f"batch_size={bs} is more than the {len(ctx.sgd_index)} training items; "
                                    "every step uses all of them"))
    per_epoch = max(1, len(ctx.sgd_index) // bs)
    total = tc.steps if tc.steps is not None else tc.epochs * per_epoch
    budget_done = lambda: (state.step >= tc.steps) if tc.steps is not None else (state.epoch >= tc.epochs)
    if not fresh:
        _check_budget(run, tc, state)
        if budget_done() and run.status().get("status") == "finished":
            return {**run.status(), "trained_steps": 0}
        run.update_config(config)
    first_step = state.step
    keys = list(dict.fromkeys(o.loss_key for o in objectives.values()))
    logs = _Logs(run, tc.tensorboard, state.step, state.epoch, trackers)
    run.write_status("running", device=str(device), num_parameters=sum(p.numel() for p in model.parameters()),
                     **model.summary(), **_summary(state))
    bar = tqdm(total=total, initial=min(state.step, total), disable=not progress, unit="step",
               desc=f"{config.model} on {dc.name}", dynamic_ncols=True, leave=False)
    started = time.perf_counter() - state.seconds

    tracker = LossTracker(state.sums, keys, device)
    save = lambda which: _save(run, which, ctx, config, optimizers, schedulers, precision)

    def sync() -> None:
        """Reads the device-side sums into the state and stops on a non-finite loss."""
        _check_finite(tracker, ctx, run)
        state.sums = tracker.sums()

    def finish_epoch(complete: bool) -> None:
        sync()
        train_means = {f"train/{k}": v / max(state.batch, 1) for k, v in state.sums.items()}
        val = evaluate_losses(model, ctx.batches(val_index), seed=tc.seed) if len(val_index) else {}
        val = {f"val/{k}": v for k, v in val.items()}
        key = model.monitor
        monitor = val.get(f"val/{key}", train_means.get(f"train/{key}", math.inf))
        extra = model.on_epoch_end(ctx) if complete else {}
        if complete:
            for s in schedulers.values():
                s.step(monitor) if isinstance(s, torch.optim.lr_scheduler.ReduceLROnPlateau) else s.step()
        lr = optimizers[next(iter(optimizers))].param_groups[0]["lr"]
        state.seconds = time.perf_counter() - started
        logs.row({"epoch": state.epoch + 1, "step": state.step, **train_means, **val, **extra, "lr": lr,
                  "seconds": round(state.seconds, 3)})
        improved = monitor < state.best_val or not model.select_best
        if improved:
            state.best_val, state.best_epoch, state.best_step = monitor, state.epoch, state.step
        if complete:
            state.epoch, state.batch, state.sums, state.epoch_started = state.epoch + 1, 0, {}, False
            tracker.reset()
        if improved:
            save("best")
        save("latest")
        bar.set_postfix({k.split("/")[-1]: f"{v:.4g}" for k, v in (val or train_means).items()
                         if k.endswith(("loss", "recon"))})

    def step(x: Tensor) -> None:
        model.on_step_start(ctx)
        with precision.autocast():
            losses = model.loss(x)
        for o in optimizers.values():
            o.zero_grad(set_to_none=True)
        if len(objectives) == 1:
            precision.backward(losses[keys[0]])
        else:
            for i, o in enumerate(objectives.values()):
                precision.backward(losses[o.loss_key], inputs=o.params, retain_graph=i < len(objectives) - 1)
        precision.step(optimizers)
        tracker.add(losses, state.step)
        model.on_step_end(ctx, {k: v.detach() for k, v in losses.items()})

    with _stop_on_signals() as flag:
        try:
            while not budget_done():
                if not state.epoch_started:
                    model.on_epoch_start(ctx)
                    state.epoch_started = True
                order = ctx.sgd_index[epoch_order(len(ctx.sgd_index), tc.seed, state.epoch)]
                n_batches = max(1, len(order) // bs)
                last = n_batches if tc.steps is None else min(n_batches, state.batch + tc.steps - state.step)
                model.train()
                makers = (lambda b=b: ctx.images(order[b * bs : (b + 1) * bs]) for b in range(state.batch, last))
                for x in prefetched(makers, device.type == "cuda" if tc.prefetch is None else tc.prefetch):
                    if flag["stop"] or state.step == stop_at_step:
                        sync()
                        state.seconds = time.perf_counter() - started
                        save("latest")
                        run.write_status("interrupted", **_summary(state))
                        signum = flag["stop"] or signal.SIGINT
                        raise Interrupted(f"{_SIGNALS[signum]}: stopped at step {state.step} with the checkpoint "
                                          f"saved; continue with: vaelab train --out {run.path} --resume", signum)
                    step(x)
                    state.step += 1
                    state.batch += 1
                    if state.step % tc.log_every == 0:
                        sync()
                        logs.scalars({f"train/{k}": float(v) for k, v in tracker.latest.items()}, state.step)
                    if tc.checkpoint_every and state.step % tc.checkpoint_every == 0:
                        sync()
                        state.seconds = time.perf_counter() - started
                        save("latest")
                    bar.update(1)
                    if on_step is not None:
                        on_step(state.step, total)
                finish_epoch(complete=state.batch >= n_batches)
        except Exception as e:
            if not isinstance(e, (Interrupted, TrainingDiverged)):
                _mark_failed(run, e)
            raise
        finally:
            bar.close()
            logs.close()

    run.write_status("finished", **_summary(state))
    return {**run.status(), "trained_steps": state.step - first_step}
