r"""Datasets: procedural ground-truth data, real-file loaders and toys, behind one registry.

Example:
    >>> from vaelab.data import load_dataset
    >>> data = load_dataset("dsprites")
    >>> data.images([0, 1]).shape
    torch.Size([2, 1, 64, 64])
"""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path
from typing import Any, Callable, Union

from vaelab.data.base import (
    Dataset,
    FactorGridDataset,
    GroundTruthDataset,
    TensorDataset,
    as_index,
    split_indices,
)
from vaelab.data.dsprites import DSprites, DSpritesFile, load_dsprites
from vaelab.data.files import load_celeba, load_cifar10, load_imagenet32, load_mnist
from vaelab.data.own import OWN, load_own, looks_like_path
from vaelab.data.shapes3d import Shapes3D, Shapes3DFile, load_shapes3d
from vaelab.data.toy import load_digits, load_mog
from vaelab.errors import DataError, user_input

__all__ = [
    "DATASETS",
    "TEST_SPLITS",
    "Dataset",
    "TensorDataset",
    "GroundTruthDataset",
    "FactorGridDataset",
    "DSprites",
    "DSpritesFile",
    "Shapes3D",
    "Shapes3DFile",
    "as_index",
    "split_indices",
    "load_dataset",
    "check_options",
]

DATASETS: dict[str, Callable[..., Dataset]] = {
    "dsprites": load_dsprites,
    "shapes3d": load_shapes3d,
    "mnist": load_mnist,
    "cifar10": load_cifar10,
    "celeba": load_celeba,
    "imagenet32": load_imagenet32,
    "digits": load_digits,
    "mog": load_mog,
    OWN: load_own,
}

TEST_SPLITS = frozenset({"mnist", "cifar10", "celeba", "imagenet32", "digits", "mog"})
"""Datasets with a separate test split; the others hold out part of their single split."""


def load_dataset(
    name: str,
    root: str | Path | None = None,
    split: str = "train",
    download: bool = False,
    **options,
) -> Dataset:
    """Loads a registered dataset by name.

    Args:
        name: One of :data:`DATASETS`, or the path of your own data (:mod:`vaelab.data.own`).
        root: Local path of the data files; procedural datasets render without one and
            load the official file when given one.
        split: ``"train"`` or ``"test"`` (ignored by datasets without a test split).
        download: Fetch missing files where the source allows it.
        options: Dataset-specific options (``size`` for digits, ``n`` for mog, ...).
    """
    if name not in DATASETS and looks_like_path(str(name)):
        name, root = OWN, name
    options = check_options(name, options)
    where = f"dataset {name}" + (f" in {root}" if root is not None else "")
    try:
        with user_input(where + (f" with options {options}" if options else "")):
            data = DATASETS[name](root, split=split, download=download, **options)
    except TypeError as e:
        if "unexpected keyword" in str(e):
            raise DataError(f"{name}: unsupported dataset option ({e})") from None
        raise
    if len(data) == 0:
        raise DataError(f"{where} holds no items in its {split} split; check the files (they may be empty "
                        "or truncated) and download them again")
    return data


_TYPES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _fits(value: Any, tp: Any) -> bool:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return any(_fits(value, a) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return not isinstance(tp, type) or tp not in _TYPES or isinstance(value, tp)


def check_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Checks dataset-specific options against the loader's signature: known names, annotated types.

    Raises:
        DataError: naming ``data.options.KEY``, for an unknown dataset, option or a value of the wrong type.
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}, "
                        f"or give the path of your own data")
    loader = DATASETS[name]
    params = {k: p for k, p in inspect.signature(loader).parameters.items() if k not in ("root", "split", "download")}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    hints = typing.get_type_hints(loader)
    for key, value in options.items():
        if key not in params:
            known = ", ".join(params) or "none"
            raise DataError(f"unsupported dataset option data.options.{key} for {name}; its options: {known}")
        tp = hints.get(key, Any)
        if not _fits(value, tp):
            plain = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
            want = " or ".join(_TYPES.get(a, getattr(a, "__name__", str(a))) for a in plain)
            raise DataError(f"invalid data.options.{key}={value!r} for {name}: need {want}")
    return dict(options)
