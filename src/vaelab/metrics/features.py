r"""Feature networks for the generative metrics: InceptionV3, or a classifier trained here.

Frechet distances and precision / recall compare images through a feature network. The
standard one is the InceptionV3 of the FID (Heusel et al., 2017), used whenever its
weights file is available locally (:mod:`vaelab.metrics.inception`). Without it, vaelab
trains a small classifier on the dataset itself -- of its class labels (MNIST, CIFAR10,
digits) or of its ground-truth factors (dSprites, 3D Shapes; one softmax head per factor)
-- and uses its penultimate layer, as done for MNIST-like data by e.g. Binkowski et al.
(2018, "Demystifying MMD GANs"). Numbers from the two are not comparable with each other;
every result therefore carries the description returned by :func:`get_feature_extractor`.

Trained networks are cached under ``$VAELAB_CACHE/features`` (default
``~/.cache/vaelab/features``), one file per (dataset fingerprint, options, version), so
each is trained once.

Example:
    >>> data = load_dataset("digits", size=8)
    >>> extractor, info = get_feature_extractor(data, kind="trained")
    >>> extractor(data.images([0, 1])).shape, info["kind"]
    (torch.Size([2, 128]), 'trained')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from vaelab.data.base import Dataset
from vaelab.errors import ConfigError, DataError
from vaelab.io import save_torch
from vaelab.metrics.inception import (
    INCEPTION_FILENAME,
    INCEPTION_URL,
    find_inception_weights,
    load_inception,
)

__all__ = [
    "FEATURE_NET_VERSION",
    "FeatureNetConfig",
    "FeatureNet",
    "classification_targets",
    "train_feature_net",
    "feature_cache_path",
    "get_feature_extractor",
    "has_features",
]

FEATURE_NET_VERSION = 1
KINDS = ("auto", "inception", "trained")


@dataclass
class FeatureNetConfig:
    """Options of the trained feature network (all part of its cache key).

    Attributes:
        steps: Adam steps; the training budget. At the defaults a 64x64 dataset takes
            about a minute on 2 CPU cores, 32x32 well under that.
        batch_size: Minibatch size.
        lr: Adam learning rate.
        feature_dim: Width of the penultimate layer, i.e. of the features.
        eval_items: Items held out (from a fixed permutation) to measure accuracy.
        seed: Seed of the initialisation, the hold-out split and the minibatches.
    """

    steps: int = 500
    batch_size: int = 64
    lr: float = 1e-3
    feature_dim: int = 128
    eval_items: int = 2000
    seed: int = 0

    def validate(self) -> None:
        for name in ("steps", "batch_size", "feature_dim", "eval_items"):
            if getattr(self, name) < 1:
                raise ConfigError(f"feature net: {name} must be positive, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"feature net: lr must be positive, got {self.lr}")


class FeatureNet(nn.Module):
    """A small classifier whose penultimate layer gives the features.

    Images ``(C, H, W)`` go through 3x3 convolutions with batch norm, ReLU and 2x2 max
    pooling (16, 32, 64, 64 ... channels) until the side is at most 4, then a linear
    layer to ``feature_dim`` with ReLU; vectors ``(D,)`` go through an MLP (256, then
    ``feature_dim``). One linear head per classification target follows.

    Inputs are standardised by ``shift`` and ``scale`` buffers set from training data.

    Args:
        shape: Observation shape.
        num_classes: Classes of each head.
        feature_dim: Feature size.
    """

    def __init__(self, shape: tuple[int, ...], num_classes: list[int], feature_dim: int = 128):
        super().__init__()
        self.shape = tuple(shape)
        self.num_features = feature_dim
        self.register_buffer("shift", torch.zeros(()))
        self.register_buffer("scale", torch.ones(()))
        if len(shape) == 3:
            layers: list[nn.Module] = []
            cin, (h, w), width = shape[0], shape[1:], 16
            while True:
                layers += [nn.Conv2d(cin, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
                cin = width
                if min(h, w) <= 4:
                    break
                layers.append(nn.MaxPool2d(2))
                h, w, width = h // 2, w // 2, min(2 * width, 64)
            layers += [nn.Flatten(), nn.Linear(cin * h * w, feature_dim), nn.ReLU()]
            self.body = nn.Sequential(*layers)
        elif len(shape) == 1:
            self.body = nn.Sequential(nn.Linear(shape[0], 256), nn.ReLU(), nn.Linear(256, feature_dim), nn.ReLU())
        else:
            raise DataError(f"feature net: unsupported observation shape {shape}")
        self.heads = nn.ModuleList(nn.Linear(feature_dim, k) for k in num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Returns the ``(B, feature_dim)`` features of observations ``(B, *shape)``."""
        return self.body((x.float() - self.shift) / self.scale)

    def logits(self, x: Tensor) -> list[Tensor]:
        """Returns one ``(B, classes)`` logit tensor per head."""
        h = self(x)
        return [head(h) for head in self.heads]


