"""Loaders for real image datasets stored in their standard file formats.

Every loader has the signature ``load_x(root=None, split="train", download=False, **options)``
and returns a :class:`~vaelab.data.base.TensorDataset` holding ``uint8`` images of shape
``(N, C, H, W)`` (and class labels when the format has them). ``split`` is ``"train"`` or
``"test"``. Without ``root`` the data is looked for in ``$VAELAB_DATA/<name>``.

=============  =====================================  ===========  ============  ========
name           files                                  shape        value range   download
=============  =====================================  ===========  ============  ========
``mnist``      IDX files, raw or ``.gz``              (1, 32, 32)  (0, 1)        yes
``cifar10``    ``cifar-10-batches-py`` pickles        (3, 32, 32)  (0, 1)        yes
``celeba``     ``img_align_celeba/*.jpg``             (3, 64, 64)  (-1, 1)       no
``imagenet32`` ``train_data_batch_*.npz``, ``val_*``  (3, 32, 32)  (0, 1)        no
=============  =====================================  ===========  ============  ========

Every missing, truncated or malformed file raises :class:`~vaelab.errors.DataError` with
one line naming the file, the problem and what to do.

Example:
    >>> train = load_mnist("~/data/mnist", download=True)  # doctest: +SKIP
    >>> train.images([0, 1]).shape  # doctest: +SKIP
    torch.Size([2, 1, 32, 32])
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import tarfile
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from vaelab.data.base import Dataset, TensorDataset, split_indices
from vaelab.data.download import download as fetch
from vaelab.errors import DataError
from vaelab.io import umask_mode

__all__ = ["load_mnist", "load_cifar10", "load_celeba", "load_imagenet32", "LOADERS"]

PathLike = str | os.PathLike

_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
_CIFAR10_DIR = "cifar-10-batches-py"
_CIFAR10_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
_CELEBA_DIR = "img_align_celeba"
_CELEBA_URL = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
_CELEBA_PARTITION = "list_eval_partition.txt"
_CELEBA_CROP = 140
_CELEBA_SIZE = 64
_IMAGENET32_FILES = {
    "train": tuple(f"train_data_batch_{i}.npz" for i in range(1, 11)),
    "test": ("val_data.npz",),
}
_IMAGENET32_DIRS = (".", "Imagenet32_train_npz", "Imagenet32_val_npz")
_IMAGENET32_URL = "https://image-net.org/download-images.php"
_TIMEOUT = 30.0


def _resolve_root(root: PathLike | None, name: str) -> Path:
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("VAELAB_DATA")
    if env:
        return Path(env).expanduser() / name
    raise DataError(
        f"{name}: no data folder given; pass root=... (CLI: --data-root DIR) or set $VAELAB_DATA "
        f"so that the files are looked for in $VAELAB_DATA/{name}"
    )


def _check_split(split: str, name: str) -> None:
    if split not in ("train", "test"):
        raise DataError(f"{name}: split must be 'train' or 'test', got {split!r}")


def _count(n: int, limit: int | None, option: str, name: str) -> int:
    """Returns how many of ``n`` items to keep under the cap ``limit``."""
    if limit is None:
        return n
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise DataError(f"{name}: {option} must be a positive integer, got {limit!r}")
    return min(n, limit)


def _read_idx(path: Path, magic: int, name: str) -> np.ndarray:
    """Reads an IDX file (raw or gzip) of unsigned bytes with the given magic number."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{name}: cannot read {path} ({e}); delete it and download it again") from None
    ndim = magic & 0xFF
    if len(raw) < 4 or int.from_bytes(raw[:4], "big") != magic or len(raw) < 4 + 4 * ndim:
        raise DataError(
            f"{name}: {path} is not an IDX file with magic number {magic}; "
            "delete it and download it again"
        )
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = 4 + 4 * ndim + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(
            f"{name}: {path} has {len(raw)} bytes but its header {dims} needs {expected} "
            "(truncated or corrupt); delete it and download it again"
        )
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find_mnist(root: Path, stem: str, download: bool) -> Path:
    for folder in (root, root / "MNIST" / "raw"):
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    if not download:
        raise DataError(
            f"mnist: {stem}[.gz] not found in {root}; pass download=True (CLI: data.download=true) or put the "
            "IDX files there"
        )
    path = root / f"{stem}.gz"
    fetch([url + path.name for url in _MNIST_MIRRORS], path, _MNIST_MD5[path.name], timeout=_TIMEOUT)
    return path


