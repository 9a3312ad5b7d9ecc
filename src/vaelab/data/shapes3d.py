"""3D Shapes: a procedural renderer of the scene and a loader for the official file.

3D Shapes (Burgess & Kim, 2018, https://github.com/deepmind/3d-shapes; used in Kim &
Mnih, "Disentangling by Factorising", ICML 2018) holds one 64x64 RGB image of an object
in a room for every combination of six factors: floor hue (10), wall hue (10), object
hue (10), scale (8), shape (4) and orientation (15), 480,000 images with the
orientation varying fastest.

:class:`Shapes3D` renders a look-alike scene on demand, so no download is needed;
:class:`Shapes3DFile` reads the official ``3dshapes.h5``. Both are
:class:`~vaelab.data.base.FactorGridDataset` objects with the same factors and order.

Example:
    >>> import torch
    >>> data = load_shapes3d()
    >>> x = data.images(torch.arange(8))  # (8, 3, 64, 64), floats in [0, 1]
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from vaelab.data.base import FactorGridDataset, GroundTruthDataset
from vaelab.data.download import download as fetch
from vaelab.errors import DataError

__all__ = [
    "FACTOR_NAMES",
    "FACTOR_SIZES",
    "URL",
    "FILENAME",
    "hue_to_rgb",
    "shapes3d_factor_values",
    "Shapes3D",
    "Shapes3DFile",
    "download_shapes3d",
    "load_shapes3d",
]

FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
FACTOR_SIZES = (10, 10, 10, 8, 4, 15)
URL = "https://storage.googleapis.com/3d-shapes/3dshapes.h5"
FILENAME = "3dshapes.h5"

_RES = 64
_CAMERA_DISTANCE = 4.2
_CAMERA_HEIGHT = 2.0
_TARGET_HEIGHT = 0.7
_FOV = 42.0
_CORNER_DISTANCE = 2.8
_LIGHT_ELEVATION = 55.0
_AMBIENT = 0.35
_CAPSULE_RADIUS = 0.32
_CAPSULE_HALF_LENGTH = 0.42


def shapes3d_factor_values(k: int) -> Tensor:
    """Returns the official float64 values of 3D Shapes factor ``k``.

    The hues are fractions of the colour wheel ``0, 0.1, ..., 0.9``; the scale is
    ``linspace(0.75, 1.25, 8)``; the shape is ``0..3`` (cube, cylinder, sphere, capsule);
    the orientation is ``linspace(-30, 30, 15)`` in degrees (Burgess & Kim, 2018).
    """
    if k < 3:
        return torch.linspace(0.0, 0.9, 10, dtype=torch.float64)
    if k == 3:
        return torch.linspace(0.75, 1.25, 8, dtype=torch.float64)
    if k == 4:
        return torch.arange(4, dtype=torch.float64)
    if k == 5:
        return torch.linspace(-30.0, 30.0, 15, dtype=torch.float64)
    raise DataError(f"shapes3d has 6 factors, got factor index {k}")


def hue_to_rgb(hue: Tensor) -> Tensor:
    """Returns the fully saturated, full-value RGB colours ``(..., 3)`` of hues in [0, 1).

    This is HSV -> RGB with ``S = V = 1``: ``R = clip(|6h - 3| - 1)``,
    ``G = clip(2 - |6h - 2|)``, ``B = clip(2 - |6h - 4|)``.
    """
    h6 = 6.0 * torch.as_tensor(hue)[..., None]
    rgb = torch.cat([(h6 - 3).abs() - 1, 2 - (h6 - 2).abs(), 2 - (h6 - 4).abs()], dim=-1)
    return rgb.clamp(0.0, 1.0)


# --- ray casting -----------------------------------------------------------------------
# Rays are (R, 3) origins o and directions d; each hit function returns the distance
# t (R,) along d, inf where the ray misses, and the unit surface normal (R, 3).


def _nearest(*hits: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    t = torch.stack([h[0] for h in hits])
    normal = torch.stack([h[1] for h in hits])
    t, i = t.min(dim=0)
    return t, normal.gather(0, i[None, :, None].expand(1, *normal.shape[1:]))[0]


def _box(o: Tensor, d: Tensor, lo: Tensor, hi: Tensor) -> tuple[Tensor, Tensor]:
    d = torch.where(d.abs() < 1e-9, torch.full_like(d, 1e-9), d)
    t1, t2 = (lo - o) / d, (hi - o) / d
    t_near, axis = torch.minimum(t1, t2).max(dim=-1)
    t_far = torch.maximum(t1, t2).min(dim=-1).values
    t = torch.where((t_near <= t_far) & (t_near > 0), t_near, torch.inf)
    normal = F.one_hot(axis, 3).to(d) * -torch.sign(d.gather(-1, axis[:, None]))
    return t, normal


def _sphere(o: Tensor, d: Tensor, centre: Tensor, radius: float) -> tuple[Tensor, Tensor]:
    oc = o - centre
    a, b, c = (d * d).sum(-1), (oc * d).sum(-1), (oc * oc).sum(-1) - radius**2
    disc = b * b - a * c
    t = (-b - disc.clamp(min=0).sqrt()) / a
    t = torch.where((disc >= 0) & (t > 0), t, torch.inf)
    normal = (o + t.nan_to_num(posinf=0.0)[:, None] * d - centre) / radius
    return t, normal


def _cylinder(
    o: Tensor, d: Tensor, axis: int, centre: Tensor, radius: float, lo: float, hi: float
) -> tuple[Tensor, Tensor]:
    """The side of a cylinder along coordinate ``axis`` through ``centre``, ``lo <= p[axis] <= hi``."""
    radial = torch.ones(3, dtype=o.dtype)
    radial[axis] = 0.0
    oc, dr = (o - centre) * radial, d * radial
    a, b, c = (dr * dr).sum(-1), (oc * dr).sum(-1), (oc * oc).sum(-1) - radius**2
    disc = b * b - a * c
    t = (-b - disc.clamp(min=0).sqrt()) / a.clamp(min=1e-12)
    along = o[:, axis] + t * d[:, axis]
    t = torch.where((disc >= 0) & (t > 0) & (along >= lo) & (along <= hi), t, torch.inf)
    normal = (oc + t.nan_to_num(posinf=0.0)[:, None] * dr) / radius
    return t, normal


def _disc_top(o: Tensor, d: Tensor, height: float, radius: float) -> tuple[Tensor, Tensor]:
    t = (height - o[:, 1]) / torch.where(d[:, 1].abs() < 1e-9, torch.full_like(d[:, 1], -1e-9), d[:, 1])
    p = o + t.clamp(min=0)[:, None] * d
    inside = p[:, 0] ** 2 + p[:, 2] ** 2 <= radius**2
    t = torch.where((t > 0) & inside, t, torch.inf)
    return t, torch.tensor([0.0, 1.0, 0.0]).expand_as(o)


def _object_hit(shape: int, o: Tensor, d: Tensor) -> tuple[Tensor, Tensor]:
    """Intersects rays with a unit-size object standing on the floor at the origin."""
    if shape == 0:
        return _box(o, d, torch.tensor([-0.5, 0.0, -0.5]), torch.tensor([0.5, 1.0, 0.5]))
    if shape == 1:
        return _nearest(_cylinder(o, d, 1, torch.zeros(3), 0.5, 0.0, 1.0), _disc_top(o, d, 1.0, 0.5))
    if shape == 2:
        return _sphere(o, d, torch.tensor([0.0, 0.5, 0.0]), 0.5)
    r, h = _CAPSULE_RADIUS, _CAPSULE_HALF_LENGTH
    return _nearest(
        _cylinder(o, d, 0, torch.tensor([0.0, r, 0.0]), r, -h, h),
        _sphere(o, d, torch.tensor([-h, r, 0.0]), r),
        _sphere(o, d, torch.tensor([h, r, 0.0]), r),
    )


def _room_hit(o: Tensor, d: Tensor) -> tuple[Tensor, Tensor]:
    """Intersects rays from inside the room with the floor ``y = 0`` and the two walls.

    The walls are the vertical planes ``(+-x + z) / sqrt(2) = -c / sqrt(2)`` meeting at
    the corner ``(0, y, -c)``, ``c = _CORNER_DISTANCE``.
    """
    s = 1.0 / math.sqrt(2.0)
    normals = torch.tensor([[0.0, 1.0, 0.0], [s, 0.0, s], [-s, 0.0, s]])
    offsets = torch.tensor([0.0, _CORNER_DISTANCE * s, _CORNER_DISTANCE * s])
    towards = d @ normals.T
    t = -(o @ normals.T + offsets) / torch.where(towards < 0, towards, torch.full_like(towards, -1.0))
    t = torch.where(towards < 0, t, torch.inf)
    t, plane = t.min(dim=-1)
    return t, normals[plane]


def _camera(azimuth: float, n: int) -> tuple[Tensor, Tensor, Tensor]:
    """Returns the camera origin (3,), the (n * n, 3) ray directions (row-major, top row
    first) through a regular grid of sample points, and the light direction (3,)."""
    a = math.radians(azimuth)
    origin = torch.tensor([_CAMERA_DISTANCE * math.sin(a), _CAMERA_HEIGHT, _CAMERA_DISTANCE * math.cos(a)])
    forward = F.normalize(torch.tensor([0.0, _TARGET_HEIGHT, 0.0]) - origin, dim=0)
    right = F.normalize(torch.linalg.cross(forward, torch.tensor([0.0, 1.0, 0.0])), dim=0)
    up = torch.linalg.cross(right, forward)
    u = (torch.arange(n) + 0.5) / n * 2.0 - 1.0
    u = u * math.tan(math.radians(_FOV) / 2.0)
    dirs = forward + u[None, :, None] * right - u[:, None, None] * up
    e = math.radians(_LIGHT_ELEVATION)
    light = torch.tensor([math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)])
    return origin, dirs.reshape(-1, 3), light


def _shade(normal: Tensor, light: Tensor) -> Tensor:
    return _AMBIENT + (1.0 - _AMBIENT) * (normal @ light).clamp(min=0.0)


@functools.lru_cache(maxsize=2)
def _layers(supersample: int) -> Tensor:
    """Returns the ``(15, 4, 8, 3, 64, 64)`` floor, wall and object layers.

    Entry ``[orientation, shape, scale, layer]`` is the shading-weighted coverage of the
    layer in each pixel: the mean over ``supersample**2`` rays of ``shade * [hit]``.
    """
    n = _RES * supersample
    scales = shapes3d_factor_values(3).float()
    out = torch.empty(15, 4, 8, 3, _RES, _RES)
    for i, azimuth in enumerate(shapes3d_factor_values(5).tolist()):
        origin, dirs, light = _camera(azimuth, n)
        _, room_normal = _room_hit(origin.expand_as(dirs), dirs)
        room_shade = _shade(room_normal, light)
        is_floor = room_normal[:, 1] > 0.5
        o = (origin / scales[:, None])[:, None, :].expand(8, n * n, 3).reshape(-1, 3)
        d = (dirs / scales[:, None, None]).reshape(-1, 3)
        for shape in range(4):
            t, normal = _object_hit(shape, o, d)
            hit = torch.isfinite(t).view(8, n * n)
            background = torch.where(hit, 0.0, room_shade)
            layers = torch.stack(
                [
                    background * is_floor,
                    background * ~is_floor,
                    torch.where(hit, _shade(normal, light).view(8, n * n), 0.0),
                ],
                dim=1,
            )
            out[i, shape] = F.avg_pool2d(layers.view(8, 3, n, n), supersample)
    return out


class Shapes3D(FactorGridDataset):
    """A procedural look-alike of DeepMind's 3D Shapes, rendered on demand.

    The scene (world units, ``y`` up): an object of unit size stands on the floor
    ``y = 0`` at the origin; two vertical walls meet at a room corner ``(0, y, -2.8)``
    behind it, each at 45 degrees to the line of sight of orientation 0. A perspective
    camera (42 degree field of view) sits 4.2 units away at height 2.0, looking at
    ``(0, 0.7, 0)``. The orientation factor turns the camera about the vertical axis
    through the object by the orientation angle (positive: the camera moves to ``+x``),
    which is the same as turning the whole scene the other way: the object and the room
    corner rotate together, so the floor/wall boundary and the object's silhouette change.
    The scene is mirror-symmetric about ``x = 0``, so orientations ``-a`` and ``+a`` give
    left-right mirrored images.

    Shapes at scale 1: a cube of side 1 facing the camera at orientation 0; an upright
    cylinder of diameter 1 and height 1; a sphere of diameter 1; a capsule lying on the
    floor across the view (radius 0.32, axis length 0.84). The scale factor multiplies
    the object about its base point.

    Shading is diffuse (Lambert) under one directional light that follows the camera,
    coming from behind it at 55 degrees elevation, plus ambient light 0.35; there are no
    shadows. Each region is coloured with its fully saturated hue (HSV with S = 1) at a
    value equal to its shading, so the cube's and cylinder's faces, the two walls and the
    floor differ in brightness. Pixels are anti-aliased with ``supersample**2`` rays.

    Implementation: geometry and shading do not depend on the hues, so the
    shading-weighted coverage of the floor, wall and object layers is ray-cast once for
    every (orientation, shape, scale) -- a few seconds, cached per process -- and a batch
    is composited by gathering these layers and mixing the three hue colours.

    Known differences from the official images (rendered with MuJoCo): the exact camera,
    room size, light and object proportions are guesses from the published images, and
    there are no shadows or specular highlights.

    Args:
        supersample: Rays per pixel along each axis.
    """

    name = "shapes3d"
    shape = (3, _RES, _RES)
    value_range = (0.0, 1.0)
    on_demand = True
    factor_names = FACTOR_NAMES
    factor_sizes = FACTOR_SIZES

    def __init__(self, supersample: int = 4):
        if supersample < 1:
            raise DataError(f"shapes3d: supersample must be >= 1, got {supersample}")
        self.supersample = supersample
        self._colours = hue_to_rgb(shapes3d_factor_values(0).float())

    @property
    def layers(self) -> Tensor:
        """The ``(15, 4, 8, 3, 64, 64)`` floor, wall and object layers, indexed by
        (orientation, shape, scale, layer); computed once per process and shared, so
        read-only."""
        return _layers(self.supersample)

    def factor_values(self, k: int) -> Tensor:
        return shapes3d_factor_values(k)

    def render(self, factors: Tensor, chunk: int = 256) -> Tensor:
        """Renders the ``(B, 6)`` factor tuples as a ``(B, 3, 64, 64)`` float32 batch.

        Each image is ``sum_l colour_l * layer_l`` over the floor, wall and object layers.
        """
        factors = self.check_factors(factors)
        layers = self.layers.view(-1, 3, _RES * _RES)
        combo = (factors[:, 5] * 4 + factors[:, 4]) * 8 + factors[:, 3]
        colours = self._colours[factors[:, :3]].transpose(1, 2)
        out = torch.empty(len(factors), 3, _RES * _RES)
        for s in range(0, len(factors), chunk):
            torch.bmm(colours[s : s + chunk], layers[combo[s : s + chunk]], out=out[s : s + chunk])
        return out.view(-1, *self.shape)


class Shapes3DFile(FactorGridDataset):
    """The official 3D Shapes images, read from ``3dshapes.h5`` into memory.

    The file holds ``images`` (N, 64, 64, 3) uint8 and ``labels`` (N, 6) float64
    factor values. The class index of a value is its rank among the sorted distinct
    values of its column, and ``factor_sizes`` are the numbers of distinct values, so a
    smaller file with a reduced grid also loads. The file must hold every combination of
    these values exactly once; rows in another order are re-indexed to the usual order
    (last factor fastest). Images stay uint8 in memory (5.9 GB for the full file) and
    become float32 ``(B, 3, 64, 64)`` in [0, 1] on access.

    Args:
        path: The ``.h5`` file.
        chunk: Images read per step.
        progress: Show a progress bar while reading.
    """

    name = "shapes3d"
    shape = (3, _RES, _RES)
    value_range = (0.0, 1.0)
    factor_names = FACTOR_NAMES

    def __init__(self, path: str | Path, chunk: int = 20_000, progress: bool = False):
        self.path = Path(path)
        images, labels = _read_h5(self.path, chunk, progress)
        values, codes = zip(*(np.unique(np.round(col, 9), return_inverse=True) for col in labels.T))
        self._values = [torch.from_numpy(np.asarray(v, dtype=np.float64)) for v in values]
        self.factor_sizes = tuple(len(v) for v in values)
        if len(images) != math.prod(self.factor_sizes):
            raise DataError(
                f"{self.path}: {len(images)} images do not form the full grid of factor sizes "
                f"{list(self.factor_sizes)}; use an unmodified 3D Shapes file"
            )
        position = (torch.from_numpy(np.stack(codes, axis=1).astype(np.int64)) * self._strides).sum(1)
        if not torch.equal(position, torch.arange(len(images))):
            rows = torch.full((len(images),), -1, dtype=torch.long)
            rows[position] = torch.arange(len(images))
            if bool((rows < 0).any()):
                raise DataError(
                    f"{self.path}: some factor combinations repeat or are missing; "
                    "use an unmodified 3D Shapes file"
                )
            images = images[rows.numpy()]
        self._images = torch.from_numpy(images)

    def factor_values(self, k: int) -> Tensor:
        return self._values[k].clone()

    def _get(self, index: Tensor) -> Tensor:
        x = self._images[index].permute(0, 3, 1, 2)
        return torch.empty(x.shape).copy_(x).mul_(1.0 / 255.0)

    def render(self, factors: Tensor) -> Tensor:
        """Returns the stored images of the ``(B, 6)`` factor tuples."""
        return self._get(self.index_of(factors))


def _read_h5(path: Path, chunk: int, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    import h5py

    if not path.is_file():
        raise DataError(
            f"{path}: file not found; download {URL} there or call load_shapes3d(..., download=True)"
        )
    if not h5py.is_hdf5(path):
        raise DataError(f"{path}: not an HDF5 file; delete it and download {URL} again")
    try:
        with h5py.File(path, "r") as f:
            for key in ("images", "labels"):
                if key not in f or not isinstance(f[key], h5py.Dataset):
                    raise DataError(f"{path}: no dataset '{key}'; not a 3D Shapes file, download {URL}")
            images, labels = f["images"], f["labels"]
            if images.ndim != 4 or images.shape[1:] != (_RES, _RES, 3) or images.dtype != np.uint8:
                raise DataError(
                    f"{path}: 'images' must be uint8 (N, 64, 64, 3), got {images.dtype} {images.shape}; "
                    f"download an unmodified {URL}"
                )
            if labels.shape != (len(images), 6) or labels.dtype.kind != "f":
                raise DataError(
                    f"{path}: 'labels' must be float (N, 6) with N = {len(images)}, got {labels.dtype} "
                    f"{labels.shape}; download an unmodified {URL}"
                )
            out = np.empty(images.shape, dtype=np.uint8)
            steps = range(0, len(images), chunk)
            if progress:
                from tqdm.auto import tqdm

                steps = tqdm(steps, desc=f"reading {path.name}", unit="chunk", leave=False)
            for s in steps:
                images.read_direct(out, np.s_[s : s + chunk], np.s_[s : s + chunk])
            return out, np.asarray(labels[:], dtype=np.float64)
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e}); delete it and download {URL} again") from e


def download_shapes3d(path: str | Path, url: str = URL, timeout: float = 60.0) -> Path:
    """Downloads ``3dshapes.h5`` (255 MB) to ``path`` atomically, via a temporary file.

    Raises:
        DataError: If the download fails; nothing is left at ``path``.
    """
    return fetch(url, path, timeout=timeout)


def load_shapes3d(
    root: str | Path | None = None, split: str = "train", download: bool = False, **options
) -> GroundTruthDataset:
    """Returns the 3D Shapes dataset: rendered, or read from the official file.

    Args:
        root: ``None`` for the procedural :class:`Shapes3D`; else a ``.h5`` file or a
            directory holding ``3dshapes.h5``, read by :class:`Shapes3DFile`.
        split: Ignored: 3D Shapes has one split of all 480,000 images (hold out items
            with :func:`~vaelab.data.base.split_indices`).
        download: Download the file from :data:`URL` if it is absent.
        **options: Passed to the dataset class.
    """
    del split
    if root is None:
        return Shapes3D(**options)
    path = Path(root)
    if path.is_dir() or not path.suffix:
        path = path / FILENAME
    if download and not path.exists():
        download_shapes3d(path)
    return Shapes3DFile(path, **options)