def classification_targets(data: Dataset) -> tuple[str, list[str], list[int]]:
    """Returns ``(source, head names, classes per head)`` for training on ``data``.

    Labels are used when present; otherwise the ground-truth factors with more than one
    value (dSprites' constant colour is dropped).

    Raises:
        DataError: The dataset has neither labels nor factors.
    """
    if data.labels is not None:
        return "labels", ["label"], [int(data.labels.max()) + 1]
    if data.has_factors:
        keep = [k for k, s in enumerate(data.factor_sizes) if s > 1]
        return "factors", [data.factor_names[k] for k in keep], [data.factor_sizes[k] for k in keep]
    raise DataError(f"{data.name}: no labels or ground-truth factors to train a feature network on")


def _targets(data: Dataset, index: Tensor, source: str, names: list[str]) -> Tensor:
    if source == "labels":
        return data.labels[index][:, None]
    keep = [data.factor_names.index(n) for n in names]
    return data.factors(index)[:, keep]


def _accuracy(net: FeatureNet, data: Dataset, index: Tensor, source: str, names: list[str]) -> list[float]:
    correct = torch.zeros(len(names))
    with torch.no_grad():
        for i in range(0, len(index), 500):
            idx = index[i : i + 500]
            y = _targets(data, idx, source, names)
            for k, logits in enumerate(net.logits(data.images(idx))):
                correct[k] += (logits.argmax(1) == y[:, k]).sum()
    return (correct / len(index)).tolist()


def _build_net(shape: tuple[int, ...], classes: list[int], config: FeatureNetConfig) -> FeatureNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return FeatureNet(shape, classes, config.feature_dim)


def train_feature_net(
    data: Dataset,
    config: FeatureNetConfig | None = None,
    progress: bool = True,
) -> tuple[FeatureNet, dict[str, Any]]:
    """Trains :class:`FeatureNet` on the labels or factors of ``data`` (cross-entropy, Adam).

    A fixed permutation (``config.seed``) holds out ``min(eval_items, N // 5)`` items for
    the reported accuracy; minibatches are drawn uniformly from the rest.

    Returns:
        ``(network in eval mode, training details)``; the details hold ``accuracy`` (mean
        over heads of held-out accuracy), ``head_accuracy``, ``chance`` and the options.
    """
    config = config or FeatureNetConfig()
    config.validate()
    source, names, classes = classification_targets(data)
    n = len(data)
    g = torch.Generator().manual_seed(config.seed)
    perm = torch.randperm(n, generator=g)
    n_eval = min(config.eval_items, n // 5)
    if n_eval < 1 or n - n_eval < 2:
        raise DataError(f"{data.name}: too few items ({n}) to train a feature network")
    eval_index, train_index = perm[:n_eval], perm[n_eval:]

    net = _build_net(data.shape, classes, config)
    sample = data.images(train_index[:1000])
    net.shift.fill_(float(sample.mean()))
    net.scale.fill_(float(sample.std().clamp_min(1e-6)))
    optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)

    start = time.perf_counter()
    net.train()
    for _ in tqdm(range(config.steps), desc=f"training {data.name} feature net", unit="step",
                  disable=not progress, leave=False):
        idx = train_index[torch.randint(len(train_index), (config.batch_size,), generator=g)]
        y = _targets(data, idx, source, names)
        loss = sum(F.cross_entropy(logits, y[:, k]) for k, logits in enumerate(net.logits(data.images(idx))))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    net.eval()
    seconds = time.perf_counter() - start
    head_accuracy = _accuracy(net, data, eval_index, source, names)
    details = {
        "target": source,
        "heads": dict(zip(names, classes)),
        "accuracy": float(sum(head_accuracy) / len(head_accuracy)),
        "head_accuracy": dict(zip(names, head_accuracy)),
        "chance": float(sum(1.0 / k for k in classes) / len(classes)),
        "train_items": len(train_index),
        "eval_items": n_eval,
        "train_seconds": round(seconds, 2),
        "options": dataclasses.asdict(config),
    }
    return net.requires_grad_(False), details


