"""dSprites: a procedural re-creation rendered on demand, and a loader for the official file.

dSprites (Matthey et al., 2017, https://github.com/deepmind/dsprites-dataset) holds
every combination of 5 factors -- shape (square, ellipse, heart), scale (6),
orientation (40), position x (32) and position y (32) -- exactly once: 737,280 binary
64x64 images of a white sprite on a black background. The official file also stores a
colour factor that is constant (white), so it is not a factor here.

Example:
    >>> data = load_dsprites()
    >>> x = data.images(torch.arange(8))  # (8, 1, 64, 64), values 0.0 or 1.0
"""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from vaelab.data.base import FactorGridDataset, GroundTruthDataset
from vaelab.data.download import download as fetch
from vaelab.errors import DataError

__all__ = ["DSprites", "DSpritesFile", "load_dsprites", "DSPRITES_FILENAME", "DSPRITES_URL"]

DSPRITES_FILENAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
DSPRITES_URL = "https://github.com/deepmind/dsprites-dataset/raw/master/" + DSPRITES_FILENAME

_NAMES = ("shape", "scale", "orientation", "position_x", "position_y")
_SIZES = (3, 6, 40, 32, 32)
_FRAME = 64

# Geometry in pixels of the 64x64 frame (see the DSprites docstring).
_STEP = 1.25  # position step; 4 steps are 5 px, so a sprite takes 4 sub-pixel phases
_PHASES = 4
_START = (_FRAME - _STEP * (_SIZES[3] - 1)) / 2  # centre at position 0: 12.625
_REACH = 12.5  # largest distance from the centre to a sprite point at scale 1
_ELLIPSE_AXES = (12.0, 6.5)  # semi-axes at scale 1
_HEART_REACH = 11.5  # distance from the centroid to the heart's tip at scale 1
_HEART_CENTROID = 0.29347  # of {(x^2 + y^2 - 1)^3 <= x^2 y^3}, on the y axis
_HEART_RADIUS = 1.29085  # largest distance from that centroid to the curve
_PATCH = 28  # side of the pre-rendered masks
_SUPER = 8  # supersampling per pixel side; a pixel is on when >= half covered


def _official_values(k: int) -> Tensor:
    """The physical factor values of the official file (float64)."""
    n = _SIZES[k]
    if k == 0:
        return torch.arange(1, n + 1, dtype=torch.float64)
    lo, hi = {1: (0.5, 1.0), 2: (0.0, 2 * math.pi), 3: (0.0, 1.0), 4: (0.0, 1.0)}[k]
    return torch.linspace(lo, hi, n, dtype=torch.float64)


