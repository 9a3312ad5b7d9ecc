r"""Your own data: a folder of images, a ``.npy`` / ``.npz`` array or an HDF5 file.

``vaelab train --dataset PATH`` (or ``vaelab.fit(data=PATH)``) stores the run's data as
``data: {name: own, root: /abs/PATH, options: {fingerprint: {...}, ...}}``. The fingerprint
(bytes, number of files and a SHA-256 of the content) is checked on every later load --
``--resume``, ``evaluate``, figures -- so a file changed after training is an error, not a
silent change of the numbers.

Images in a folder (PNG / JPEG, sub-folders at any depth, hidden files skipped, sorted by
relative path):

- **size**: ``data.options.size=S`` if given; otherwise ``S = 64`` when every image's
  shorter side is at least 64 pixels, ``32`` when it is at least 32, else the smallest
  shorter side. Each image is centre-cropped to a square on its shorter side and resized
  to ``S x S`` (bicubic). With ``data.options.resize=false`` nothing is cropped or
  resized and every image must have the size of the first, else an error names the
  first one that differs.
- **channels**: 1 when every file is stored as grayscale (PIL modes 1, L, LA, I, I;16,
  F), 3 otherwise; ``data.options.channels=1|3`` converts every image.
- the decoded images are kept as a uint8 ``.npy`` in ``$VAELAB_CACHE/own`` (default
  ``~/.cache/vaelab/own``), keyed by the folder's content hash and these options, so later
  loads (training, figures, evaluation) read one file.

Arrays (``.npy``, ``.npz`` -- the array named by ``data.options.key``, else the only one,
else ``images`` -- and HDF5 -- the dataset named by ``key``, else the only one):

- ``(N, H, W)`` (one channel), ``(N, H, W, C)`` or ``(N, C, H, W)`` with ``C`` in {1, 3}
  (``data.options.layout=nhwc|nchw`` settles an ambiguous shape), or ``(N, D)`` vectors;
- ``uint8`` (or integers in 0..255) map to [0, 1]; floats must lie in the declared
  ``data.options.value_range`` (default [0, 1] for images, unbounded for vectors) and be
  finite.

Labels for the downstream metrics: ``data.options.labels`` names a ``.npy`` / ``.txt`` /
``.csv`` file of one integer per item (in the order above) or an array of the same
``.npz`` / HDF5 file; an ``.npz`` with a ``labels`` array uses it by default.

Architecture by input size (:func:`own_defaults`): ``(1, 32, 32)`` the MNIST network of
AVAE Table VIII, ``(3, 32, 32)`` its CIFAR10 network, ``(3, 64, 64)`` its CelebA network,
``(1, 64, 64)`` the dSprites network of Table IX, anything else the MLP.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from vaelab.data.base import TensorDataset
from vaelab.errors import DataError
from vaelab.io import atomic_path

__all__ = [
    "OWN",
    "IMAGE_SUFFIXES",
    "ARRAY_SUFFIXES",
    "HDF5_SUFFIXES",
    "looks_like_path",
    "image_files",
    "fingerprint",
    "check_fingerprint",
    "as_images",
    "load_own",
    "own_defaults",
]

OWN = "own"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ARRAY_SUFFIXES = (".npy", ".npz")
HDF5_SUFFIXES = (".h5", ".hdf5")
GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})
LAYOUTS = ("nhwc", "nchw")
_CACHE_VERSION = 1

# Input shape -> (architecture, latent size): the seeds' networks for the sizes they were made for.
_NETWORKS = {
    (1, 32, 32): ("mnist", 16),
    (3, 32, 32): ("cifar10", 128),
    (3, 64, 64): ("celeba", 64),
    (1, 64, 64): ("dsprites", 16),
}
_MLP_LATENT = 16


def looks_like_path(name: str) -> bool:
    """Whether a ``--dataset`` value names a file or folder rather than a registered dataset."""
    return os.sep in name or "/" in name or Path(name).suffix.lower() in (*ARRAY_SUFFIXES, *HDF5_SUFFIXES) \
        or Path(name).exists()


def image_files(folder: Path) -> list[Path]:
    """The PNG / JPEG files under ``folder`` at any depth, hidden ones skipped, sorted by relative path."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found += [Path(dirpath) / f for f in filenames
                  if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _hash_file(path: Path, digest: Any) -> int:
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size


