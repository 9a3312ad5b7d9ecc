"""An in-memory uint8 cache in front of datasets that render their items on demand."""

from __future__ import annotations

import math

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

    Args:
        data: The dataset.
        index: Items to keep in memory (``None``: cache nothing).
        limit_gib: Memory limit in GiB.
        progress: Show a progress bar while rendering.
        device: Keep the cache on this device when it fits (:func:`fits_on_device`); batches
            of cached items are then gathered there. ``None``: host memory.
    """

    def __init__(self, data: Dataset, index: Tensor | None = None, limit_gib: float = 4.0, progress: bool = False,
                 device: torch.device | None = None):
        self.data = data
        self.lookup: Tensor | None = None
        self.store: Tensor | None = None
        if index is None or not getattr(data, "on_demand", False) or data.value_range != (0.0, 1.0):
            return
        index = as_index(index, len(data))
        if len(index) * math.prod(data.shape) > limit_gib * 2**30:
            return
        self.store = torch.empty((len(index), *data.shape), dtype=torch.uint8)
        chunk = 8192
        for i in tqdm(range(0, len(index), chunk), disable=not progress or len(index) < 4 * chunk,
                      desc=f"rendering {data.name}", unit="chunk", leave=False):
            x = data.images(index[i : i + chunk])
            self.store[i : i + len(x)] = x.mul_(255).round_().to(torch.uint8)
        self.lookup = torch.full((len(data),), -1, dtype=torch.long)
        self.lookup[index] = torch.arange(len(index))
        if device is not None and fits_on_device(self.store.numel(), torch.device(device)):
            self.store = self.store.to(device)

    @property
    def cached(self) -> int:
        return 0 if self.store is None else len(self.store)

    def images(self, index: IndexLike) -> Tensor:
        index = as_index(index, len(self.data))
        if self.lookup is None:
            return self.data.images(index)
        pos = self.lookup[index]
        hit = pos >= 0
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