def load_mnist(
    root: PathLike | None = None,
    split: str = "train",
    download: bool = False,
    *,
    reduced: int | None = None,
    max_items: int | None = None,
    size: int = 32,
) -> Dataset:
    """Loads MNIST from its IDX files, padded to 32x32 as in the AVAE paper's network.

    Each 28x28 digit is placed at ``[2:30, 2:30]`` of a zero 32x32 image; ``size=28`` keeps
    the digits as they are (the input of VCAE Table 4's MNIST network).

    Args:
        root: Folder with ``train-images-idx3-ubyte`` etc., raw or ``.gz`` (also searched in
            ``root/MNIST/raw``). Defaults to ``$VAELAB_DATA/mnist``.
        split: ``"train"`` (60000 images) or ``"test"`` (10000).
        download: Fetch missing files from a public mirror.
        reduced: Keep only the first ``reduced`` training images (ReducedMNIST of the VCAE
            paper uses 600); the test split is unaffected.
        max_items: Keep only the first ``max_items`` images of either split.
        size: 32 (padded, default) or 28 (unpadded).

    Returns:
        A ``TensorDataset`` named ``"mnist"`` of ``(N, 1, size, size)`` uint8 images with labels.
    """
    _check_split(split, "mnist")
    if size not in (28, 32):
        raise DataError(f"mnist: size must be 28 (the digits as stored) or 32 (padded), got {size!r}")
    root = _resolve_root(root, "mnist")
    image_stem, label_stem = _MNIST_FILES[split]
    image_path = _find_mnist(root, image_stem, download)
    label_path = _find_mnist(root, label_stem, download)
    images = _read_idx(image_path, 2051, "mnist")
    labels = _read_idx(label_path, 2049, "mnist")
    if images.shape[1:] != (28, 28):
        raise DataError(f"mnist: {image_path} holds {images.shape[1:]} images, expected 28x28 digits")
    if len(images) != len(labels):
        raise DataError(
            f"mnist: {image_path} has {len(images)} images but {label_path} has {len(labels)} labels; "
            "the files are from different sets, download them again"
        )
    if labels.size and labels.max() > 9:
        raise DataError(f"mnist: {label_path} has labels above 9; delete it and download it again")
    n = _count(len(images), max_items, "max_items", "mnist")
    if split == "train":
        n = _count(n, reduced, "reduced", "mnist")
    pad = (size - 28) // 2
    data = np.zeros((n, 1, size, size), np.uint8)
    data[:, 0, pad:pad + 28, pad:pad + 28] = images[:n]
    labels = torch.from_numpy(labels[:n].astype(np.int64))
    return TensorDataset(torch.from_numpy(data), "mnist", (0.0, 1.0), labels)


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that only builds numpy arrays and plain containers."""

    _allowed = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _read_pickled_batch(path: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Reads one CIFAR batch: a pickled dict with ``data`` (n, 3072) uint8 and ``labels``."""
    again = "delete it and download it again"
    try:
        with open(path, "rb") as f:
            batch = _ArrayUnpickler(f, encoding="bytes").load()
    except Exception as e:
        raise DataError(f"{name}: cannot unpickle {path} ({e}); {again}") from None
    if not isinstance(batch, dict):
        raise DataError(f"{name}: {path} holds a {type(batch).__name__}, not a batch dict; {again}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise DataError(f"{name}: {path} has no 'data' and 'labels' entries; {again}")
    data = batch["data"]
    if not isinstance(data, np.ndarray):
        raise DataError(f"{name}: {path} data is a {type(data).__name__}, expected a uint8 array; {again}")
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        desc = f"{data.dtype} {data.shape}"
        raise DataError(f"{name}: {path} data is {desc}, expected uint8 (N, 3072); {again}")
    try:
        labels = np.asarray(batch["labels"], dtype=np.int64).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"{name}: {path} labels are not integers; {again}") from None
    if len(labels) != len(data):
        raise DataError(f"{name}: {path} has {len(data)} images but {len(labels)} labels; {again}")
    return data, labels


