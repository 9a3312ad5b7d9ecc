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

import csv
import math
import signal
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import Tensor
from tqdm.auto import tqdm

from vaelab.config import RunConfig, TrainConfig
from vaelab.data import Dataset, load_dataset, split_indices
from vaelab.data.cache import CachedImages
from vaelab.errors import RunError, TrainingDiverged, VaelabError, VaelabWarning
from vaelab.io import save_torch, write_text
from vaelab.memory import check_training_memory
from vaelab.models import Model, build_model
from vaelab.runs import LOCK_FILES, Run

__all__ = ["TrainState", "TrainContext", "Interrupted", "train", "resolve_device", "evaluate_losses", "make_scheduler",
           "MilestoneFactor"]


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

    def images(self, index: Tensor) -> Tensor:
        """Returns the observations at ``index`` on the training device."""
        return self.source.images(index).to(self.device, non_blocking=True)

    def batches(self, index: Tensor, batch_size: int | None = None) -> Iterator[Tensor]:
        """Yields the observations at ``index`` in batches on the training device."""
        bs = batch_size or self.config.eval_batch_size
        for i in range(0, len(index), bs):
            yield self.images(index[i : i + bs])


def resolve_device(name: str) -> torch.device:
    """Maps ``auto`` / ``cpu`` / ``cuda`` to a device, with a clear error when CUDA is absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("device cuda was asked for but PyTorch sees no GPU; use --device cpu or auto")
    return torch.device(name)


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

    def __init__(self, run: Run, tensorboard: bool, step: int, epoch: int):
        self.run = run
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


def _save(run: Run, which: str, ctx: TrainContext, config: RunConfig, optimizers, schedulers) -> None:
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


def _check_finite(losses: dict[str, Tensor], keys: list[str], ctx: TrainContext, run: Run) -> None:
    for k in keys:
        v = losses[k].detach()
        if not bool(torch.isfinite(v)):
            run.write_status("failed", error=f"{k} = {float(v)} at step {ctx.state.step + 1}", **_summary(ctx.state))
            kept = run.checkpoint_path("latest")
            kept_msg = f"the last good checkpoint {kept} is kept" if kept.is_file() else "no checkpoint was written"
            raise TrainingDiverged(
                f"loss {k!r} became {float(v)} at step {ctx.state.step + 1} (epoch {ctx.state.epoch + 1}); "
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
    data = load_dataset(dc.name, dc.root, split="train", download=dc.download, **dc.options)
    train_index, val_index = split_indices(len(data), dc.val_fraction, dc.split_seed, dc.subset)
    source = CachedImages(data, torch.cat([train_index, val_index]) if dc.cache else None,
                          limit_gib=dc.cache_gib, progress=progress)

    check_training_memory(config.model, config.model_config, data.shape, data.value_range, device)
    torch.manual_seed(tc.seed)
    model = build_model(config.model, config.model_config, data.shape, data.value_range).to(device)
    objectives = model.objectives()
    optimizers = {k: torch.optim.Adam(o.params, lr=o.lr or tc.lr, betas=o.betas, weight_decay=o.weight_decay)
                  for k, o in objectives.items()}
    schedulers = {k: make_scheduler(tc, optimizers[k]) for k, o in objectives.items()
                  if o.plateau and tc.schedule != "none"}
    ctx = TrainContext(model, data, train_index, val_index, train_index, tc, device,
                       torch.Generator().manual_seed(tc.seed + 1), TrainState(), source)
    model.on_train_start(ctx)
    if resume and run.checkpoint_path("latest").is_file():
        _restore(run.load_checkpoint("latest", map_location=device), ctx, optimizers, schedulers)
    return ctx, objectives, optimizers, schedulers


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
            ctx, objectives, optimizers, schedulers = _setup(config, run, not fresh, progress)
            started = True
            return _train(config, run, fresh, ctx, objectives, optimizers, schedulers, progress, stop_at_step)
    except BaseException:
        if fresh and held and not started:
            _discard(run, created, keep_dir=existed)
        raise


def _train(config: RunConfig, run: Run, fresh: bool, ctx: TrainContext, objectives, optimizers, schedulers,
           progress: bool, stop_at_step: int | None) -> dict[str, Any]:
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
    logs = _Logs(run, tc.tensorboard, state.step, state.epoch)
    run.write_status("running", device=str(device), num_parameters=sum(p.numel() for p in model.parameters()),
                     **model.summary(), **_summary(state))
    bar = tqdm(total=total, initial=min(state.step, total), disable=not progress, unit="step",
               desc=f"{config.model} on {dc.name}", dynamic_ncols=True, leave=False)
    started = time.perf_counter() - state.seconds

    def finish_epoch(complete: bool) -> None:
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
        improved = monitor < state.best_val
        if improved:
            state.best_val, state.best_epoch, state.best_step = monitor, state.epoch, state.step
        if complete:
            state.epoch, state.batch, state.sums, state.epoch_started = state.epoch + 1, 0, {}, False
        if improved:
            _save(run, "best", ctx, config, optimizers, schedulers)
        _save(run, "latest", ctx, config, optimizers, schedulers)
        bar.set_postfix({k.split("/")[-1]: f"{v:.4g}" for k, v in (val or train_means).items()
                         if k.endswith(("loss", "recon"))})

    with _stop_on_signals() as flag:
        try:
            while not budget_done():
                if not state.epoch_started:
                    model.on_epoch_start(ctx)
                    state.epoch_started = True
                order = ctx.sgd_index[epoch_order(len(ctx.sgd_index), tc.seed, state.epoch)]
                n_batches = max(1, len(order) // bs)
                model.train()
                while state.batch < n_batches and not (tc.steps is not None and state.step >= tc.steps):
                    if flag["stop"] or state.step == stop_at_step:
                        state.seconds = time.perf_counter() - started
                        _save(run, "latest", ctx, config, optimizers, schedulers)
                        run.write_status("interrupted", **_summary(state))
                        signum = flag["stop"] or signal.SIGINT
                        raise Interrupted(f"{_SIGNALS[signum]}: stopped at step {state.step} with the checkpoint "
                                          f"saved; continue with: vaelab train --out {run.path} --resume", signum)
                    x = ctx.images(order[state.batch * bs : (state.batch + 1) * bs])
                    model.on_step_start(ctx)
                    losses = model.loss(x)
                    _check_finite(losses, keys, ctx, run)
                    for o in optimizers.values():
                        o.zero_grad(set_to_none=True)
                    if len(objectives) == 1:
                        losses[keys[0]].backward()
                    else:
                        for i, o in enumerate(objectives.values()):
                            losses[o.loss_key].backward(inputs=o.params, retain_graph=i < len(objectives) - 1)
                    for o in optimizers.values():
                        o.step()
                    state.step += 1
                    state.batch += 1
                    detached = {k: float(v.detach()) for k, v in losses.items()}
                    for k, v in detached.items():
                        state.sums[k] = state.sums.get(k, 0.0) + v
                    if state.step % tc.log_every == 0:
                        logs.scalars({f"train/{k}": v for k, v in detached.items()}, state.step)
                    if tc.checkpoint_every and state.step % tc.checkpoint_every == 0:
                        state.seconds = time.perf_counter() - started
                        _save(run, "latest", ctx, config, optimizers, schedulers)
                    bar.update(1)
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