def _inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether local points ``(u, v)`` (pixels at scale 1, y up, origin at the centroid) are inside."""
    if shape == 0:
        half = _REACH / math.sqrt(2)
        return np.maximum(np.abs(u), np.abs(v)) <= half
    if shape == 1:
        a, b = _ELLIPSE_AXES
        return (u / a) ** 2 + (v / b) ** 2 <= 1
    h = _HEART_REACH / _HEART_RADIUS
    x, y = u / h, v / h + _HEART_CENTROID
    return (x * x + y * y - 1) ** 3 <= x * x * y**3


def _phase_fractions() -> list[float]:
    return [(_START + _STEP * q) % 1.0 for q in range(_PHASES)]


def _rasterise(shape: int, scale: float, angles: np.ndarray) -> np.ndarray:
    """Masks of one shape and scale at every angle and sub-pixel phase.

    Returns:
        ``(A, P_y, P_x, PATCH, PATCH)`` bool, where the sprite centre lies at
        ``PATCH / 2 + fraction`` of the phase in each direction.
    """
    n = (_PATCH + 1) * _SUPER
    t = ((np.arange(n) + 0.5) / _SUPER - (_PATCH / 2 + 1)).astype(np.float32)
    x, y = t[None, None, :], -t[None, :, None]
    cos = np.cos(angles).astype(np.float32)[:, None, None]
    sin = np.sin(angles).astype(np.float32)[:, None, None]
    inside = _inside(shape, (cos * x + sin * y) / scale, (cos * y - sin * x) / scale)

    shifts = np.array([round(_SUPER * (1 - f)) for f in _phase_fractions()])
    edges = shifts[:, None] + _SUPER * np.arange(_PATCH + 1)  # (phases, PATCH + 1)
    cols = np.pad(inside.cumsum(axis=2, dtype=np.int16), ((0, 0), (0, 0), (1, 0)))
    cols = cols[:, :, edges[:, 1:]] - cols[:, :, edges[:, :-1]]  # (A, n, P_x, PATCH)
    rows = np.pad(cols.cumsum(axis=1, dtype=np.int16), ((0, 0), (1, 0), (0, 0), (0, 0)))
    cover = rows[:, edges[:, 1:]] - rows[:, edges[:, :-1]]  # (A, P_y, PATCH, P_x, PATCH)
    return (cover >= _SUPER**2 / 2).transpose(0, 1, 3, 2, 4)


@lru_cache(maxsize=1)
def _sprite_bank() -> tuple[Tensor, Tensor]:
    """Pre-renders every (shape, scale, orientation, phase y, phase x) mask.

    Returns:
        ``offsets``: ``(N, M)`` int64 flat canvas offsets of the on-pixels of each mask
        relative to its top-left corner (padded by repeating the first on-pixel), and
        ``corner``: ``(32,)`` int64 top-left coordinate of the mask for each position.
    """
    angles = _official_values(2).numpy()
    masks = np.stack(
        [_rasterise(s, float(c), angles) for s in range(_SIZES[0]) for c in _official_values(1).numpy()]
    ).reshape(-1, _PATCH * _PATCH)
    counts = masks.sum(axis=1)
    width = int(counts.max())
    order = np.argsort(~masks, axis=1, kind="stable")[:, :width]
    order = np.where(np.arange(width) < counts[:, None], order, order[:, :1])
    offsets = (order // _PATCH) * _FRAME + order % _PATCH

    centres = _START + _STEP * np.arange(_SIZES[3])
    corner = np.floor(centres).astype(np.int64) - _PATCH // 2
    on = masks.reshape(-1, _PATCH, _PATCH)
    rows, cols = np.nonzero(on.any(axis=(0, 2)))[0], np.nonzero(on.any(axis=(0, 1)))[0]
    lo = corner.min() + min(rows.min(), cols.min())
    hi = corner.max() + max(rows.max(), cols.max())
    if lo < 0 or hi >= _FRAME:
        raise RuntimeError(f"dsprites geometry leaves the frame: pixels {lo}..{hi}")
    return torch.from_numpy(offsets), torch.from_numpy(corner)


class DSprites(FactorGridDataset):
    """dSprites re-created procedurally (Matthey et al., 2017), rendered on demand.

    The factor grid, factor order (last factor fastest) and factor values are those of
    the official file; colour, constant there, is left out. The pixels are a close
    re-creation, not a copy, of the official images. Geometry, in pixels of the 64x64
    frame with pixel ``j`` covering ``[j, j + 1)``:

    - position: the sprite centre (the centroid of the shape) is at
      ``12.625 + 1.25 * i`` px for position index ``i`` (``12.625 + 38.75 * value``),
      spanning 0.2..0.8 of the frame; ``position_x`` moves right, ``position_y`` down.
    - size at scale 1: every shape reaches at most 12.5 px from its centre, so rotated
      sprites never leave the frame. Square: side 17.7 px (area 312 px); ellipse: axes
      24 x 13 px (245 px); heart: the curve ``(x^2 + y^2 - 1)^3 = x^2 y^3``, 20 px wide
      (290 px), centred on its centroid. Scale multiplies the linear size (area
      proportional to scale squared).
    - orientation: counter-clockwise as seen on screen, about the centre; at angle 0
      the square is axis-aligned, the ellipse's long axis horizontal and the heart
      upright (point down). Index 0 and 39 are both angle 0 and give the same image,
      the square repeats every 90 degrees and the ellipse every 180 degrees, as in the
      official set.
    - rasterisation: a pixel is on when at least half of its 8x8 sub-samples are inside.

    Masks for every (shape, scale, orientation, sub-pixel phase) are pre-rendered once
    per process (about 1.5 s) and pasted into a blank canvas for a whole batch at once.
    The mean pixel value over the dataset is about 0.041.
    """

    name = "dsprites"
    shape = (1, _FRAME, _FRAME)
    value_range = (0.0, 1.0)
    on_demand = True
    factor_names = _NAMES
    factor_sizes = _SIZES

    def factor_values(self, k: int) -> Tensor:
        """The official values: shape 1, 2, 3; scale 0.5..1; orientation 0..2 pi; positions 0..1."""
        return _official_values(k)

    def render(self, factors: Tensor) -> Tensor:
        """Returns the ``(B, 1, 64, 64)`` float32 images (0.0 or 1.0) of ``(B, 5)`` factors."""
        return self._paste(factors, torch.float32).unsqueeze(1)

    def render_uint8(self, factors: Tensor) -> Tensor:
        """Returns ``(B, 64, 64)`` uint8 images (0 or 1), the layout of the official file."""
        return self._paste(factors, torch.uint8)

    def _paste(self, factors: Tensor, dtype: torch.dtype) -> Tensor:
        sprite, scale, angle, px, py = self.check_factors(factors).unbind(1)
        offsets, corner = _sprite_bank()
        key = (((sprite * _SIZES[1] + scale) * _SIZES[2] + angle) * _PHASES + py % _PHASES) * _PHASES
        key += px % _PHASES
        start = torch.arange(len(key)) * _FRAME**2 + corner[py] * _FRAME + corner[px]
        canvas = torch.zeros(len(key) * _FRAME**2, dtype=dtype)
        canvas.index_fill_(0, (offsets[key] + start[:, None]).view(-1), 1)
        return canvas.view(-1, _FRAME, _FRAME)


class DSpritesFile(FactorGridDataset):
    """The official dSprites ``.npz`` file, held in memory as uint8.

    The factor sizes are read from ``latents_classes`` (largest class + 1 per column,
    colour dropped), so a smaller file in the same format also loads; the file must hold
    every combination of them exactly once, in any row order.

    Args:
        path: The ``.npz`` file with keys ``imgs`` (N, 64, 64) uint8 0/1,
            ``latents_classes`` (N, 6) int and ``latents_values`` (N, 6) float, the
            first column being the constant colour.
    """

    name = "dsprites"
    shape = (1, _FRAME, _FRAME)
    value_range = (0.0, 1.0)
    factor_names = _NAMES

    def __init__(self, path: str | Path):
        self.path = Path(path)
        imgs, classes, values = _read_npz(self.path)
        fail = _failure(self.path)
        grid = classes[:, 1:]
        self.factor_sizes = tuple(int(s) for s in grid.max(axis=0) + 1)
        if len(imgs) != math.prod(self.factor_sizes):
            raise fail(f"has {len(imgs)} images, not the full grid of factor sizes {list(self.factor_sizes)}")
        index = grid @ self._strides.numpy()
        self._rows = None
        if not np.array_equal(index, np.arange(len(index))):
            if (np.bincount(index, minlength=len(index)) != 1).any():
                raise fail("repeats some factor combinations and misses others")
            self._rows = torch.from_numpy(np.argsort(index))
        self._values = []
        for k, size in enumerate(self.factor_sizes):
            v = np.zeros(size)
            v[grid[:, k]] = values[:, k + 1]
            self._values.append(torch.from_numpy(v))
        self._imgs = torch.from_numpy(imgs)

    def factor_values(self, k: int) -> Tensor:
        """The values stored in ``latents_values`` for each class of factor ``k`` (float64)."""
        return self._values[k].clone()

    def render(self, factors: Tensor) -> Tensor:
        """Looks up the ``(B, 1, 64, 64)`` float32 images of ``(B, 5)`` factors."""
        return self._get(self.index_of(factors))

    def _get(self, index: Tensor) -> Tensor:
        rows = index if self._rows is None else self._rows[index]
        return self._imgs[rows].unsqueeze(1).float()


def _failure(path: Path) -> Callable[[str], DataError]:
    return lambda problem: DataError(
        f"dsprites file {path} {problem}; use the official {DSPRITES_FILENAME} from {DSPRITES_URL}"
    )


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reads and checks the three arrays of a dSprites ``.npz`` file."""
    fail = _failure(path)
    if not path.is_file():
        raise DataError(f"dsprites file {path} not found; pass download=True or fetch it from {DSPRITES_URL}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise fail("holds a single array, not an .npz archive")
        with data:
            missing = sorted({"imgs", "latents_classes", "latents_values"} - set(data.files))
            if missing:
                raise fail(f"lacks the key(s) {missing}")
            imgs, classes, values = data["imgs"], data["latents_classes"], data["latents_values"]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise fail(f"is not a readable .npz file ({type(e).__name__}: {e})") from e
    if imgs.ndim != 3 or imgs.shape[1:] != (_FRAME, _FRAME) or imgs.dtype not in (np.uint8, np.bool_):
        raise fail(f"has imgs of shape {imgs.shape} and dtype {imgs.dtype}, expected (N, 64, 64) uint8")
    for key, array, kind in (("latents_classes", classes, "iu"), ("latents_values", values, "fiu")):
        if array.shape != (len(imgs), 6) or array.dtype.kind not in kind:
            raise fail(f"has {key} of shape {array.shape} and dtype {array.dtype}, expected ({len(imgs)}, 6)")
    if len(imgs) == 0:
        raise fail("holds no images")
    if classes.min() < 0 or classes[:, 0].max() != classes[:, 0].min():
        raise fail("has negative classes or more than one colour")
    imgs = imgs.astype(np.uint8, copy=False)
    if imgs.max() > 1:
        raise fail("has pixel values other than 0 and 1")
    return imgs, classes.astype(np.int64, copy=False), values.astype(np.float64, copy=False)


def load_dsprites(
    root: str | Path | None = None,
    split: str = "train",
    download: bool = False,
    **options: object,
) -> GroundTruthDataset:
    """Loads dSprites: procedural without ``root``, else the official file.

    Args:
        root: ``None`` for :class:`DSprites`; an ``.npz`` path, or a folder holding
            ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``, for :class:`DSpritesFile`.
        split: Accepted and ignored: dSprites is a single set with no test split.
        download: Download the official file into ``root`` when it is absent.
        options: None are accepted; given ones raise :class:`DataError`.

    Returns:
        The dataset.
    """
    if options:
        raise DataError(f"dsprites takes no options, got {sorted(options)}")
    if root is None:
        return DSprites()
    path = Path(root).expanduser()
    if path.suffix != ".npz":
        path = path / DSPRITES_FILENAME
    if download and not path.exists():
        fetch(DSPRITES_URL, path)
    return DSpritesFile(path)