def _stack(
    paths: Iterable[Path],
    read: Callable[[Path], tuple[np.ndarray, np.ndarray]],
    limit: int | None,
    name: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reads ``(N, 3072)`` batches until ``limit`` rows are collected; returns (N, 3, 32, 32) images."""
    datas, labels, total = [], [], 0
    for path in paths:
        data, label = read(path)
        datas.append(data)
        labels.append(label)
        total += len(data)
        if limit is not None and total >= limit:
            break
    n = _count(total, limit, "max_items", name)
    data = np.concatenate(datas)[:n].reshape(n, 3, 32, 32)
    return torch.from_numpy(data), torch.from_numpy(np.concatenate(labels)[:n])


def _extract_tar(archive: Path, dest: Path, member_dir: str) -> None:
    """Extracts ``member_dir`` from a tar archive into ``dest`` safely and atomically."""
    with tempfile.TemporaryDirectory(dir=dest, prefix=".extract-") as tmp:
        try:
            with tarfile.open(archive) as tar:
                members = tar.getmembers()
                for m in members:
                    parts = Path(m.name).parts
                    if m.name.startswith("/") or ".." in parts or not (m.isfile() or m.isdir()):
                        raise DataError(f"{archive} contains an unsafe entry {m.name!r}; delete it")
                safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, members, **safe)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
            raise DataError(f"cannot extract {archive} ({e}); delete it and download it again") from None
        if not (Path(tmp) / member_dir).is_dir():
            raise DataError(f"{archive} has no {member_dir}/ folder; delete it and download it again")
        os.replace(Path(tmp) / member_dir, dest / member_dir)


def _cifar_dir(root: Path, download: bool) -> Path:
    if (root / _CIFAR10_DIR).is_dir():
        return root / _CIFAR10_DIR
    if root.is_dir() and any((root / f).is_file() for f in ("data_batch_1", "test_batch")):
        return root
    if not download:
        raise DataError(
            f"cifar10: no {_CIFAR10_DIR} folder in {root}; pass download=True (CLI: data.download=true) or "
            f"extract cifar-10-python.tar.gz there"
        )
    archive = root / "cifar-10-python.tar.gz"
    if not archive.is_file():
        fetch([_CIFAR10_URL], archive, _CIFAR10_MD5, timeout=_TIMEOUT)
    _extract_tar(archive, root, _CIFAR10_DIR)
    archive.unlink()
    return root / _CIFAR10_DIR


def load_cifar10(
    root: PathLike | None = None,
    split: str = "train",
    download: bool = False,
    *,
    max_items: int | None = None,
) -> Dataset:
    """Loads CIFAR10 from the python pickle batches.

    Args:
        root: The ``cifar-10-batches-py`` folder or its parent. Defaults to
            ``$VAELAB_DATA/cifar10``.
        split: ``"train"`` (``data_batch_1..5``, 50000 images) or ``"test"`` (``test_batch``).
        download: Fetch and extract the archive from the official site if it is missing.
        max_items: Keep only the first ``max_items`` images.

    Returns:
        A ``TensorDataset`` named ``"cifar10"`` of ``(N, 3, 32, 32)`` uint8 images with labels.
    """
    _check_split(split, "cifar10")
    folder = _cifar_dir(_resolve_root(root, "cifar10"), download)
    paths = [folder / f for f in _CIFAR10_FILES[split]]
    for path in paths:
        if not path.is_file():
            raise DataError(f"cifar10: {path} is missing; extract cifar-10-python.tar.gz again")

    def read(path: Path) -> tuple[np.ndarray, np.ndarray]:
        data, labels = _read_pickled_batch(path, "cifar10")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataError(f"cifar10: {path} has labels outside 0..9; delete it and download it again")
        return data, labels

    data, labels = _stack(paths, read, max_items, "cifar10")
    return TensorDataset(data, "cifar10", (0.0, 1.0), labels)


def _celeba_split(folder: Path, names: list[str], split: str) -> list[str]:
    """Selects the file names of ``split``: official partition if present, else a 90/10 split."""
    candidates = [d / _CELEBA_PARTITION for d in (folder, folder.parent, folder.parent / "Eval")]
    partition_file = next((p for p in candidates if p.is_file()), None)
    if partition_file is None:
        train, test = split_indices(len(names), val_fraction=0.1, seed=0)
        keep = (train if split == "train" else test).sort().values
        return [names[i] for i in keep.tolist()]
    partition = {}
    try:
        lines = partition_file.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"celeba: cannot read {partition_file} ({e})") from None
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DataError(
                f"celeba: {partition_file} line {lineno} is {line!r}, expected '<file> <0|1|2>'; "
                "download the file again"
            )
        partition[fields[0]] = fields[1]
    wanted = "0" if split == "train" else "2"
    return [name for name in names if partition.get(name) == wanted]


def _cache_dir() -> Path:
    path = Path(os.environ.get("VAELAB_CACHE") or Path.home() / ".cache" / "vaelab").expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(
            f"cannot create the cache folder {path} ({e}); set $VAELAB_CACHE to a writable folder"
        ) from None
    return path


def _celeba_image(path: Path) -> np.ndarray:
    """Decodes one aligned CelebA image, centre-crops it to 140x140 and resizes it to 64x64."""
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
    except Exception as e:
        raise DataError(f"celeba: cannot decode {path} ({e}); delete or replace the file") from None
    w, h = img.size
    if w < _CELEBA_CROP or h < _CELEBA_CROP:
        raise DataError(f"celeba: {path} is {w}x{h}, smaller than the {_CELEBA_CROP}px crop; remove it")
    left, top = (w - _CELEBA_CROP) // 2, (h - _CELEBA_CROP) // 2
    img = img.crop((left, top, left + _CELEBA_CROP, top + _CELEBA_CROP))
    img = img.resize((_CELEBA_SIZE, _CELEBA_SIZE), Image.BILINEAR)
    return np.asarray(img).transpose(2, 0, 1)


def _build_cache(folder: Path, names: list[str], path: Path) -> None:
    """Decodes ``names`` into a ``(N, 3, 64, 64)`` uint8 ``.npy`` file written atomically."""
    header = {"descr": "|u1", "fortran_order": False, "shape": (len(names), 3, _CELEBA_SIZE, _CELEBA_SIZE)}
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.lib.format.write_array_header_1_0(f, header)
            for name in tqdm(names, desc="caching celeba", unit="img", disable=not sys.stderr.isatty()):
                f.write(_celeba_image(folder / name).tobytes())
        umask_mode(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise DataError(
            f"celeba: cannot write the cache {path} ({e}); free some space or set $VAELAB_CACHE"
        ) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _load_cache(path: Path, n: int) -> np.ndarray | None:
    try:
        data = np.load(path, mmap_mode="c")
    except (OSError, ValueError):
        return None
    if data.dtype != np.uint8 or data.shape != (n, 3, _CELEBA_SIZE, _CELEBA_SIZE):
        return None
    return data


def load_celeba(
    root: PathLike | None = None,
    split: str = "train",
    download: bool = False,
    *,
    max_items: int | None = None,
) -> Dataset:
    """Loads aligned CelebA, centre-cropped to 140x140 and resized to 64x64.

    Decoding is done once: the pre-processed images are cached as a ``.npy`` file in
    ``$VAELAB_CACHE`` (default ``~/.cache/vaelab``), keyed by the image folder's absolute
    path and its list of file names, and memory-mapped afterwards. The cache is not
    rebuilt when an image changes but keeps its name; delete the file to force it.

    Splits follow ``list_eval_partition.txt`` when it lies in the image folder or its
    parent (``train`` is partition 0, 162770 images; ``test`` is partition 2; the
    validation partition 1 is not used); without it the sorted files are split 90/10
    with a fixed seed.

    Args:
        root: The ``img_align_celeba`` folder or its parent. Defaults to
            ``$VAELAB_DATA/celeba``.
        split: ``"train"`` or ``"test"``.
        download: Not supported (CelebA needs a manual download); a missing folder is an
            error either way.
        max_items: Keep (and decode) only the first ``max_items`` images of the split.

    Returns:
        A ``TensorDataset`` named ``"celeba"`` of ``(N, 3, 64, 64)`` uint8 images in (-1, 1).
    """
    _check_split(split, "celeba")
    root = _resolve_root(root, "celeba")
    folder = root / _CELEBA_DIR if (root / _CELEBA_DIR).is_dir() else root
    names = []
    if folder.is_dir():
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not names:
        raise DataError(
            f"celeba: no images in {folder}; CelebA cannot be downloaded automatically"
            f"{' (download=True ignored)' if download else ''}: get img_align_celeba.zip and "
            f"list_eval_partition.txt from {_CELEBA_URL} and unzip them into {root}"
        )
    names = _celeba_split(folder, names, split)
    if not names:
        raise DataError(
            f"celeba: no image of {folder} belongs to the {split} partition; check {_CELEBA_PARTITION}"
        )
    names = names[: _count(len(names), max_items, "max_items", "celeba")]
    key = "\n".join([str(folder.resolve()), f"crop={_CELEBA_CROP} size={_CELEBA_SIZE}", *names])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = _cache_dir() / f"celeba-{split}-{len(names)}-{digest}.npy"
    data = _load_cache(path, len(names)) if path.is_file() else None
    if data is None:
        _build_cache(folder, names, path)
        data = _load_cache(path, len(names))
    if data is None:
        raise DataError(f"celeba: the cache {path} cannot be read back; delete it and try again")
    return TensorDataset(torch.from_numpy(data), "celeba", (-1.0, 1.0))


def _read_npz_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads one ImageNet32 batch and converts its 1-indexed labels to 0-indexed."""
    again = "delete it and download it again"
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            if "data" not in npz.files or "labels" not in npz.files:
                problem = f"has keys {npz.files}, expected 'data' and 'labels'"
                raise DataError(f"imagenet32: {path} {problem}; {again}")
            data, labels = npz["data"], npz["labels"]
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"imagenet32: cannot read {path} ({e}); {again}") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        desc = f"{data.dtype} {data.shape}"
        raise DataError(f"imagenet32: {path} data is {desc}, expected uint8 (N, 3072); {again}")
    if labels.dtype.kind not in "iu" or labels.ndim != 1 or len(labels) != len(data):
        desc = f"{labels.dtype} {labels.shape}"
        raise DataError(f"imagenet32: {path} has {len(data)} images but labels {desc}; {again}")
    if labels.size and (labels.min() < 1 or labels.max() > 1000):
        raise DataError(f"imagenet32: {path} labels are not in 1..1000; {again}")
    return data, labels.astype(np.int64) - 1


