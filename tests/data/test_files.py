"""Tests for the real-dataset file loaders, on small files written in the real formats."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
from PIL import Image

from vaelab.data import files
from vaelab.data.files import load_celeba, load_cifar10, load_imagenet32, load_mnist
from vaelab.errors import DataError


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path / "cache"))


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(root, split="train", n=20, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(1, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    stems = files._MNIST_FILES[split]
    root.mkdir(parents=True, exist_ok=True)
    for stem, array in zip(stems, (images, labels)):
        raw = idx_bytes(array)
        if gz:
            (root / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (root / stem).write_bytes(raw)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_pads_to_32(tmp_path, gz):
    images, labels = write_mnist(tmp_path, gz=gz)
    ds = load_mnist(tmp_path)
    assert ds.name == "mnist" and len(ds) == 20 and ds.shape == (1, 32, 32)
    assert ds.data.dtype == torch.uint8 and ds.value_range == (0.0, 1.0)
    assert torch.equal(ds.data[:, 0, 2:30, 2:30], torch.from_numpy(images))
    border = ds.data.clone()
    border[:, :, 2:30, 2:30] = 0
    assert int(border.sum()) == 0
    assert ds.labels.dtype == torch.int64 and ds.labels.tolist() == labels.tolist()
    x = ds.images([0, 1])
    assert x.dtype == torch.float32 and x.shape == (2, 1, 32, 32)
    assert float(x.min()) == 0.0 and float(x.max()) <= 1.0
    assert torch.allclose(x[0, 0, 2:30, 2:30], torch.from_numpy(images[0]).float() / 255)


def test_mnist_size_28_keeps_the_digits_unpadded(tmp_path):
    images, _ = write_mnist(tmp_path)
    ds = load_mnist(tmp_path, size=28)
    assert ds.shape == (1, 28, 28) and torch.equal(ds.data[:, 0], torch.from_numpy(images))
    with pytest.raises(DataError, match="size must be 28 .* or 32"):
        load_mnist(tmp_path, size=30)


def test_mnist_test_split_reduced_and_env_root(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist", n=20)
    write_mnist(tmp_path / "mnist", split="test", n=7, gz=True)
    monkeypatch.setenv("VAELAB_DATA", str(tmp_path))
    assert len(load_mnist(split="test")) == 7
    assert len(load_mnist(split="test", reduced=5)) == 7
    reduced = load_mnist(reduced=5)
    assert len(reduced) == 5 and reduced.labels.tolist() == [0, 1, 2, 3, 4]
    assert len(load_mnist(split="test", max_items=3)) == 3
    assert len(load_mnist(reduced=600)) == 20


def test_mnist_torchvision_layout(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw", n=4, gz=True)
    assert len(load_mnist(tmp_path)) == 4


def test_mnist_root_and_split_errors(tmp_path):
    with pytest.raises(DataError, match="--data-root"):
        load_mnist()
    with pytest.raises(DataError, match="split"):
        load_mnist(tmp_path, split="val")
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    write_mnist(tmp_path)
    with pytest.raises(DataError, match="reduced"):
        load_mnist(tmp_path, reduced=0)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda raw: b"\x00\x00\x08\x01" + raw[4:], "magic"),
        (lambda raw: raw[:-5], "truncated"),
        (lambda raw: raw + b"\x00", "needs"),
        (lambda raw: raw[:6], "magic"),
    ],
)
def test_mnist_corrupt_images(tmp_path, corrupt, message):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(DataError, match=message) as info:
        load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_mnist_bad_gzip_and_count_mismatch(tmp_path):
    write_mnist(tmp_path, gz=True)
    good = (tmp_path / "train-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="cannot read .*train-labels-idx1-ubyte.gz"):
        load_mnist(tmp_path)
    labels_path = tmp_path / "train-labels-idx1-ubyte.gz"
    labels_path.write_bytes(gzip.compress(idx_bytes(np.zeros(19, np.uint8))))
    with pytest.raises(DataError, match="20 images but .* 19 labels"):
        load_mnist(tmp_path)
    labels_path.write_bytes(gzip.compress(idx_bytes(np.full(20, 10, np.uint8))))
    with pytest.raises(DataError, match="labels above 9"):
        load_mnist(tmp_path)


def test_mnist_wrong_image_size(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((20, 32, 32), np.uint8)))
    with pytest.raises(DataError, match="28x28"):
        load_mnist(tmp_path)


class FakeResponse(io.BytesIO):
    """A urlopen response that fails after ``fail_after`` bytes when given."""

    def __init__(self, payload: bytes, fail_after: int | None = None):
        super().__init__(payload)
        self.fail_after = fail_after

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset")
        return super().read(size if self.fail_after is None else min(size, self.fail_after))

    def __exit__(self, *args):
        self.close()


def test_download_unreachable_leaves_nothing(tmp_path, monkeypatch):
    def unreachable(url, timeout):
        assert timeout == 30.0
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(DataError, match="download train-images-idx3-ubyte.gz .*no route to host"):
        load_mnist(tmp_path / "mnist", download=True)
    with pytest.raises(DataError, match="could not download cifar-10-python.tar.gz"):
        load_cifar10(tmp_path / "cifar", download=True)
    assert os.listdir(tmp_path / "mnist") == [] and os.listdir(tmp_path / "cifar") == []


def test_download_interrupted_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(b"x" * 4096, 1000))
    with pytest.raises(DataError, match="connection reset"):
        load_mnist(tmp_path, download=True)
    assert os.listdir(tmp_path) == []


def test_download_checksum_mismatch_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(b"not mnist"))
    with pytest.raises(DataError, match="checksum mismatch"):
        load_mnist(tmp_path, download=True)
    assert os.listdir(tmp_path) == []


def test_mnist_download(tmp_path, monkeypatch):
    source = tmp_path / "source"
    images, labels = write_mnist(source, n=5)
    stems = files._MNIST_FILES["train"]
    payloads = {f"{stem}.gz": gzip.compress((source / stem).read_bytes()) for stem in stems}
    md5 = {name: hashlib.md5(p).hexdigest() for name, p in payloads.items()}
    monkeypatch.setattr(files, "_MNIST_MD5", md5)
    urls = []

    def serve(url, timeout):
        urls.append(url)
        return FakeResponse(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    ds = load_mnist(tmp_path / "mnist", download=True)
    assert torch.equal(ds.data[:, 0, 2:30, 2:30], torch.from_numpy(images))
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(payloads)
    assert urls[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz"
    load_mnist(tmp_path / "mnist", download=True)
    assert len(urls) == 2


def cifar_batch(n=10, seed=0, **overrides):
    rng = np.random.default_rng(seed)
    batch = {
        b"batch_label": b"training batch",
        b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
        b"labels": [int(v) for v in rng.integers(0, 10, size=n)],
    }
    batch.update(overrides)
    return batch


def write_cifar(root, n=10):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for seed, name in enumerate([*files._CIFAR10_FILES["train"], "test_batch"]):
        batches[name] = cifar_batch(n, seed)
        (folder / name).write_bytes(pickle.dumps(batches[name], protocol=2))
    return folder, batches


def test_cifar10_train_and_test(tmp_path):
    folder, batches = write_cifar(tmp_path)
    train = load_cifar10(tmp_path)
    assert train.name == "cifar10" and len(train) == 50 and train.shape == (3, 32, 32)
    assert train.data.dtype == torch.uint8 and train.value_range == (0.0, 1.0)
    expected = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    expected = expected.reshape(50, 3, 32, 32)
    assert torch.equal(train.data, torch.from_numpy(expected))
    assert train.labels.tolist() == sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    test = load_cifar10(folder, split="test")
    assert len(test) == 10 and test.labels.tolist() == batches["test_batch"][b"labels"]
    assert len(load_cifar10(tmp_path, max_items=13)) == 13


def test_cifar10_chw_order(tmp_path):
    folder, _ = write_cifar(tmp_path)
    red = np.zeros((3, 32, 32), np.uint8)
    red[0] = 255
    ramp = np.zeros((3, 32, 32), np.uint8)
    ramp[1] = np.arange(32, dtype=np.uint8)[:, None] * 8
    data = np.stack([red.reshape(-1), ramp.reshape(-1)])
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": data, b"labels": [3, 7]}))
    ds = load_cifar10(folder, split="test")
    x = ds.images([0, 1])
    assert torch.equal(x[0, 0], torch.ones(32, 32)) and float(x[0, 1:].abs().sum()) == 0.0
    assert x[1, 1, :, 0].mul(255).round().tolist() == [8.0 * r for r in range(32)]
    assert float(x[1, 1, 5].std()) == 0.0
    assert ds.labels.tolist() == [3, 7]


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"garbage", "cannot unpickle"),
        (pickle.dumps([1, 2]), "not a batch dict"),
        (pickle.dumps({b"images": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}), "'labels' entries"),
        (pickle.dumps(cifar_batch(2, data=[[0] * 3072] * 2)), "data is a list"),
        (pickle.dumps(cifar_batch(2, data=np.zeros((2, 3072), np.float32))), "expected uint8"),
        (pickle.dumps(cifar_batch(2, data=np.zeros((2, 1024), np.uint8))), "expected uint8"),
        (pickle.dumps(cifar_batch(2, labels=[0, 1, 2])), "2 images but 3 labels"),
        (pickle.dumps(cifar_batch(2, labels=[0, 10])), "outside 0..9"),
        (pickle.dumps(cifar_batch(2, labels=["a", "b"])), "not integers"),
        (pickle.dumps(cifar_batch(2))[:100], "cannot unpickle"),
        (pickle.dumps(os.getcwd), "refusing to load"),
    ],
)
def test_cifar10_corrupt_batch(tmp_path, payload, message):
    folder, _ = write_cifar(tmp_path, n=2)
    (folder / "data_batch_3").write_bytes(payload)
    with pytest.raises(DataError, match=message) as info:
        load_cifar10(tmp_path)
    assert "data_batch_3" in str(info.value)


def test_cifar10_missing_files(tmp_path):
    with pytest.raises(DataError, match="download=True"):
        load_cifar10(tmp_path)
    folder, _ = write_cifar(tmp_path, n=2)
    (folder / "data_batch_4").unlink()
    with pytest.raises(DataError, match="data_batch_4 is missing"):
        load_cifar10(tmp_path)
    with pytest.raises(DataError, match="split"):
        load_cifar10(tmp_path, split="valid")


def make_tar(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_cifar10_download_extracts(tmp_path, monkeypatch):
    names = [*files._CIFAR10_FILES["train"], "test_batch"]
    batches = {name: cifar_batch(2, i) for i, name in enumerate(names)}
    archive = make_tar({f"cifar-10-batches-py/{k}": pickle.dumps(v) for k, v in batches.items()})
    monkeypatch.setattr(files, "_CIFAR10_MD5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(archive))
    ds = load_cifar10(tmp_path / "c", split="test", download=True)
    assert ds.labels.tolist() == batches["test_batch"][b"labels"]
    assert os.listdir(tmp_path / "c") == ["cifar-10-batches-py"]


def test_cifar10_download_rejects_unsafe_tar(tmp_path, monkeypatch):
    archive = make_tar({"cifar-10-batches-py/test_batch": b"", "../evil": b"x"})
    monkeypatch.setattr(files, "_CIFAR10_MD5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(archive))
    with pytest.raises(DataError, match="unsafe entry '../evil'"):
        load_cifar10(tmp_path / "c", download=True)
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "c" / "cifar-10-batches-py").exists()


CROP_BOX = (19, 39, 159, 179)


def celeba_image(kind: str) -> Image.Image:
    """A 178x218 image: white inside the centre 140x140 crop and black outside, or the reverse."""
    array = np.zeros((218, 178, 3), np.uint8)
    array[39:179, 19:159] = 255
    return Image.fromarray(array if kind == "centre" else 255 - array)


def write_celeba(root, partition: str | None = "0 0 0 1 2 2"):
    folder = root / "img_align_celeba"
    folder.mkdir(parents=True)
    for i in range(6):
        celeba_image("centre" if i % 2 == 0 else "border").save(folder / f"{i + 1:06d}.jpg", quality=95)
    if partition is not None:
        lines = [f"{i + 1:06d}.jpg {p}" for i, p in enumerate(partition.split())]
        (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_celeba_crop_resize_and_range(tmp_path):
    write_celeba(tmp_path)
    ds = load_celeba(tmp_path)
    assert ds.name == "celeba" and len(ds) == 3 and ds.shape == (3, 64, 64)
    assert ds.data.dtype == torch.uint8 and ds.value_range == (-1.0, 1.0) and ds.labels is None
    centre, border = ds.data[0].float(), ds.data[1].float()
    assert float(centre.mean()) > 250 and float((centre > 200).float().mean()) > 0.97
    assert float(border.mean()) < 5 and float((border < 55).float().mean()) > 0.97
    x = ds.images([0, 1])
    assert x.dtype == torch.float32 and float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    assert float(x[0].mean()) > 0.95 and float(x[1].mean()) < -0.95


def test_celeba_partition_and_fallback_splits(tmp_path):
    folder = write_celeba(tmp_path)
    assert len(load_celeba(folder, split="test")) == 2
    assert len(load_celeba(tmp_path, max_items=2)) == 2
    (tmp_path / "list_eval_partition.txt").unlink()
    train, test = load_celeba(folder), load_celeba(folder, split="test")
    assert (len(train), len(test)) == (5, 1)
    all_images = {bytes(img.numpy()) for img in torch.cat([train.data, test.data])}
    assert len(all_images) == 2


def test_celeba_cache_reused(tmp_path, monkeypatch):
    write_celeba(tmp_path)
    first = load_celeba(tmp_path)
    cached = list((tmp_path / "cache").iterdir())
    assert len(cached) == 1 and cached[0].name.startswith("celeba-train-3-")
    assert cached[0].suffix == ".npy"
    mtime = cached[0].stat().st_mtime_ns

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(Image, "open", no_decode)
    second = load_celeba(tmp_path)
    assert torch.equal(first.data, second.data)
    assert cached[0].stat().st_mtime_ns == mtime and list((tmp_path / "cache").iterdir()) == cached
    monkeypatch.undo()
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path / "cache"))
    (tmp_path / "img_align_celeba" / "000001.jpg").rename(tmp_path / "img_align_celeba" / "000007.jpg")
    load_celeba(tmp_path, split="test")
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_celeba_unreadable_image_leaves_no_cache(tmp_path):
    folder = write_celeba(tmp_path)
    (folder / "000003.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="cannot decode .*000003.jpg"):
        load_celeba(tmp_path)
    data = (folder / "000005.jpg").read_bytes()
    (folder / "000003.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="000003.jpg"):
        load_celeba(tmp_path)
    assert list((tmp_path / "cache").iterdir()) == []


def test_celeba_errors(tmp_path):
    with pytest.raises(DataError, match="cannot be downloaded automatically"):
        load_celeba(tmp_path, download=True)
    write_celeba(tmp_path, partition="0 0 0 1 1 1")
    with pytest.raises(DataError, match="test partition"):
        load_celeba(tmp_path, split="test")
    (tmp_path / "list_eval_partition.txt").write_text("000001.jpg train\n")
    with pytest.raises(DataError, match="list_eval_partition.txt line 1"):
        load_celeba(tmp_path)
    (tmp_path / "list_eval_partition.txt").unlink()
    with pytest.raises(DataError, match="max_items"):
        load_celeba(tmp_path, max_items=-1)


def test_celeba_rebuilds_a_broken_cache(tmp_path):
    write_celeba(tmp_path)
    expected = load_celeba(tmp_path).data.clone()
    (cache,) = (tmp_path / "cache").iterdir()
    broken = tmp_path / "broken.npy"
    broken.write_bytes(cache.read_bytes()[:200])
    os.replace(broken, cache)
    assert torch.equal(load_celeba(tmp_path).data, expected)


def write_imagenet32(root, n=3, batches=10):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    written = {}
    names = [f"train_data_batch_{i}.npz" for i in range(1, batches + 1)] + ["val_data.npz"]
    for name in names:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = rng.integers(1, 1001, size=n)
        np.savez(root / name, data=data, labels=labels, mean=data.mean(0))
        written[name] = (data, labels)
    return written


def test_imagenet32(tmp_path):
    written = write_imagenet32(tmp_path)
    train = load_imagenet32(tmp_path)
    assert train.name == "imagenet32" and len(train) == 30 and train.shape == (3, 32, 32)
    assert train.data.dtype == torch.uint8 and train.value_range == (0.0, 1.0)
    first = written["train_data_batch_1.npz"]
    assert torch.equal(train.data[:3], torch.from_numpy(first[0].reshape(3, 3, 32, 32)))
    assert train.labels[:3].tolist() == (first[1] - 1).tolist()
    assert 0 <= int(train.labels.min()) and int(train.labels.max()) <= 999
    test = load_imagenet32(tmp_path, split="test")
    assert len(test) == 3 and test.labels.tolist() == (written["val_data.npz"][1] - 1).tolist()


def test_imagenet32_max_items_reads_needed_batches_only(tmp_path):
    write_imagenet32(tmp_path, batches=2)
    assert len(load_imagenet32(tmp_path, max_items=5)) == 5
    with pytest.raises(DataError, match="train_data_batch_3.npz not found .*cannot be downloaded"):
        load_imagenet32(tmp_path)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"data": np.zeros((2, 3072), np.uint8)}, "expected 'data' and 'labels'"),
        ({"data": np.zeros((2, 3072), np.int32), "labels": np.ones(2, int)}, "expected uint8"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": np.ones(3, int)}, "2 images but labels"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": np.array([0, 1])}, "not in 1..1000"),
    ],
)
def test_imagenet32_bad_batch(tmp_path, arrays, message):
    write_imagenet32(tmp_path, n=2)
    np.savez(tmp_path / "val_data.npz", **arrays)
    with pytest.raises(DataError, match=message) as info:
        load_imagenet32(tmp_path, split="test")
    assert "val_data.npz" in str(info.value)


def test_imagenet32_corrupt_file(tmp_path):
    write_imagenet32(tmp_path, n=2)
    path = tmp_path / "val_data.npz"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match="cannot read .*val_data.npz"):
        load_imagenet32(tmp_path, split="test")
    np.savez(path, data=np.array([object()]), labels=np.ones(1))
    with pytest.raises(DataError, match="cannot read .*val_data.npz"):
        load_imagenet32(tmp_path, split="test")


def test_loaders_registry():
    assert files.LOADERS == {
        "mnist": load_mnist,
        "cifar10": load_cifar10,
        "celeba": load_celeba,
        "imagenet32": load_imagenet32,
    }