def _cache_root(cache_dir: str | Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return Path(os.environ.get("VAELAB_CACHE") or Path.home() / ".cache" / "vaelab").expanduser() / "features"


def _fingerprint(data: Dataset) -> dict[str, Any]:
    probe = torch.linspace(0, len(data) - 1, min(len(data), 32)).long()
    pixels = data.images(probe).mul(255).round().to(torch.int16).numpy().tobytes()
    source, names, classes = classification_targets(data)
    return {
        "name": data.name,
        "n": len(data),
        "shape": list(data.shape),
        "value_range": None if data.value_range is None else list(data.value_range),
        "target": source,
        "heads": dict(zip(names, classes)),
        "probe": hashlib.sha1(pixels).hexdigest(),
    }


def feature_cache_path(data: Dataset, config: FeatureNetConfig, cache_dir: str | Path | None = None) -> Path:
    """Where the feature network of ``data`` trained with ``config`` is cached.

    The file name is ``<dataset>-<key>.pt``, where ``key`` hashes the dataset fingerprint
    (name, size, shape, value range, targets and a hash of 32 probe images), the options
    and :data:`FEATURE_NET_VERSION`.
    """
    key = json.dumps({"data": _fingerprint(data), "options": dataclasses.asdict(config),
                      "version": FEATURE_NET_VERSION}, sort_keys=True)
    return _cache_root(cache_dir) / f"{data.name}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.pt"


def _load_cached(path: Path, data: Dataset, config: FeatureNetConfig) -> tuple[FeatureNet, dict] | None:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        _, _, classes = classification_targets(data)
        net = _build_net(data.shape, classes, config)
        net.load_state_dict(saved["state_dict"])
        description = dict(saved["description"])
    except Exception:  # noqa: BLE001 -- an unreadable cache entry of any kind is simply retrained
        return None
    return net.eval().requires_grad_(False), description


def _trained_extractor(
    data: Dataset,
    config: FeatureNetConfig | None,
    cache_dir: str | Path | None,
    retrain: bool,
    progress: bool,
) -> tuple[FeatureNet, dict[str, Any]]:
    config = config or FeatureNetConfig()
    config.validate()
    path = feature_cache_path(data, config, cache_dir)
    if path.is_file() and not retrain:
        loaded = _load_cached(path, data, config)
        if loaded is not None:
            net, description = loaded
            return net, {**description, "path": str(path), "cached": True}
    net, details = train_feature_net(data, config, progress=progress)
    description = {
        "kind": "trained",
        "name": f"vaelab FeatureNet v{FEATURE_NET_VERSION} ({details['target']} classifier of {data.name})",
        "dims": config.feature_dim,
        "dataset": data.name,
        **details,
    }
    try:
        save_torch(path, {"state_dict": net.state_dict(), "description": description})
    except OSError as e:
        raise DataError(f"cannot write the feature network cache {path} ({e}); set $VAELAB_CACHE to a writable folder") from None
    return net, {**description, "path": str(path), "cached": False}


def _is_image(data: Dataset) -> bool:
    return len(data.shape) == 3 and data.shape[0] in (1, 3)


def has_features(data: Dataset) -> bool:
    """Whether :func:`get_feature_extractor` (``kind="auto"``) has features for ``data``: the Inception
    weights for 1- or 3-channel images, or labels / factors to train a network on."""
    if data.labels is not None or data.has_factors:
        return True
    return _is_image(data) and find_inception_weights() is not None


def get_feature_extractor(
    data: Dataset,
    kind: str = "auto",
    inception_path: str | Path | None = None,
    config: FeatureNetConfig | None = None,
    cache_dir: str | Path | None = None,
    retrain: bool = False,
    progress: bool = True,
) -> tuple[nn.Module, dict[str, Any]]:
    """Returns the feature network for ``data`` and a description of it.

    The extractor maps ``(B, *data.shape)`` observations in ``data.value_range`` to
    ``(B, D)`` features and has a ``num_features`` attribute (``D``).

    Args:
        data: The dataset whose observations will be compared.
        kind: ``"inception"`` (the FID InceptionV3; its weights file must exist),
            ``"trained"`` (a :class:`FeatureNet` trained on ``data``, cached) or ``"auto"``
            (Inception for 1- or 3-channel images when its weights are found, see
            :func:`vaelab.metrics.inception.find_inception_weights`, else trained).
        inception_path: Explicit location of the Inception weights file.
        config: Options of the trained network.
        cache_dir: Folder of cached trained networks (default ``$VAELAB_CACHE/features``).
        retrain: Train again even when a cached network exists.
        progress: Show a progress bar while training.

    Returns:
        ``(extractor in eval mode, description)``. The description says which features
        were used: ``kind``, ``name``, ``dims`` and ``path``; for Inception also
        ``sha256`` and ``official``; for trained networks the targets, held-out
        ``accuracy`` (and ``chance``), the options and whether it came from the cache.

    Raises:
        DataError: No usable features (e.g. CelebA without the Inception weights file).
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown feature kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind == "inception" or (kind == "auto" and _is_image(data) and find_inception_weights(inception_path)):
        if not _is_image(data):
            raise DataError(f"{data.name}: InceptionV3 features need 1- or 3-channel images, got shape {data.shape}")
        return load_inception(inception_path, data.value_range or (0.0, 1.0))
    try:
        classification_targets(data)
    except DataError:
        if kind == "trained":
            raise
        raise DataError(
            f"{data.name}: no InceptionV3 weights found and no labels or factors to train a feature network; "
            f"download {INCEPTION_URL} to ~/.cache/torch/hub/checkpoints/{INCEPTION_FILENAME} "
            "or set $VAELAB_INCEPTION to its path"
        ) from None
    return _trained_extractor(data, config, cache_dir, retrain, progress)