def load_imagenet32(
    root: PathLike | None = None,
    split: str = "train",
    download: bool = False,
    *,
    max_items: int | None = None,
) -> Dataset:
    """Loads downsampled ImageNet 32x32 (Chrabaszcz et al., 2017) from its npz batches.

    Args:
        root: Folder with ``train_data_batch_1.npz`` .. ``train_data_batch_10.npz`` and
            ``val_data.npz`` (also searched in ``Imagenet32_train_npz/`` and
            ``Imagenet32_val_npz/``). Defaults to ``$VAELAB_DATA/imagenet32``.
        split: ``"train"`` (1281167 images) or ``"test"`` (the 50000 validation images).
        download: Not supported (ImageNet needs an account); missing files are an error.
        max_items: Keep only the first ``max_items`` images; only the batches needed are read.

    Returns:
        A ``TensorDataset`` named ``"imagenet32"`` of ``(N, 3, 32, 32)`` uint8 images with
        0-indexed labels.
    """
    _check_split(split, "imagenet32")
    root = _resolve_root(root, "imagenet32")

    def find(file: str) -> Path:
        for sub in _IMAGENET32_DIRS:
            if (root / sub / file).is_file():
                return root / sub / file
        raise DataError(
            f"imagenet32: {file} not found in {root}; ImageNet32 cannot be downloaded automatically"
            f"{' (download=True ignored)' if download else ''}: get Imagenet32_train_npz.zip and "
            f"Imagenet32_val_npz.zip from {_IMAGENET32_URL} and unzip them into {root}"
        )

    files = _IMAGENET32_FILES[split]
    paths = (find(f) for f in files)
    data, labels = _stack(paths, _read_npz_batch, max_items, "imagenet32")
    return TensorDataset(data, "imagenet32", (0.0, 1.0), labels)


LOADERS: dict[str, Callable[..., Dataset]] = {
    "mnist": load_mnist,
    "cifar10": load_cifar10,
    "celeba": load_celeba,
    "imagenet32": load_imagenet32,
}
