"""Small datasets that need no download: scikit-learn's digits and the VCAE mixture toy."""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from vaelab.data.base import TensorDataset
from vaelab.errors import DataError

__all__ = ["load_digits", "load_mog", "mixture_of_gaussians"]

_DIGITS_TEST = 297


def load_digits(
    root: str | Path | None = None,
    split: str = "train",
    download: bool = False,
    size: int = 32,
) -> TensorDataset:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images), optionally resized.

    Pixel intensities 0..16 are scaled to [0, 1] and resized bilinearly to ``size x size``
    (32 by default, so that the digits fit the MNIST networks of AVAE Table VIII). A fixed
    permutation holds out 297 images as the test split.

    Args:
        root: Ignored; the data ships with scikit-learn.
        split: ``"train"`` (1,500 images) or ``"test"`` (297 images).
        download: Ignored.
        size: Output side length in pixels (8 keeps the original resolution).
    """
    from sklearn.datasets import load_digits as sk_digits

    if split not in ("train", "test"):
        raise DataError(f"digits: unknown split {split!r}; use 'train' or 'test'")
    if size < 1:
        raise DataError(f"digits: size must be positive, got {size}")
    bunch = sk_digits()
    x = torch.as_tensor(bunch.images, dtype=torch.float32).div_(16.0)[:, None]
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp_(0.0, 1.0)
    labels = torch.as_tensor(bunch.target)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    keep = perm[_DIGITS_TEST:] if split == "train" else perm[:_DIGITS_TEST]
    return TensorDataset(x[keep].contiguous(), "digits", (0.0, 1.0), labels[keep])


def mixture_of_gaussians(
    n: int,
    dim: int = 100,
    radius: float = 2.0,
    std: float = 0.5,
    seed: int = 0,
    projection_seed: int = 1234,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Samples the four-Gaussian toy of VCAE Section 6.1, linearly projected to ``dim``.

    The 2-D mixture has equal weights and isotropic components of standard deviation
    ``std`` centred at ``radius * (cos t, sin t)`` for t in {45, 135, 225, 315} degrees.
    The projection is a fixed ``(2, dim)`` matrix with orthonormal rows (drawn once from
    ``projection_seed``), so distances in the plane are preserved. The seed paper does not
    give the centres, spread or projection; these are our choices.

    Returns:
        ``(x, z, labels)``: ``(n, dim)`` observations, ``(n, 2)`` planar points and
        ``(n,)`` component labels.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(4, (n,), generator=g)
    angles = math.pi / 4 + labels.double() * (math.pi / 2)
    centres = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    z = centres + std * torch.randn(n, 2, generator=g, dtype=torch.float64)
    q, _ = torch.linalg.qr(
        torch.randn(dim, 2, generator=torch.Generator().manual_seed(projection_seed), dtype=torch.float64)
    )
    return (z @ q.T).float(), z.float(), labels


def load_mog(
    root: str | Path | None = None,
    split: str = "train",
    download: bool = False,
    n: int = 10_000,
    dim: int = 100,
) -> TensorDataset:
    """The VCAE mixture-of-four-Gaussians toy (Section 6.1) as a dataset of ``dim``-vectors.

    Train and test splits share the projection and differ in their samples.
    """
    if split not in ("train", "test"):
        raise DataError(f"mog: unknown split {split!r}; use 'train' or 'test'")
    if n < 1 or dim < 2:
        raise DataError(f"mog: need n >= 1 and dim >= 2, got n={n}, dim={dim}")
    x, _, labels = mixture_of_gaussians(n, dim=dim, seed=0 if split == "train" else 1)
    return TensorDataset(x, "mog", None, labels)