def fingerprint(path: str | Path) -> dict[str, Any]:
    """Size and content hash of a data file, or of the images of a folder (their relative paths
    and contents): ``{"bytes": ..., "files": ..., "sha256": ...}``."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        files = image_files(path)
        size = 0
        for f in files:
            digest.update(f.relative_to(path).as_posix().encode() + b"\0")
            size += _hash_file(f, digest)
        return {"bytes": size, "files": len(files), "sha256": digest.hexdigest()}
    return {"bytes": _hash_file(path, digest), "files": 1, "sha256": digest.hexdigest()}


def check_fingerprint(path: Path, expected: dict[str, Any] | None) -> dict[str, Any]:
    """Returns the fingerprint of ``path``; raises :class:`DataError` when it is not the ``expected`` one."""
    now = fingerprint(path)
    if expected is None or now == dict(expected):
        return now
    what = "folder" if path.is_dir() else "file"
    diff = ", ".join(f"{k} {expected.get(k)} -> {now[k]}" for k in ("files", "bytes") if expected.get(k) != now[k])
    raise DataError(f"dataset {what} {path} changed since the run was made ({diff or 'same size, other content'}); "
                    f"restore the original data or train a new run on the new data")


def _range(value_range: Any) -> tuple[float, float] | None:
    if value_range is None:
        return None
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise DataError(f"value_range must be two numbers [low, high], got {value_range!r}") from None
    if not lo < hi:
        raise DataError(f"value_range needs low < high, got {value_range!r}")
    return lo, hi


def as_images(array: Any, source: str, value_range: Sequence[float] | None = None,
              layout: str | None = None) -> tuple[Tensor, tuple[float, float] | None]:
    """Checks an array of images (or vectors) and returns it as an ``(N, C, H, W)`` (or ``(N, D)``)
    tensor -- uint8, or float32 within its range -- with the value range it is read in.

    Args:
        array: ``(N, H, W)``, ``(N, H, W, C)``, ``(N, C, H, W)`` or ``(N, D)``; NumPy or torch.
        source: What to call the data in errors (a file name, ``"the array"``).
        value_range: The declared range of float values (default [0, 1] for images, none for vectors).
        layout: ``"nhwc"`` or ``"nchw"`` for a 4-D array whose channel axis is ambiguous.
    """
    x = array.detach().cpu().numpy() if isinstance(array, Tensor) else np.asarray(array)
    if layout is not None and layout not in LAYOUTS:
        raise DataError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if x.ndim not in (2, 3, 4):
        raise DataError(f"{source} has shape {x.shape} (rank {x.ndim}); expected (N, H, W), (N, H, W, C), "
                        f"(N, C, H, W) images or (N, D) vectors")
    if len(x) < 2:
        raise DataError(f"{source} holds {len(x)} item(s); training needs at least 2")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4:
        last, first = x.shape[-1] in (1, 3), x.shape[1] in (1, 3)
        if layout is None:
            if last == first:
                raise DataError(f"{source} has shape {x.shape}: " + ("both axis 1 and axis 3 could be the channels"
                                if last else "no channel axis of size 1 or 3 (axis 1 or 3)")
                                + "; set data.options.layout to nhwc or nchw" * last)
            layout = "nhwc" if last else "nchw"
        if x.shape[-1 if layout == "nhwc" else 1] not in (1, 3):
            raise DataError(f"{source} has shape {x.shape}: {layout} images need 1 or 3 channels")
        if layout == "nhwc":
            x = x.transpose(0, 3, 1, 2)
    if x.dtype == np.bool_:
        x = x.astype(np.uint8) * 255
    if np.issubdtype(x.dtype, np.integer) and x.dtype != np.uint8:
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi > 255:
            raise DataError(f"{source} holds integers in [{lo}, {hi}]; integer images are read as 0..255 -- "
                            f"store uint8, or floats in their range")
        x = x.astype(np.uint8)
    if x.dtype == np.uint8:
        if value_range is not None and _range(value_range) != (0.0, 1.0):
            raise DataError(f"{source} is uint8 (0..255, read as [0, 1]); value_range applies to float data only")
        return torch.from_numpy(np.ascontiguousarray(x)), (0.0, 1.0)
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(f"{source} has dtype {x.dtype}; expected uint8, integers or floats")
    x = np.ascontiguousarray(x, dtype=np.float32)
    finite = np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if not finite.all():
        raise DataError(f"{source} holds NaN or infinite values (first in item {int(np.argmin(finite))}); "
                        f"remove or fix those items")
    declared = _range(value_range) if value_range is not None else (None if x.ndim == 2 else (0.0, 1.0))
    if declared is not None:
        lo, hi = float(x.min()), float(x.max())
        tol = 1e-6 * max(1.0, declared[1] - declared[0])
        if lo < declared[0] - tol or hi > declared[1] + tol:
            raise DataError(f"{source} holds values in [{lo:.4g}, {hi:.4g}], outside the declared range "
                            f"[{declared[0]:g}, {declared[1]:g}]; rescale the data or declare its range "
                            f"(data.options.value_range, as [low, high])")
    return torch.from_numpy(x), declared


def _read_image(path: Path) -> Any:
    from PIL import Image

    try:
        img = Image.open(path)
        img.load()
    except Exception as e:  # PIL raises many types for a broken file
        raise DataError(f"image {path} is unreadable ({type(e).__name__}: {e}); remove or replace it") from None
    return img


def _load_folder(folder: Path, size: int | None, channels: int | None, resize: bool) -> np.ndarray:
    from PIL import Image

    files = image_files(folder)
    if not files:
        raise DataError(f"folder {folder} holds no PNG or JPEG images (sub-folders searched too); "
                        f"point --dataset at a folder of .png / .jpg files")
    if channels not in (None, 1, 3):
        raise DataError(f"channels must be 1 or 3, got {channels!r}")
    if size is not None and (not isinstance(size, int) or size < 1):
        raise DataError(f"size must be a positive integer, got {size!r}")
    if size is not None and not resize:
        raise DataError("size and resize=false contradict each other; drop one")
    images = [_read_image(p) for p in files]
    if channels is None:
        channels = 1 if all(img.mode in GRAY_MODES for img in images) else 3
    mode = "L" if channels == 1 else "RGB"
    if not resize:
        first = images[0].size
        for p, img in zip(files, images):
            if img.size != first:
                raise DataError(f"image {p} is {img.size[0]}x{img.size[1]}, {files[0].name} is "
                                f"{first[0]}x{first[1]}; with resize=false every image needs the same size")
        arrays = [np.asarray(img.convert(mode)) for img in images]
    else:
        side = size or _default_side(min(min(img.size) for img in images))
        arrays = []
        for img in images:
            w, h = img.size
            m = min(w, h)
            img = img.convert(mode)
            if (w, h) != (m, m):
                img = img.crop(((w - m) // 2, (h - m) // 2, (w - m) // 2 + m, (h - m) // 2 + m))
            if m != side:
                img = img.resize((side, side), Image.Resampling.BICUBIC)
            arrays.append(np.asarray(img))
    x = np.stack(arrays)
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def _cached_folder(folder: Path, fp: dict[str, Any], size: int | None, channels: int | None,
                   resize: bool) -> np.ndarray:
    """:func:`_load_folder`, through a uint8 ``.npy`` in ``$VAELAB_CACHE/own`` keyed by the folder's
    content hash and the reading options, so that a run decodes its images once."""
    key = hashlib.sha256(json.dumps([_CACHE_VERSION, fp["sha256"], size, channels, resize]).encode()).hexdigest()
    path = Path(os.environ.get("VAELAB_CACHE") or Path.home() / ".cache" / "vaelab").expanduser() / "own" / \
        f"{key[:24]}.npy"
    try:
        x = np.load(path, allow_pickle=False)
        if x.dtype == np.uint8 and x.ndim == 4 and len(x) == fp["files"]:
            return x
    except (OSError, ValueError):
        pass
    x = _load_folder(folder, size, channels, resize)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, x)
    except OSError:
        pass  # no cache where none can be written
    return x


def _default_side(shortest: int) -> int:
    return 64 if shortest >= 64 else 32 if shortest >= 32 else shortest


def _hdf5_datasets(f: Any) -> list[str]:
    import h5py

    names: list[str] = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return names


def _pick_key(path: Path, keys: list[str], key: str | None, exclude: str | None = None) -> str:
    if key is not None:
        if key not in keys:
            raise DataError(f"{path} has no array {key!r}; it holds: {', '.join(keys) or 'nothing'}")
        return key
    candidates = [k for k in keys if k != exclude]
    if len(candidates) == 1:
        return candidates[0]
    if "images" in candidates:
        return "images"
    raise DataError(f"{path} holds several arrays ({', '.join(keys)}); name one with data.options.key"
                    if candidates else f"{path} holds no array")


def _load_file(path: Path, key: str | None, labels: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Reads the image array of a ``.npy`` / ``.npz`` / HDF5 file, and the labels array the file
    holds when ``labels`` names one (or, for ``.npz``, when it has a ``labels`` array)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            if key is not None:
                raise DataError(f"{path} is a .npy file with a single array; drop data.options.key")
            return np.load(path, allow_pickle=False), None
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as f:
                keys = list(f.keys())
                name = _pick_key(path, keys, key, exclude="labels")
                label_key = labels if isinstance(labels, str) and labels in keys else \
                    ("labels" if labels is None and "labels" in keys and name != "labels" else None)
                return f[name], None if label_key is None else f[label_key]
        import h5py

        with h5py.File(path, "r") as f:
            keys = _hdf5_datasets(f)
            name = _pick_key(path, keys, key)
            label_key = labels if isinstance(labels, str) and labels in keys else None
            return f[name][()], None if label_key is None else f[label_key][()]
    except DataError:
        raise
    except Exception as e:  # numpy / h5py raise many types for a corrupt file
        raise DataError(f"{path} is unreadable as {suffix} ({type(e).__name__}: {e}); check the file") from None


def _read_labels(spec: Any, n: int, inline: np.ndarray | None, base: Path) -> Tensor | None:
    if inline is not None:
        y = np.asarray(inline)
        where = "the labels array"
    elif spec is None:
        return None
    else:
        path = Path(str(spec)).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise DataError(f"labels file {spec} does not exist (nor an array of that name in the data file)")
        try:
            y = np.load(path, allow_pickle=False) if path.suffix.lower() == ".npy" else \
                np.loadtxt(path, delimiter="," if path.suffix.lower() == ".csv" else None, ndmin=1)
        except Exception as e:  # numpy raises many types for a malformed file
            raise DataError(f"labels file {path} is unreadable ({type(e).__name__}: {e})") from None
        where = f"labels file {path}"
    y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"{where} has shape {y.shape}; expected one label per item ({n})")
    if not np.all(np.isfinite(y)) or not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0:
        raise DataError(f"{where} must hold non-negative integer class labels")
    return torch.as_tensor(y.astype(np.int64))


def load_own(
    root: str | Path | None,
    split: str = "train",
    download: bool = False,
    *,
    fingerprint: dict[str, Any] | None = None,
    key: str | None = None,
    labels: Any = None,
    size: int | None = None,
    channels: int | None = None,
    resize: bool = True,
    value_range: Sequence[float] | None = None,
    layout: str | None = None,
) -> TensorDataset:
    """Loads your own data from a folder of images, a ``.npy`` / ``.npz`` array or an HDF5 file.

    Args:
        root: The folder or file.
        split: Ignored: own data has one split, of which a run holds out ``data.val_fraction``.
        download: Ignored (nothing to download).
        fingerprint: The run's record of the data (:func:`fingerprint`); a mismatch is an error.
        key: Array name inside an ``.npz`` / HDF5 file.
        labels: Labels file, or array name inside the data file.
        size: Side of the square images a folder is resized to (module docstring).
        channels: 1 or 3 to convert a folder's images (default: detected).
        resize: ``False``: a folder's images must all have one size and stay as they are.
        value_range: Declared range of float arrays.
        layout: ``"nhwc"`` / ``"nchw"`` for an ambiguous 4-D array.

    Returns:
        A dataset named ``"own"`` of uint8 (or float32) items with its labels, if any.
    """
    if root is None:
        raise DataError("own data needs a path: --dataset PATH (a folder of images, .npy / .npz or .h5 file)")
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(f"dataset path {path} does not exist; give a folder of images, a .npy / .npz or .h5 file")
    if not path.is_dir() and path.suffix.lower() not in (*ARRAY_SUFFIXES, *HDF5_SUFFIXES):
        raise DataError(f"{path} is neither a folder of images nor a .npy / .npz / .h5 / .hdf5 file")
    now = check_fingerprint(path, fingerprint)
    if path.is_dir():
        if key is not None or layout is not None:
            raise DataError("key and layout apply to array files, not to a folder of images")
        x, inline = _cached_folder(path, now, size, channels, resize), None
        source = f"folder {path}"
    else:
        if size is not None or channels is not None or not resize:
            raise DataError("size, channels and resize apply to a folder of images, not to an array file")
        x, inline = _load_file(path, key, labels)
        source = str(path)
    images, vr = as_images(x, source, value_range, layout)
    y = _read_labels(None if inline is not None else labels, len(images), inline,
                     path if path.is_dir() else path.parent)
    return TensorDataset(images, OWN, vr, y)


def own_defaults(shape: Sequence[int]) -> dict[str, Any]:
    """Architecture, latent size and likelihood for own data of item shape ``shape`` (module docstring)."""
    architecture, latent = _NETWORKS.get(tuple(shape), ("mlp", _MLP_LATENT))
    return {"architecture": architecture, "latent_dim": latent, "likelihood": "gaussian"}
