"""Flushing subnormal floats to zero on every CPU thread PyTorch computes on.

Training produces subnormal float32 values (magnitude below 1.2e-38): once a decoder has
learnt dSprites' black background its logits fall below -87 there, their likelihood
gradients are subnormal, and every product and convolution of the backward pass that
reads them runs on the CPU's slow path (the demo's VAE went from 43 to 88 ms per step
within its first epoch; ``benchmarks/bench_denormal.py``). ``torch.set_flush_denormal``
sets the flush-to-zero and denormals-are-zero modes of the *calling* thread only, so the
OpenMP threads that run PyTorch's kernels keep theirs; :func:`flush_denormal` also hands
the calling thread's floating-point environment to each of them (one OpenMP parallel
region that runs ``fesetenv``), and restores the previous one afterwards.

Example:
    >>> with flush_denormal(True):
    ...     flushes_denormals()
    True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch

__all__ = ["flush_denormal", "flushes_denormals", "set_flush_denormal"]

_OPENMP_NAMES = ("libgomp", "libomp", "libiomp5")


def flushes_denormals() -> bool:
    """Whether the calling thread flushes subnormal float32 values to zero (probed: 1e-39 * 1 is then zero)."""
    return float(torch.tensor([1e-39]) * 1.0) == 0.0


def _openmp_paths() -> list[str]:
    """The OpenMP runtimes PyTorch computes on, among those this process loaded (``/proc/self/maps``).

    Wheels vendor their own copies (scikit-learn's ``libgomp-<hash>.so``), each with its own
    threads: the one inside PyTorch's package is PyTorch's; failing that, the unvendored ones.
    """
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return []
    loaded = {fields[-1] for fields in (line.split() for line in maps.read_text().splitlines())
              if len(fields) >= 6 and Path(fields[-1]).name.startswith(_OPENMP_NAMES)}
    torch_dir = Path(torch.__file__).resolve().parent
    own = [p for p in sorted(loaded) if Path(p).resolve().is_relative_to(torch_dir)]
    return own or [p for p in sorted(loaded) if Path(p).name.split(".so")[0] in _OPENMP_NAMES]


@functools.lru_cache(maxsize=1)
def _runtimes() -> tuple[list[ctypes.CDLL], ctypes.CDLL | None]:
    """PyTorch's OpenMP runtimes and the C maths library (empty / None where not found: then only the calling
    thread, and threads it starts later, change mode)."""
    libm_name = ctypes.util.find_library("m")
    try:
        libm = ctypes.CDLL(libm_name) if libm_name else None
        if libm is not None:
            libm.fegetenv.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):
        libm = None
    runtimes = []
    for path in _openmp_paths():
        try:
            omp = ctypes.CDLL(path)
            omp.GOMP_parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
            omp.GOMP_parallel.restype = None
            runtimes.append(omp)
        except (OSError, AttributeError):
            continue
    return runtimes, libm


def set_flush_denormal(enabled: bool) -> None:
    """``torch.set_flush_denormal(enabled)`` for the calling thread and every OpenMP thread of its team."""
    torch.set_flush_denormal(enabled)
    runtimes, libm = _runtimes()
    env = ctypes.create_string_buffer(256)  # room for any platform's fenv_t (32 bytes on x86-64 glibc)
    if not runtimes or libm is None or libm.fegetenv(env) != 0:
        return
    fesetenv = ctypes.cast(libm.fesetenv, ctypes.c_void_p)
    for omp in runtimes:
        omp.GOMP_parallel(fesetenv, ctypes.cast(env, ctypes.c_void_p), torch.get_num_threads(), 0)


@contextmanager
def flush_denormal(enabled: bool) -> Iterator[None]:
    """Flushes subnormals to zero (or not) on every compute thread for the block, then restores the previous mode."""
    before = flushes_denormals()
    if enabled != before:
        set_flush_denormal(enabled)
    try:
        yield
    finally:
        if enabled != before:
            set_flush_denormal(before)
