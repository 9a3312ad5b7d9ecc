"""Memory needed to train a model, estimated before anything is allocated.

A model is first built on PyTorch's ``meta`` device (shapes only, no storage), so a config
with, say, ``latent_dim=10**8`` is refused in a second instead of exhausting the machine
after the data has loaded.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import torch

from vaelab.errors import ConfigError, VaelabWarning

__all__ = ["BYTES_PER_PARAMETER", "WARN_FRACTION", "available_memory", "count_parameters", "check_training_memory"]

BYTES_PER_PARAMETER = 16
"""float32 weights, their gradients and Adam's two moment estimates: 4 x 4 bytes."""

WARN_FRACTION = 0.25
"""Share of the available memory above which training is allowed with a warning."""


def available_memory(device: torch.device) -> int | None:
    """Free bytes on ``device``: ``MemAvailable`` of ``/proc/meminfo`` for the CPU, the free GPU memory for CUDA."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def count_parameters(name: str, config: Any, shape: tuple[int, ...], value_range: Any) -> int | None:
    """Parameters of the model ``name`` with ``config`` on data of ``shape``, built without storage
    (``None`` when the model cannot be built on the meta device)."""
    from vaelab.models import build_model

    try:
        with torch.device("meta"):
            model = build_model(name, config, tuple(shape), value_range)
    except (RuntimeError, NotImplementedError, TypeError, ValueError):
        return None
    return sum(p.numel() for p in model.parameters())


def check_training_memory(name: str, config: Any, shape: tuple[int, ...], value_range: Any,
                          device: torch.device, available: int | None = None) -> int | None:
    """Refuses a model whose weights, gradients and Adam state alone exceed the free memory of
    ``device``; warns (:class:`VaelabWarning`) above :data:`WARN_FRACTION` of it.

    Returns:
        The number of parameters, or ``None`` when it could not be counted.

    Raises:
        ConfigError: when the estimate exceeds the available memory.
    """
    count = count_parameters(name, config, shape, value_range)
    available = available_memory(device) if available is None else available
    if count is None or available is None:
        return count
    need = count * BYTES_PER_PARAMETER
    gib = lambda b: f"{b / 2**30:.1f} GiB"
    what = (f"model {name} has {count:,} parameters (latent_dim={getattr(config, 'latent_dim', '?')}); "
            f"its weights, gradients and Adam state need {gib(need)}")
    if need > available:
        raise ConfigError(f"{what}, more than the {gib(available)} free on {device.type}; "
                          "lower latent_dim or choose a smaller architecture")
    if need > WARN_FRACTION * available:
        warnings.warn(VaelabWarning(f"{what} of the {gib(available)} free on {device.type}"))
    return count
