"""Run configuration: plain dataclasses, YAML round trip and ``key=value`` overrides.

A run is described by three sections plus the model's own config dataclass::

    model: {name: vae, latent_dim: 6, architecture: dsprites, likelihood: bernoulli, beta: 1.0}
    data:  {name: dsprites, subset: 20000, val_fraction: 0.1, ...}
    train: {epochs: 5, batch_size: 100, lr: 0.0005, seed: 0, ...}

Overrides name a field as ``section.key=value`` or just ``key=value`` when the key is
unambiguous; values are parsed as YAML and coerced to the field's annotated type.
There is no global configuration: a resolved :class:`RunConfig` is all a run depends on.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from vaelab.errors import ConfigError, check_seed, user_input
from vaelab.io import read_text
from vaelab.models import ModelConfig, model_class
from vaelab.models.base import check_range

__all__ = [
    "DATASET_DEFAULTS",
    "DataConfig",
    "TrainConfig",
    "RunConfig",
    "apply_overrides",
    "load_config_file",
    "build_config",
    "resolve_own_data",
]

DATASET_DEFAULTS: dict[str, dict[str, Any]] = {
    # AVAE Table IX and appendix: dSprites decoder outputs logits (Bernoulli), 35 epochs.
    "dsprites": {"architecture": "dsprites", "latent_dim": 6, "likelihood": "bernoulli", "epochs": 35},
    # AVAE Table IX and appendix: 3D Shapes decoder ends in a sigmoid, 60 epochs.
    "shapes3d": {"architecture": "dsprites", "latent_dim": 6, "likelihood": "gaussian", "epochs": 60},
    # AVAE Table VIII and appendix (50 epochs; 100 for VAE / beta-TCVAE on MNIST).
    "mnist": {"architecture": "mnist", "latent_dim": 16, "likelihood": "gaussian", "epochs": 50},
    "digits": {"architecture": "mnist", "latent_dim": 16, "likelihood": "gaussian", "epochs": 50},
    "celeba": {"architecture": "celeba", "latent_dim": 64, "likelihood": "gaussian", "epochs": 50},
    "cifar10": {"architecture": "cifar10", "latent_dim": 128, "likelihood": "gaussian", "epochs": 100},
    # ARD-VAE Section 4 and supp. Table 4: the CIFAR10 network, L = 256, 50 epochs.
    "imagenet32": {"architecture": "cifar10", "latent_dim": 256, "likelihood": "gaussian", "epochs": 50},
    # VCAE Section 6.1: 2-D latent for the four-Gaussian toy.
    "mog": {"architecture": "mlp", "latent_dim": 2, "likelihood": "gaussian", "epochs": 50},
    # Own data: the network is picked by input size (vaelab.data.own.own_defaults).
    "own": {"epochs": 50},
}

DEVICES = ("auto", "cpu", "cuda")
SCHEDULES = ("plateau", "none", "milestones")
AMP_DTYPES = ("bf16", "fp16")


@dataclass
class DataConfig:
    """Which data a run trains on.

    Attributes:
        name: Dataset name (see :data:`vaelab.data.DATASETS`).
        root: Local path of the data files (procedural datasets need none).
        subset: Train on only this many items of the training split (quick runs).
        val_fraction: Fraction of the data held out for validation.
        split_seed: Seed of the fixed train / validation permutation.
        download: Fetch missing files where the source allows it.
        cache: Keep the training and validation items in memory (uint8) when they fit in
            ``cache_gib``; procedural datasets then render each item once.
        cache_gib: Memory limit of that cache in GiB.
        device_cache: On a GPU, keep that cache in GPU memory when it fits in a quarter of
            the free memory (batches are then gathered on the device).
        options: Dataset-specific options (``size`` for digits, ``n`` for mog, ...).
    """

    name: str = "dsprites"
    root: str | None = None
    subset: int | None = None
    val_fraction: float = 0.1
    split_seed: int = 0
    download: bool = False
    cache: bool = True
    cache_gib: float = 4.0
    device_cache: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        from vaelab.data import DATASETS, check_options
        from vaelab.errors import DataError

        if self.name not in DATASETS:
            raise ConfigError(f"unknown dataset {self.name!r}; choose one of: {', '.join(DATASETS)}, or give the path "
                              f"of a folder of images, a .npy / .npz or an .h5 file")
        try:
            check_options(self.name, self.options)
        except DataError as e:
            raise ConfigError(str(e)) from None
        if self.subset is not None:
            check_range("subset", self.subset, 1)
        check_range("val_fraction", self.val_fraction, 0.0)
        check_range("val_fraction", self.val_fraction, high=1.0, strict=True)
        check_range("cache_gib", self.cache_gib, 0.0)
        check_seed("data.split_seed", self.split_seed)


@dataclass
class TrainConfig:
    """How a run trains (AVAE appendix: Adam 5e-4, ReduceLROnPlateau(0.5, patience 5), batch 100).

    Attributes:
        epochs: Budget in epochs (dataset default when neither budget is set).
        steps: Budget in optimisation steps (overrides epochs).
        batch_size: Minibatch size.
        lr: Adam learning rate.
        schedule: Learning-rate schedule: ``"plateau"`` (ReduceLROnPlateau on the validation
            loss; AVAE appendix, ARD-VAE supp. Section 2), ``"none"`` (a constant rate; thesis
            Table 5.1) or ``"milestones"`` (the rate is multiplied by ``lr_factors[i]`` once
            ``lr_milestones[i]`` epochs are done; VCAE B.3.1 / B.4.1).
        plateau_factor: ReduceLROnPlateau factor on the validation loss.
        plateau_patience: ReduceLROnPlateau patience in epochs.
        lr_milestones: Epochs after which the ``"milestones"`` schedule changes the rate.
        lr_factors: The factor applied at each milestone.
        seed: Seed of initialisation, data order and sampling.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        eval_batch_size: Batch size of validation and hook encoder passes (128: on 2 CPU cores the
            dSprites encoder runs about 1.6x faster than at 500; ``benchmarks/bench_avae.py``).
        log_every: Steps between TensorBoard scalar writes.
        checkpoint_every: Steps between mid-epoch checkpoints (``None``: every epoch only).
        tensorboard: Write TensorBoard event files beside the CSV log.
        channels_last: Train convolutional networks in channels-last memory layout (the same
            computation in another layout; faster convolutions on CPU and GPU).
        compile: Compile the encoder and decoder with ``torch.compile`` (opt-in; see the
            README's benchmark numbers before turning it on).
        amp: Mixed precision, ``"bf16"`` or ``"fp16"`` (with loss scaling); ``None``: float32.
            Meant for CUDA; on CPU it runs but is slower.
        prefetch: Prepare the next batch in a background thread during the current step;
            ``None`` (auto): on CUDA only. On a 2-core CPU the thread competes with the two
            compute threads and costs about a fifth of the throughput
            (``benchmarks/bench_foundation.py``, the ``no-pref`` line).
        cudnn_benchmark: Let cuDNN pick the fastest convolution algorithms (CUDA only).
        flush_denormal: Treat subnormal float32 values (below 1.2e-38 in magnitude) as zero on every
            CPU compute thread while training (``vaelab.denormals``; TensorFlow does the same by
            default). Once a decoder has learnt a black background its likelihood gradients turn
            subnormal and, without it, the backward pass runs on the CPU's slow path: the demo's
            VAE went from 43 to 88 ms per step within its first epoch (``benchmarks/bench_denormal.py``).
    """

    epochs: int | None = None
    steps: int | None = None
    batch_size: int = 100
    lr: float = 5e-4
    schedule: str = "plateau"
    plateau_factor: float = 0.5
    plateau_patience: int = 5
    lr_milestones: list[int] = field(default_factory=list)
    lr_factors: list[float] = field(default_factory=list)
    seed: int = 0
    device: str = "auto"
    eval_batch_size: int = 128
    log_every: int = 50
    checkpoint_every: int | None = None
    tensorboard: bool = True
    channels_last: bool = True
    compile: bool = False
    amp: str | None = None
    prefetch: bool | None = None
    cudnn_benchmark: bool = True
    flush_denormal: bool = True

    def validate(self) -> None:
        if self.epochs is not None and self.steps is not None:
            raise ConfigError("give either epochs or steps as the training budget, not both")
        if self.epochs is not None:
            check_range("epochs", self.epochs, 1)
        if self.steps is not None:
            check_range("steps", self.steps, 1)
        check_range("batch_size", self.batch_size, 1)
        check_range("eval_batch_size", self.eval_batch_size, 1)
        check_range("lr", self.lr, 0.0, strict=True)
        check_range("plateau_factor", self.plateau_factor, 0.0, 1.0, strict=True)
        check_range("plateau_patience", self.plateau_patience, 0)
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose one of: {', '.join(SCHEDULES)}")
        if len(self.lr_milestones) != len(self.lr_factors):
            raise ConfigError(f"lr_milestones and lr_factors need one factor per milestone, got "
                              f"{len(self.lr_milestones)} milestones and {len(self.lr_factors)} factors")
        if self.schedule == "milestones" and not self.lr_milestones:
            raise ConfigError("schedule=milestones needs lr_milestones and lr_factors, e.g. "
                              "train.lr_milestones=[30,50] train.lr_factors=[0.5,0.2]")
        if list(self.lr_milestones) != sorted(set(self.lr_milestones)) or any(m < 1 for m in self.lr_milestones):
            raise ConfigError(f"lr_milestones must be increasing positive epochs, got {list(self.lr_milestones)}")
        for f in self.lr_factors:
            check_range("lr_factors", f, 0.0, strict=True)
        check_range("log_every", self.log_every, 1)
        check_seed("train.seed", self.seed)
        if self.checkpoint_every is not None:
            check_range("checkpoint_every", self.checkpoint_every, 1)
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r}; choose one of: {', '.join(DEVICES)}")
        if self.amp is not None and self.amp not in AMP_DTYPES:
            raise ConfigError(f"unknown amp {self.amp!r}; choose one of: {', '.join(AMP_DTYPES)} "
                              f"(or leave it unset for float32)")


@dataclass
class RunConfig:
    """Everything a run depends on; ``to_dict`` / ``from_dict`` round-trip through YAML."""

    model: str
    model_config: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": {"name": self.model, **dataclasses.asdict(self.model_config)},
            "data": dataclasses.asdict(self.data),
            "train": dataclasses.asdict(self.train),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        d = _check_sections(d)
        model = dict(d.get("model") or {})
        name = model.pop("name", None)
        if name is None:
            raise ConfigError("the config names no model; set model.name (or pass --model)")
        mcls = model_class(name).Config
        return cls(
            model=name,
            model_config=_build(mcls, model, "model"),
            data=_build(DataConfig, dict(d.get("data") or {}), "data"),
            train=_build(TrainConfig, dict(d.get("train") or {}), "train"),
        )

    def resolved(self) -> "RunConfig":
        """Returns a copy with dataset defaults filled in, validated."""
        self.data.validate()
        out = RunConfig.from_dict(self.to_dict())
        defaults = DATASET_DEFAULTS[out.data.name]
        for key in ("latent_dim", "architecture", "likelihood"):
            if getattr(out.model_config, key) is None and key in defaults:
                setattr(out.model_config, key, defaults[key])
        if out.train.epochs is None and out.train.steps is None:
            out.train.epochs = defaults["epochs"]
        out.model_config.validate()
        out.train.validate()
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


SECTIONS = ("model", "data", "train")


def _check_sections(d: Any) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ConfigError("a config must be a mapping with sections model, data and train")
    unknown = set(d) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"unknown config section(s) {sorted(unknown)}; use {', '.join(SECTIONS)}")
    for s in SECTIONS:
        if d.get(s) is not None and not isinstance(d[s], dict):
            raise ConfigError(f"config section {s!r} must be a mapping")
    return d


def _fields(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _build(cls: type, values: dict[str, Any], section: str) -> Any:
    fields = _fields(cls)
    unknown = set(values) - set(fields)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"unknown key {section}.{key}; known keys: {', '.join(fields)}")
    return cls(**{k: _coerce(v, fields[k], f"{section}.{k}") for k, v in values.items()})


def _coerce(value: Any, tp: Any, name: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, name)
            except ConfigError as e:
                errors.append(e)
        raise errors[0]
    if value is None:
        raise ConfigError(f"{name} cannot be empty")
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(value) if isinstance(value, (int, str)) else _fail(name, "an integer", value)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        try:
            number = float(value) if isinstance(value, (int, float, str)) else _fail(name, "a number", value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number, got {value!r}")
        return number
    if tp is str:
        if isinstance(value, (dict, list)):
            _fail(name, "a string", value)
        return str(value)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            _fail(name, "a list", value)
        inner = args[0] if args else Any
        return origin(_coerce(v, inner, name) for v in value)
    if tp is dict or origin is dict:
        if not isinstance(value, dict):
            _fail(name, "a mapping", value)
        return dict(value)
    return value


def _fail(name: str, what: str, value: Any) -> Any:
    raise ConfigError(f"{name} must be {what}, got {value!r}")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Reads a YAML config file into a nested dict (sections ``model``, ``data``, ``train``)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        with user_input(f"config file {path}"):
            d = yaml.safe_load(read_text(path))
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}; fix the syntax") from None
    return _check_sections(d or {})


def apply_overrides(d: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Applies ``key=value`` / ``section.key=value`` strings to a nested config dict.

    A bare key is looked up in the model's config, then the train and data sections;
    a key found in several sections must be qualified.
    """
    d = {s: dict(d.get(s) or {}) for s in SECTIONS}
    _one_budget([item.partition("=")[0].strip() for item in overrides if item.partition("=")[2].strip()],
                "KEY=VALUE overrides")
    name = d["model"].get("name")
    section_fields = {
        "model": set(_fields(model_class(name).Config)) | {"name"} if name else {"name"},
        "data": set(_fields(DataConfig)),
        "train": set(_fields(TrainConfig)),
    }
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        if "." in key:
            section, _, sub = key.partition(".")
            if section not in SECTIONS:
                raise ConfigError(f"unknown config section {section!r} in {item!r}; use {', '.join(SECTIONS)}")
            if sub not in section_fields[section] and not (section == "data" and sub.startswith("options.")):
                raise ConfigError(f"unknown key {key}; known {section} keys: {', '.join(sorted(section_fields[section]))}")
        else:
            hits = [s for s in SECTIONS if key in section_fields[s]]
            if not hits:
                raise ConfigError(f"unknown key {key!r}; see `vaelab models` for model keys, "
                                  f"and data.* / train.* keys in the README")
            if len(hits) > 1:
                raise ConfigError(f"key {key!r} is ambiguous; write one of: {', '.join(f'{s}.{key}' for s in hits)}")
            section, sub = hits[0], key
        if section == "data" and sub.startswith("options."):
            d["data"].setdefault("options", {})
            d["data"]["options"] = {**d["data"]["options"], sub.partition(".")[2]: value}
        else:
            d[section][sub] = value
            if section == "train" and sub in ("epochs", "steps") and value is not None:
                d["train"].pop("steps" if sub == "epochs" else "epochs", None)
    return d


def _one_budget(keys: list[str], where: str, prefix: str = "") -> None:
    """Refuses an epoch and a step budget given together in one place (flags, overrides)."""
    given = {k.removeprefix("train.") for k in keys} & {"epochs", "steps"}
    if len(given) > 1:
        raise ConfigError(f"{prefix}epochs and {prefix}steps are both given in the {where}; "
                          "the budget is one or the other, drop one")


def resolve_own_data(data: dict[str, Any], model_config: type[ModelConfig] = ModelConfig,
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """For own data (a path as the dataset name, or ``name: own``): the data section with the absolute
    path and its fingerprint (kept when already recorded, and then checked), and the model settings
    the input size picks (:func:`vaelab.data.own.own_defaults`) and the training-set size does
    (``model_config.size_defaults``). Other data pass through unchanged."""
    from vaelab.data import DATASETS, load_dataset, split_indices
    from vaelab.data.own import OWN, fingerprint, looks_like_path, own_defaults

    name = data.get("name", DataConfig.name)
    if name != OWN and (not isinstance(name, str) or name in DATASETS or not looks_like_path(name)):
        return data, {}
    root = data.get("root") if name == OWN else name
    if root is None:
        raise ConfigError("own data needs data.root, the path of the data (or pass --dataset PATH)")
    root = str(Path(root).expanduser().resolve())
    options = dict(data.get("options") or {})
    labels = options.get("labels")
    if isinstance(labels, str) and Path(labels).expanduser().is_file():
        options["labels"] = str(Path(labels).expanduser().resolve())
    ds = load_dataset(OWN, root, **options)
    options.setdefault("fingerprint", fingerprint(root))
    train, _ = split_indices(len(ds), data.get("val_fraction", DataConfig.val_fraction),
                             data.get("split_seed", DataConfig.split_seed), data.get("subset"))
    defaults = {**own_defaults(ds.shape), **model_config.size_defaults(len(train))}
    return {**data, "name": OWN, "root": root, "options": options}, defaults


def build_config(
    base: dict[str, Any] | None = None,
    file: str | Path | None = None,
    overrides: list[str] | None = None,
    **flags: Any,
) -> RunConfig:
    """Builds a resolved config from a base dict, an optional YAML file, CLI flags and overrides.

    The file's values replace the base's (a stored run config when resuming); flags (``model``, ``dataset``, ``epochs``, ``steps``, ``subset``, ``batch_size``,
    ``seed``, ``device``, ``data_root``) take precedence over the file; overrides over both.
    """
    d = {s: dict((base or {}).get(s) or {}) for s in SECTIONS}
    if file:
        for s, values in load_config_file(file).items():
            d[s].update(values or {})
    targets = {"model": ("model", "name"), "dataset": ("data", "name"), "data_root": ("data", "root"),
               "subset": ("data", "subset"), "epochs": ("train", "epochs"), "steps": ("train", "steps"),
               "batch_size": ("train", "batch_size"), "seed": ("train", "seed"), "device": ("train", "device")}
    _one_budget([flag for flag in ("epochs", "steps") if flags.get(flag) is not None], "options", "--")
    for flag, value in flags.items():
        if flag not in targets:
            raise ConfigError(f"unknown flag {flag!r}")
        if value is None:
            continue
        section, key = targets[flag]
        d[section][key] = value
        if flag in ("epochs", "steps"):
            d["train"].pop("steps" if flag == "epochs" else "epochs", None)
    d = apply_overrides(d, list(overrides or []))
    if d["model"].get("name") is None:
        raise ConfigError("no model given; pass --model NAME (see `vaelab models`)")
    d["data"], own_defaults = resolve_own_data(d["data"], model_class(d["model"]["name"]).Config)
    for key, value in own_defaults.items():
        d["model"].setdefault(key, value)
    dataset = d["data"].get("name", DataConfig.name)
    for key, value in model_class(d["model"]["name"]).Config.dataset_defaults.get(dataset, {}).items():
        d["model"].setdefault(key, value)
    return RunConfig.from_dict(d).resolved()
