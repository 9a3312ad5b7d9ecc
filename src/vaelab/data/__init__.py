r"""Datasets: procedural ground-truth data, real-file loaders and toys, behind one registry.

Example:
    >>> from vaelab.data import load_dataset
    >>> data = load_dataset("dsprites")
    >>> data.images([0, 1]).shape
    torch.Size([2, 1, 64, 64])
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

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
from vaelab.data.shapes3d import Shapes3D, Shapes3DFile, load_shapes3d
from vaelab.data.toy import load_digits, load_mog
from vaelab.errors import DataError

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
        name: One of :data:`DATASETS`.
        root: Local path of the data files; procedural datasets render without one and
            load the official file when given one.
        split: ``"train"`` or ``"test"`` (ignored by datasets without a test split).
        download: Fetch missing files where the source allows it.
        options: Dataset-specific options (``size`` for digits, ``n`` for mog, ...).
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    try:
        return DATASETS[name](root, split=split, download=download, **options)
    except TypeError as e:
        if "unexpected keyword" in str(e):
            raise DataError(f"{name}: unsupported dataset option ({e})") from None
        raise
