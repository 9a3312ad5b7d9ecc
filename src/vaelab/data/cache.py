"""An in-memory uint8 cache in front of datasets that render their items on demand."""

from __future__ import annotations

import math
import threading

import torch
from torch import Tensor
from tqdm.auto import tqdm

from vaelab.data.base import Dataset, IndexLike, as_index

__all__ = ["CachedImages", "fits_on_device"]


class CachedImages:
    """Serves ``data.images(index)``, keeping the items of ``index`` in memory as uint8.

    Only datasets that render on demand (``data.on_demand``) with values in [0, 1] are
    cached, and only when the items fit in ``limit_gib``; values are stored as
    ``round(255 * x)``, exact for binary dSprites and for data that came from 8-bit files.
    Other datasets are served directly.

    In host memory the cache fills lazily: an item is rendered the first time a batch asks for
    it, so a short run renders only the items it touches instead of the whole training set
    (737,280 dSprites images, 480,000 3D Shapes images). An item's pixels do not depend on the
    batch it is rendered in, so lazy and eager filling serve the same values.

    Args:
        data: The dataset.
        index: Items to keep in memory (``None``: cache nothing).
        limit_gib: Memory limit in GiB.
        progress: Show a progress bar while rendering an eager (device) cache.
        device: Keep the cache on this device when it fits (:func:`fits_on_device`); it is then
            rendered at once and batches of cached items are gathered there. ``None``: host
            memory, filled lazily.
    """

    def __init__(self, data: Dataset, index: Tensor | None = None, limit_gib: float = 4.0, progress: bool = False,
                 device: torch.device | None = None):
        self.data = data
        self.lookup: Tensor | None = None
        self.store: Tensor | None = None
        self.filled: Tensor | None = None
        self._lock = threading.Lock()
        if index is None or not getattr(data, "on_demand", False) or data.value_range != (0.0, 1.0):
            return
        index = as_index(index, len(data))
        if len(index) * math.prod(data.shape) > limit_gib * 2**30:
            return
        self.index = index
        self.store = torch.empty((len(index), *data.shape), dtype=torch.uint8)
        self.filled = torch.zeros(len(index), dtype=torch.bool)
        self.lookup = torch.full((len(data),), -1, dtype=torch.long)
        self.lookup[index] = torch.arange(len(index))
        if device is not None and fits_on_device(self.store.numel(), torch.device(device)):
            self._fill(torch.arange(len(index)), progress)
            self.store = self.store.to(device)
            self.filled = None

    def _fill(self, positions: Tensor, progress: bool = False) -> None:
        """Renders the cache entries at ``positions`` (unique, not yet filled)."""
        chunk = 8192
        for i in tqdm(range(0, len(positions), chunk), disable=not progress or len(positions) < 4 * chunk,
                      desc=f"rendering {self.data.name}", unit="chunk", leave=False):
            pos = positions[i : i + chunk]
            x = self.data.images(self.index[pos])
            self.store[pos] = x.mul_(255).round_().to(torch.uint8)
            if self.filled is not None:
                self.filled[pos] = True

    @property
    def cached(self) -> int:
        """Items the cache holds or will hold once asked for."""
        return 0 if self.store is None else len(self.store)

    def images(self, index: IndexLike) -> Tensor:
        index = as_index(index, len(self.data))
        if self.lookup is None:
            return self.data.images(index)
        pos = self.lookup[index]
        hit = pos >= 0
        if self.filled is not None:
            with self._lock:
                wanted = pos[hit]
                missing = wanted[~self.filled[wanted]]
                if len(missing):
                    self._fill(missing.unique())
        if bool(hit.all()):
            return self.store[pos.to(self.store.device, non_blocking=True)].float().div_(255)
        out = self.data.images(index)
        out[hit] = self.store[pos[hit].to(self.store.device)].cpu().float().div_(255)
        return out

    @property
    def device(self) -> torch.device:
        """Where the cached items live."""
        return torch.device("cpu") if self.store is None else self.store.device


def fits_on_device(nbytes: int, device: torch.device) -> bool:
    """Whether ``nbytes`` fit in a quarter of the device's free memory (always, for the CPU)."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= free // 4
