"""The dataset interface shared by every data source.

A :class:`Dataset` is a finite, indexable set of observations returned in batches as
float32 tensors of shape ``(B, *shape)`` -- ``(B, C, H, W)`` for images. Datasets whose
ground-truth generative factors are known (dSprites, 3D Shapes) are
:class:`GroundTruthDataset` objects: they also give the factor names and sizes, sample
factors with an explicit generator and render observations from given factors, which is
what every supervised disentanglement metric needs.

Batched access (``images(index)``) is the only access path: the training loop draws
index tensors, so no per-item Python overhead is paid.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from vaelab.errors import DataError

__all__ = [
    "Dataset",
    "TensorDataset",
    "GroundTruthDataset",
    "FactorGridDataset",
    "as_index",
    "split_indices",
]

IndexLike = Tensor | np.ndarray | Sequence[int] | slice | int


def as_index(index: IndexLike, n: int) -> Tensor:
    """Converts ``index`` into a 1-D int64 tensor of positions in ``[0, n)``."""
    if isinstance(index, slice):
        return torch.arange(n)[index]
    if isinstance(index, int):
        index = [index]
    index = torch.as_tensor(np.asarray(index) if not isinstance(index, Tensor) else index)
    index = index.reshape(-1).long()
    if index.numel() and (int(index.min()) < -n or int(index.max()) >= n):
        raise DataError(f"index out of range for a dataset of {n} items")
    return torch.where(index < 0, index + n, index)


class Dataset:
    """A finite set of observations, accessed in batches.

    Attributes:
        name: The registry name (``"dsprites"``, ``"mnist"``, ...).
        shape: The shape of one observation, e.g. ``(1, 64, 64)``.
        value_range: The range of the values, ``(0, 1)`` or ``(-1, 1)`` for images;
            ``None`` for unbounded data (the toy mixture).
        labels: Optional ``(N,)`` int64 class labels (MNIST digits, CIFAR10 classes).
        on_demand: Whether items are computed on access (procedural renderers), which
            makes them worth caching in memory during training.
    """

    name: str = "dataset"
    on_demand: bool = False
    shape: tuple[int, ...] = ()
    value_range: tuple[float, float] | None = (0.0, 1.0)
    labels: Tensor | None = None

    def __len__(self) -> int:
        raise NotImplementedError

    def _get(self, index: Tensor) -> Tensor:
        raise NotImplementedError

    def images(self, index: IndexLike) -> Tensor:
        """Returns the observations at ``index`` as a float32 ``(B, *shape)`` tensor."""
        return self._get(as_index(index, len(self)))

    @property
    def has_factors(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, n={len(self)}, shape={self.shape})"


class TensorDataset(Dataset):
    """Observations held in memory.

    Integer storage (``uint8``) is mapped to ``value_range`` on access, which keeps large
    image sets at one byte per value.

    Args:
        data: ``(N, *shape)`` tensor, uint8 (0..255) or floating point (already scaled).
        name: Registry name.
        value_range: Range that uint8 values are mapped to; also recorded for floats.
        labels: Optional ``(N,)`` class labels.
    """

    def __init__(
        self,
        data: Tensor,
        name: str,
        value_range: tuple[float, float] | None = (0.0, 1.0),
        labels: Tensor | None = None,
    ):
        if data.ndim < 2:
            raise DataError(f"{name}: expected (N, ...) data, got shape {tuple(data.shape)}")
        if labels is not None and len(labels) != len(data):
            raise DataError(f"{name}: {len(labels)} labels for {len(data)} items")
        self.data = data
        self.name = name
        self.shape = tuple(data.shape[1:])
        self.value_range = value_range
        self.labels = None if labels is None else labels.long()

    def __len__(self) -> int:
        return len(self.data)

    def _get(self, index: Tensor) -> Tensor:
        x = self.data[index]
        if x.dtype == torch.uint8:
            lo, hi = self.value_range or (0.0, 1.0)
            x = x.float().mul_((hi - lo) / 255.0)
            if lo != 0.0:
                x.add_(lo)
            return x
        return x.float()


class GroundTruthDataset(Dataset):
    """A dataset whose observations are generated from known discrete factors.

    Factors are integer class indices, one column per factor, with
    ``0 <= factors[:, k] < factor_sizes[k]``.
    """

    factor_names: tuple[str, ...] = ()
    factor_sizes: tuple[int, ...] = ()

    @property
    def has_factors(self) -> bool:
        return True

    @property
    def num_factors(self) -> int:
        return len(self.factor_sizes)

    def factors(self, index: IndexLike) -> Tensor:
        """Returns the ``(B, K)`` int64 factors of the items at ``index``."""
        raise NotImplementedError

    def factor_values(self, k: int) -> Tensor:
        """Returns the physical values of factor ``k`` (defaults to the class indices)."""
        return torch.arange(self.factor_sizes[k], dtype=torch.float64)

    def sample_factors(self, n: int, generator: torch.Generator) -> Tensor:
        """Draws ``n`` factor tuples uniformly and independently per factor."""
        cols = [torch.randint(s, (n,), generator=generator) for s in self.factor_sizes]
        return torch.stack(cols, dim=1)

    def render(self, factors: Tensor) -> Tensor:
        """Returns the observations for the ``(B, K)`` factor tuples ``factors``."""
        raise NotImplementedError

    def check_factors(self, factors: Tensor) -> Tensor:
        """Validates a ``(B, K)`` factor tensor and returns it as int64."""
        factors = torch.as_tensor(factors)
        if factors.ndim != 2 or factors.shape[1] != self.num_factors:
            raise DataError(
                f"{self.name}: factors must have shape (B, {self.num_factors}), got {tuple(factors.shape)}"
            )
        factors = factors.long()
        sizes = torch.tensor(self.factor_sizes)
        if factors.numel() and (bool((factors < 0).any()) or bool((factors >= sizes).any())):
            raise DataError(f"{self.name}: factor values out of range for sizes {list(self.factor_sizes)}")
        return factors


class FactorGridDataset(GroundTruthDataset):
    """A ground-truth dataset holding every combination of its factors exactly once.

    Item ``i`` has the factors of ``i`` written in the mixed radix ``factor_sizes`` with
    the last factor varying fastest -- the order of the official dSprites and 3D Shapes
    files. Subclasses implement :meth:`render`; :meth:`images` renders on demand.
    """

    def __len__(self) -> int:
        return math.prod(self.factor_sizes)

    @property
    def _strides(self) -> Tensor:
        strides = [1]
        for s in reversed(self.factor_sizes[1:]):
            strides.append(strides[-1] * s)
        return torch.tensor(strides[::-1])

    def factors(self, index: IndexLike) -> Tensor:
        index = as_index(index, len(self))
        sizes = torch.tensor(self.factor_sizes)
        return (index[:, None] // self._strides) % sizes

    def index_of(self, factors: Tensor) -> Tensor:
        """Returns the item index of each ``(B, K)`` factor tuple."""
        return (self.check_factors(factors) * self._strides).sum(dim=1)

    def _get(self, index: Tensor) -> Tensor:
        return self.render(self.factors(index))


def split_indices(
    n: int,
    val_fraction: float = 0.1,
    seed: int = 0,
    subset: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Splits ``range(n)`` into training and validation indices.

    A fixed permutation (``seed``) is cut into a validation part of ``val_fraction`` and
    a training part. With ``subset`` only the first ``subset`` training items are kept and
    the validation part shrinks in proportion, so quick runs also validate quickly.

    Returns:
        ``(train, val)`` int64 index tensors, disjoint.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction must be in [0, 1), got {val_fraction}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(round(n * val_fraction))
    if n_val == 0 and val_fraction > 0 and n > 1:
        n_val = 1
    val, train = perm[:n_val], perm[n_val:]
    if subset is not None:
        if subset <= 0:
            raise DataError(f"subset must be positive, got {subset}")
        if subset > len(train):
            raise DataError(f"subset={subset} is larger than the {len(train)} training items available")
        train = train[:subset]
        if val_fraction > 0:
            val = val[: max(1, min(len(val), int(round(subset * val_fraction / (1 - val_fraction)))))]
    return train, val
