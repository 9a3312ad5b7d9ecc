"""The Python API: train, load, evaluate and export from a notebook, as the CLI does.

Four free functions over the run directory, which stays the single source of truth:

- :func:`fit` trains a model on a registered dataset, a path (folder of images, ``.npy`` /
  ``.npz``, HDF5), a NumPy array, a tensor or a ``torch.utils.data.Dataset`` and returns the
  :class:`~vaelab.runs.Run`; in-memory data is validated and stored in ``RUN/data.npz``, so
  the run describes itself and resumes exactly.
- :func:`load` gives back a :class:`TrainedModel` from a run (or an export): ``encode``,
  ``decode``, ``reconstruct``, ``sample``, ``active_axes``, ``relevance``.
- :func:`evaluate` computes metric groups and returns what ``RUN/metrics.json`` holds.
- :func:`export` writes the weights as safetensors plus a JSON config that :func:`load` reads
  without the checkpoint's pickle format.

Example:
    >>> import numpy as np, vaelab
    >>> x = np.random.default_rng(0).random((500, 8, 8), dtype=np.float32)
    >>> run = vaelab.fit("ard_vae", x, "runs/demo", steps=100, latent_dim=8, alpha_size=100)  # doctest: +SKIP
    >>> model = vaelab.load(run)  # doctest: +SKIP
    >>> model.encode(x[:4]).shape  # doctest: +SKIP
    torch.Size([4, 8])
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch import Tensor

from vaelab.config import build_config
from vaelab.data import load_dataset, split_indices
from vaelab.data.own import OWN, as_images
from vaelab.errors import ConfigError, DataError, RunError
from vaelab.io import atomic_path, write_json
from vaelab.models import Model, build_model, model_class
from vaelab.runs import Run
from vaelab.samplers import Sampler, default_sampler_name, make_sampler, run_sampler
from vaelab.tracking import make_trackers
from vaelab.train import resolve_device, train

__all__ = ["fit", "load", "evaluate", "export", "TrainedModel", "Relevance", "heldout_images", "EXPORT_FORMAT"]

DATA_FILE = Run.data_file_name
EXPORT_FORMAT = "vaelab-safetensors-1"
_FLAGS = ("epochs", "steps", "subset", "batch_size", "seed", "device", "data_root")
_BATCH = 500


def _materialise(data: Any, labels: Any) -> tuple[Any, Any]:
    """A ``torch.utils.data.Dataset`` of images or (image, label) pairs as two arrays."""
    if not isinstance(data, torch.utils.data.Dataset) or isinstance(data, torch.utils.data.IterableDataset):
        return data, labels
    try:
        n = len(data)  # type: ignore[arg-type]
    except TypeError:
        raise DataError("the torch Dataset has no len(); give a map-style Dataset or an array") from None
    if n == 0:
        raise DataError("the torch Dataset is empty")
    items = [data[i] for i in range(n)]
    paired = isinstance(items[0], (tuple, list))
    if paired and len(items[0]) != 2:
        raise DataError(f"a Dataset item is a tuple of {len(items[0])}; expected an image or (image, label)")
    images = [torch.as_tensor(np.asarray(it[0] if paired else it)) for it in items]
    if len({tuple(x.shape) for x in images}) > 1:
        raise DataError("the Dataset's images differ in shape; resize them to one size first")
    if paired:
        if labels is not None:
            raise DataError("the Dataset yields (image, label) pairs; drop the labels argument")
        labels = np.asarray([int(it[1]) for it in items])
    return torch.stack(images), labels


def _store_array(data: Any, labels: Any, out: Path, value_range: Any, layout: str | None) -> dict[str, Any]:
    """Validates in-memory data, writes ``out/data.npz`` atomically and returns its data options."""
    images, vr = as_images(data, "the data array", value_range, layout)
    arrays = {"images": images.numpy()}
    if labels is not None:
        y = np.asarray(labels.cpu() if isinstance(labels, Tensor) else labels).reshape(-1)
        if len(y) != len(images) or not np.issubdtype(y.dtype, np.integer) or (len(y) and y.min() < 0):
            raise DataError(f"labels must be {len(images)} non-negative integers, one per item; "
                            f"got shape {y.shape} of {y.dtype}")
        arrays["labels"] = y.astype(np.int64)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / DATA_FILE) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    options: dict[str, Any] = {"layout": "nchw"} if images.ndim == 4 else {}
    if images.dtype != torch.uint8 and vr is not None:
        options["value_range"] = list(vr)
    return options


def _overrides(settings: dict[str, Any]) -> list[str]:
    return [f"{k}={json.dumps(v)}" for k, v in settings.items()]


def fit(
    model: str | None = None,
    data: Any = None,
    out: str | Path | None = None,
    *,
    labels: Any = None,
    data_options: dict[str, Any] | None = None,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    resume: bool = False,
    loggers: Sequence[str] = (),
    figures: bool = True,
    progress: bool = False,
    **settings: Any,
) -> Run:
    """Trains ``model`` on ``data`` into the run directory ``out`` and returns the run.

    Args:
        model: A registered model name (``"ard_vae"``, ``"vae"``, ...; see ``vaelab models``).
        data: A registered dataset name, a path (folder of images, ``.npy`` / ``.npz``, ``.h5``),
            a NumPy array or tensor ``(N, H, W)``, ``(N, H, W, C)``, ``(N, C, H, W)`` or ``(N, D)``,
            or a ``torch.utils.data.Dataset`` yielding images or ``(image, label)`` pairs.
            ``None`` when resuming (the run's own data).
        out: The run directory; new unless ``resume``.
        labels: Class labels of in-memory data (for the downstream metrics).
        data_options: ``data.options`` (``value_range``, ``size``, ``channels``, ``key``, ...).
        config: A YAML config file, as ``vaelab train --config``.
        overrides: ``key=value`` strings, as on the command line.
        resume: Continue the run in ``out`` from its latest checkpoint.
        loggers: Extra trackers: ``"wandb"``, ``"mlflow"`` (optional extras).
        figures: Write the standard figures into ``RUN/figures`` after training.
        progress: Show a progress bar.
        settings: Budget and config fields: ``steps``, ``epochs``, ``subset``, ``batch_size``,
            ``seed``, ``device``, and any model / train / data key (``beta=4``, ``lr=1e-3``).

    Returns:
        The :class:`~vaelab.runs.Run`; ``run.status()`` holds the training summary and
        ``run.trained_steps`` the steps this call trained (0: the run was already finished, and
        nothing was trained or written).
    """
    if out is None:
        raise ConfigError("fit needs out=, the run directory to create")
    out = Path(out)
    run = Run(out)
    resuming = resume and run.exists()
    existed = out.exists()
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    flags = {k: settings.pop(k) for k in _FLAGS if k in settings}
    options = dict(data_options or {})
    in_memory = data is not None and not isinstance(data, (str, Path))
    if labels is not None and not in_memory:
        if not isinstance(labels, (str, Path)):
            raise DataError("with data given as a path, labels= names a labels file (or an array of the data "
                            "file); give in-memory labels together with in-memory data")
        options.setdefault("labels", str(labels))
    if in_memory:
        data, labels = _materialise(data, labels)
        if resuming:
            stored = load_dataset(OWN, out / DATA_FILE, **run.config().data.options)
            given, _ = as_images(data, "the data array", options.get("value_range"), options.get("layout"))
            if stored.data.shape != given.shape or not torch.equal(stored.data, given.to(stored.data.dtype)):
                raise DataError(f"the data differ from those the run in {out} was trained on; "
                                f"resume without data= or train a new run")
            data = None
        else:
            if out.exists() and (not out.is_dir() or any(out.iterdir())):
                raise RunError(f"run directory {out} already exists; pass resume=True to continue it, "
                               f"or choose another out")
            options = {**_store_array(data, labels, out, options.get("value_range"), options.get("layout")),
                       **{k: v for k, v in options.items() if k not in ("value_range", "layout")}}
            data = str((out / DATA_FILE).resolve())
    try:
        base = run.config().to_dict() if resuming else None
        dataset = None if data is None else str(data)
        if options:
            overrides = [*overrides, *(f"data.options.{k}={json.dumps(v)}" for k, v in options.items())]
        cfg = build_config(base=base, file=config, overrides=[*overrides, *_overrides(settings)], model=model,
                           dataset=dataset, **flags)
        trackers = make_trackers(loggers)
        try:
            run.trained_steps = train(cfg, out, resume=resume, progress=progress, trackers=trackers)["trained_steps"]
            if run.trained_steps == 0:  # an already finished run: nothing is trained or written
                return run
            sampler = default_sampler_name(model_class(cfg.model))
            if sampler != "prior":
                run_sampler(run, sampler, run.load_model("best"))
            written = []
            if figures:
                from vaelab.viz import write_run_figures

                written = write_run_figures(run)
                run.write_status(run.status()["status"], figures=[str(p) for p in written])
            for t in trackers:
                t.log_figures(written)
        finally:
            for t in trackers:
                t.finish()
    except BaseException:
        if not resuming:
            _discard_start(out, before, existed)
        raise
    return run


def _discard_start(out: Path, before: set[str], existed: bool) -> None:
    """Removes what a fresh run wrote before its training started (its data file, config, tracker
    files), keeping anything that was there before and every run that began training."""
    run = Run(out)
    if not out.is_dir() or run.checkpoint_dir.exists() or run.status_file.exists():
        return
    for p in out.iterdir():
        if p.name not in before:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    if not existed and not any(out.iterdir()):
        out.rmdir()


def heldout_images(run: Run, n: int | None, seed: int = 0) -> tuple[Any, Tensor]:
    """A run's dataset and (a seeded random subset of at most ``n`` of) its validation images
    (every item when the run holds none out)."""
    cfg = run.config()
    data = load_dataset(cfg.data.name, cfg.data.root, download=False, **cfg.data.options)
    _, val = split_indices(len(data), cfg.data.val_fraction, cfg.data.split_seed, cfg.data.subset)
    pool = val if len(val) else torch.arange(len(data))
    pick = pool[torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))[:n]]
    return data, data.images(pick)


@dataclass
class Relevance:
    """Relevance scores of the latent axes (ARD-VAE Eq. 19-20) and the active axes.

    Attributes:
        scores: ``(L,)`` relevance of each axis.
        active: The active axes, most relevant first (they explain ``fraction`` of the total).
        variance: The per-axis variance that weights the Jacobian terms.
        reading: ``"code"`` or ``"paper"`` Jacobian weight (see :func:`vaelab.metrics.latent.decoder_jacobian_weights`).
        fraction: Share of the total relevance the active axes explain.
        num_codes: Held-out codes used.
    """

    scores: Tensor
    active: list[int]
    variance: Tensor
    reading: str
    fraction: float
    num_codes: int

    def plot(self, path: str | Path, title: str = "relevance") -> Path:
        """Writes the bar chart and cumulative share of ARD-VAE Fig. 1a to ``path`` (PNG)."""
        from vaelab.viz import plot_relevance

        return plot_relevance(self.scores, self.active, path, title=title)


RELEVANCE_VARIANCE_CODES = 10_000


class TrainedModel:
    """A trained model in evaluation mode on one device, taking arrays or tensors.

    Inputs are ``(N, *shape)`` (a single item of ``shape`` also works); ``(N, H, W)`` and
    channels-last ``(N, H, W, C)`` images are accepted too, and ``uint8`` values are mapped to
    the model's value range. Outputs are CPU tensors.

    Attributes:
        model: The :class:`~vaelab.models.base.Model`.
        run: Its run directory (``None`` for a model loaded from an export).
        name: The registered model name.
        value_range: The data's value range.
    """

    def __init__(self, model: Model, name: str, value_range: tuple[float, float] | None, run: Run | None = None,
                 checkpoint: str = "best", sampler: Sampler | None = None):
        self.model = model.eval()
        self.name = name
        self.value_range = value_range
        self.run = run
        self.checkpoint = checkpoint
        self._sampler = sampler

    def __repr__(self) -> str:
        where = f"run={str(self.run.path)!r}" if self.run else "exported"
        return (f"TrainedModel({self.name}, latent_dim={self.latent_dim}, shape={self.shape}, "
                f"device={self.device}, {where})")

    shape = property(lambda self: self.model.shape)
    latent_dim = property(lambda self: self.model.latent_dim)
    device = property(lambda self: self.model.device)

    def _inputs(self, x: Any) -> Tensor:
        t = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x)
        shape = tuple(self.shape)
        if tuple(t.shape) == shape or (len(shape) == 3 and shape[0] == 1 and tuple(t.shape) == shape[1:]):
            t = t.reshape(1, *shape)
        elif len(shape) == 3 and t.ndim == 3 and shape[0] == 1 and tuple(t.shape[1:]) == shape[1:]:
            t = t[:, None]
        elif len(shape) == 3 and t.ndim == 4 and tuple(t.shape[1:]) == (shape[1], shape[2], shape[0]):
            t = t.permute(0, 3, 1, 2)
        if tuple(t.shape[1:]) != shape:
            raise DataError(f"inputs of shape {tuple(t.shape)} do not fit the model's items {shape}; "
                            f"give (N, {', '.join(map(str, shape))})")
        if t.dtype == torch.uint8:
            lo, hi = self.value_range or (0.0, 1.0)
            return t.float() * ((hi - lo) / 255.0) + lo
        return t.float()

    @torch.no_grad()
    def _batched(self, fn, x: Tensor) -> Tensor:
        outs = [fn(x[i : i + _BATCH].to(self.device)).cpu() for i in range(0, len(x), _BATCH)]
        return torch.cat(outs) if outs else fn(x.to(self.device)).cpu()

    def encode(self, x: Any) -> Tensor:
        """``(N, L)`` codes of ``x`` (the posterior means for Gaussian encoders)."""
        return self._batched(self.model.encode, self._inputs(x))

    def decode(self, z: Any) -> Tensor:
        """The decoder's mean in data space for ``(N, L)`` codes."""
        z = torch.as_tensor(np.asarray(z) if not isinstance(z, Tensor) else z, dtype=torch.float32)
        z = z.reshape(1, -1) if z.ndim == 1 else z
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise DataError(f"codes of shape {tuple(z.shape)}; expected (N, {self.latent_dim})")
        return self._batched(self.model.decode, z)

    def reconstruct(self, x: Any) -> Tensor:
        """``decode(encode(x))``."""
        return self._batched(self.model.reconstruct, self._inputs(x))

    def sampler(self, name: str | None = None) -> Sampler:
        """The latent sampler ``name`` (default: the model's own; fitted from the run's training codes
        and saved in ``RUN/samplers`` on first use)."""
        name = name or default_sampler_name(self.model)
        if self.run is not None:
            return run_sampler(self.run, name, self.model, self.checkpoint)
        sampler = make_sampler(name, self.model)
        if not sampler.needs_fit:
            return sampler
        if self._sampler is not None and type(self._sampler) is type(sampler):
            return self._sampler
        raise RunError(f"this exported model carries no fitted {name} sampler; export the run after "
                       f"fitting it, or load the run directory")

    @torch.no_grad()
    def sample(self, n: int, sampler: str | None = None, generator: torch.Generator | int | None = None) -> Tensor:
        """``n`` generated items (decoded codes from ``sampler``); ``generator`` may be a seed."""
        if n < 1:
            raise ConfigError(f"n must be at least 1, got {n}")
        if isinstance(generator, int):
            generator = torch.Generator(device=self.device).manual_seed(generator)
        z = self.sampler(sampler).sample(n, generator)
        return self.model.decode(z.to(self.device, torch.float32)).cpu()

    @property
    def active_axes(self) -> list[int]:
        """The active axes: the ARD-VAE's own (recomputed every epoch, ARD-VAE Section 3.4);
        for other models those of :meth:`relevance` on held-out data."""
        axes = self.model.evaluation_axes()
        if axes is not None:
            return axes.tolist()
        return self.relevance().active

    def relevance(self, x: Any = None, fraction: float | None = None, reading: str | None = None,
                  num_samples: int = 100, seed: int = 0) -> Relevance:
        """Relevance of each axis (ARD-VAE Eq. 19-20) from ``x`` or the run's held-out items.

        The score of axis ``l`` is its decoder-Jacobian weight over ``num_samples`` codes times a
        variance: the prior variance ``b/a`` for the ARD-VAE, otherwise the uncentred second moment
        of (up to 10,000) held-out codes (ARD-VAE supp. Table 13). ``fraction`` and ``reading``
        default to the ARD-VAE's settings (0.99 and ``"code"`` for other models).
        """
        from vaelab.metrics.latent import active_dimensions, relevance_scores
        from vaelab.models import ARDVAE

        if num_samples < 1:
            raise ConfigError(f"num_samples must be at least 1, got {num_samples}")
        ard = isinstance(self.model, ARDVAE)
        reading = reading or (self.model.config.relevance_reading if ard else "code")
        fraction = fraction if fraction is not None else (self.model.config.active_fraction if ard else 0.99)
        if x is None:
            if self.run is None:
                raise DataError("an exported model has no data of its own; pass x= (held-out items)")
            _, x = heldout_images(self.run, num_samples if ard else max(num_samples, RELEVANCE_VARIANCE_CODES), seed)
        codes = self.encode(x).to(self.device)
        variance = self.model.relevance_variance(codes)
        scores = relevance_scores(self.model.decode, codes, variance=variance, reading=reading,
                                  num_jacobian=num_samples).cpu()
        return Relevance(scores, active_dimensions(scores, fraction).tolist(), variance.cpu(), reading, fraction,
                         len(codes))


def _export_dir(path: Path) -> bool:
    return (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def load(run_dir: str | Path | Run, checkpoint: str = "best", device: str | torch.device = "cpu") -> TrainedModel:
    """Loads a trained model from a run directory (checkpoint ``best`` or ``latest``) or from an
    export written by :func:`export`, on ``device`` (``"cpu"``, ``"cuda"``, ``"auto"``)."""
    path = run_dir.path if isinstance(run_dir, Run) else Path(run_dir)
    device = resolve_device(device) if isinstance(device, str) else device
    if not (path / "config.yaml").is_file() and _export_dir(path):
        return _load_export(path, device)
    run = Run.open(path)
    model = run.load_model(checkpoint, device)
    vr = run.load_checkpoint(checkpoint)["meta"].get("value_range")
    return TrainedModel(model, run.config().model, None if vr is None else tuple(vr), run, checkpoint)


def evaluate(run_or_model: str | Path | Run | TrainedModel, metrics: Iterable[str] | None = None,
             **options: Any) -> dict[str, Any]:
    """Computes metric groups for a run and returns the contents of ``RUN/metrics.json``.

    Args:
        run_or_model: A run directory, :class:`~vaelab.runs.Run` or a :class:`TrainedModel` loaded from one.
        metrics: Group names (``reconstruction``, ``latent``, ``generative``, ``mig``, ...); all that apply
            when ``None``.
        options: ``num_samples``, ``seed``, ``checkpoint``, ``device``, ``progress``, ``sampler``, ``all_axes``
            (see :func:`vaelab.evaluate.evaluate_run`).
    """
    from vaelab.evaluate import evaluate_run

    if isinstance(run_or_model, TrainedModel):
        if run_or_model.run is None:
            raise RunError("an exported model has no run directory to evaluate; evaluate the run it came from")
        options.setdefault("checkpoint", run_or_model.checkpoint)
        options.setdefault("device", run_or_model.device)
        run_or_model = run_or_model.run
    path = run_or_model.path if isinstance(run_or_model, Run) else Path(run_or_model)
    options.setdefault("progress", False)
    if isinstance(options.get("device"), str):
        options["device"] = resolve_device(options["device"])
    return evaluate_run(path, None if metrics is None else list(metrics), **options)


def _tensors(module: torch.nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def export(run_dir: str | Path | Run, out: str | Path | None = None, checkpoint: str = "best",
           format: str = "safetensors") -> Path:
    """Writes a run's weights as ``model.safetensors`` and a ``config.json`` that :func:`load` reads
    without PyTorch's pickle format; the model's fitted default sampler (RAE, VCAE) goes in
    ``sampler.safetensors``. Refuses to write into an existing export.

    Args:
        run_dir: The run.
        out: The export directory (default ``RUN/export``).
        checkpoint: ``best`` or ``latest``.
        format: ``"safetensors"`` (the only one).

    Returns:
        The export directory.
    """
    from safetensors.torch import save_file

    if format != "safetensors":
        raise ConfigError(f"unknown export format {format!r}; use safetensors")
    run = run_dir if isinstance(run_dir, Run) else Run.open(run_dir)
    out = Path(out) if out is not None else run.path / "export"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunError(f"export directory {out} already exists; choose another --out or move it away")
    trained = load(run, checkpoint)
    model = trained.model
    config: dict[str, Any] = {
        "format": EXPORT_FORMAT, "model": trained.name, "model_config": model.config.to_dict(),
        "shape": list(model.shape), "value_range": None if trained.value_range is None else list(trained.value_range),
        "checkpoint": checkpoint, "run": str(run.path.resolve()), "data": run.config().to_dict()["data"],
    }
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "model.safetensors") as tmp:
        save_file(_tensors(model), str(tmp))
    name = default_sampler_name(model)
    if make_sampler(name, model).needs_fit:
        sampler = trained.sampler(name)
        from vaelab.samplers import SAMPLERS

        kind = next(k for k, v in SAMPLERS.items() if type(sampler) is v)
        with atomic_path(out / "sampler.safetensors") as tmp:
            save_file(_tensors(sampler), str(tmp))
        config["sampler"] = {"name": kind, "options": sampler.options()}
    write_json(out / "config.json", config)
    return out


def _load_export(path: Path, device: torch.device) -> TrainedModel:
    from safetensors.torch import load_file

    try:
        config = json.loads((path / "config.json").read_text())
    except json.JSONDecodeError:
        raise RunError(f"{path / 'config.json'} is corrupt (not valid JSON); export the run again") from None
    if not isinstance(config, dict) or config.get("format") != EXPORT_FORMAT:
        raise RunError(f"{path} is not a vaelab export (format {EXPORT_FORMAT}); export the run again")
    try:
        vr = None if config["value_range"] is None else tuple(config["value_range"])
        model = build_model(config["model"], dict(config["model_config"]), tuple(config["shape"]), vr)
        model.load_state_dict(load_file(str(path / "model.safetensors")))
        sampler = None
        if "sampler" in config:
            from vaelab.samplers import SAMPLERS

            spec = config["sampler"]
            sampler = SAMPLERS[spec["name"]](model.latent_dim, **spec["options"])
            sampler.load_state_dict(load_file(str(path / "sampler.safetensors")))
            sampler.attach(model)
    except (KeyError, RuntimeError, TypeError, ValueError) as e:
        raise RunError(f"export {path} does not match its model ({type(e).__name__}: {e}); export the run again") \
            from None
    return TrainedModel(model.to(device), config["model"], vr, None, config.get("checkpoint", "best"), sampler)
