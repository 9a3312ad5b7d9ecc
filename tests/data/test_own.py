"""Own data: folders of images, arrays and HDF5 files, their checks and fingerprints."""

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

from vaelab.config import build_config
from vaelab.data import load_dataset
from vaelab.data.own import as_images, fingerprint, image_files, load_own, own_defaults
from vaelab.errors import DataError


def write_pngs(folder, sizes, mode="L", seed=0):
    rng = np.random.default_rng(seed)
    paths = []
    for i, (w, h) in enumerate(sizes):
        sub = folder / ("a/b" if i % 2 else "")
        sub.mkdir(parents=True, exist_ok=True)
        shape = (h, w) if mode == "L" else (h, w, 3)
        path = sub / f"{i:03d}.png"
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path)
        paths.append(path)
    return paths


def test_folder_files_are_found_at_any_depth_sorted_and_hidden_ones_skipped(tmp_path):
    write_pngs(tmp_path, [(8, 8)] * 4)
    (tmp_path / ".hidden").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / ".hidden" / "x.png")
    (tmp_path / "notes.txt").write_text("not an image")
    names = [p.relative_to(tmp_path).as_posix() for p in image_files(tmp_path)]
    assert names == ["000.png", "002.png", "a/b/001.png", "a/b/003.png"]


def test_folder_pixels_survive_when_no_resize_is_needed(tmp_path):
    paths = write_pngs(tmp_path, [(8, 8)] * 3)
    ds = load_own(tmp_path)
    assert ds.shape == (1, 8, 8) and len(ds) == 3 and ds.value_range == (0.0, 1.0)
    order = sorted(paths, key=lambda p: p.relative_to(tmp_path).as_posix())
    expected = np.stack([np.asarray(Image.open(p)) for p in order]) / 255.0
    np.testing.assert_allclose(ds.images([0, 1, 2])[:, 0].numpy(), expected, atol=1e-6)


def test_size_rule_crops_the_centre_and_resizes(tmp_path):
    # shortest side 40 -> 32; a 40x60 image is cropped to its centre 40x40 first
    write_pngs(tmp_path, [(40, 60), (50, 50)])
    ds = load_own(tmp_path)
    assert ds.shape == (1, 32, 32)
    img = Image.open(tmp_path / "000.png")
    want = np.asarray(img.crop((0, 10, 40, 50)).resize((32, 32), Image.Resampling.BICUBIC)) / 255.0
    np.testing.assert_allclose(ds.images([0])[0, 0].numpy(), want, atol=1e-6)
    assert load_own(tmp_path, size=16).shape == (1, 16, 16)


def test_mixed_sizes_are_an_error_when_resizing_is_off(tmp_path):
    write_pngs(tmp_path, [(8, 8), (9, 8)])
    with pytest.raises(DataError, match=r"001\.png is 9x8.*resize=false"):
        load_own(tmp_path, resize=False)


def test_channels_are_detected_and_forced(tmp_path):
    write_pngs(tmp_path / "gray", [(8, 8)] * 2)
    write_pngs(tmp_path / "rgb", [(8, 8)] * 2, mode="RGB")
    assert load_own(tmp_path / "gray").shape == (1, 8, 8)
    assert load_own(tmp_path / "rgb").shape == (3, 8, 8)
    assert load_own(tmp_path / "gray", channels=3).shape == (3, 8, 8)
    rgb = load_own(tmp_path / "rgb")
    gray = load_own(tmp_path / "rgb", channels=1)
    pil = np.asarray(Image.open(tmp_path / "rgb" / "000.png").convert("L")) / 255.0
    np.testing.assert_allclose(gray.images([0])[0, 0].numpy(), pil, atol=1e-6)
    assert rgb.images([0]).shape == (1, 3, 8, 8)


def test_empty_folder_and_unreadable_image_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no PNG or JPEG images"):
        load_own(tmp_path / "empty")
    write_pngs(tmp_path / "bad", [(8, 8)] * 2)
    (tmp_path / "bad" / "a" / "b" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match=r"image .*a/b/broken\.png is unreadable"):
        load_own(tmp_path / "bad")


@pytest.mark.parametrize("shape,layout", [((5, 6, 7), None), ((5, 6, 7, 3), None), ((5, 3, 6, 7), None),
                                          ((5, 3, 6, 3), "nhwc"), ((5, 3, 6, 3), "nchw")])
def test_array_layouts_become_nchw(shape, layout):
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    t, vr = as_images(x, "x", layout=layout)
    if len(shape) == 3:
        want = x[:, None]
    elif layout == "nhwc" or (layout is None and shape[-1] == 3):
        want = x.transpose(0, 3, 1, 2)
    else:
        want = x
    assert vr == (0.0, 1.0) and t.dtype == torch.float32
    np.testing.assert_array_equal(t.numpy(), want)


def test_array_checks_name_the_problem():
    with pytest.raises(DataError, match="rank 1"):
        as_images(np.zeros(5), "x")
    with pytest.raises(DataError, match="rank 5"):
        as_images(np.zeros((2, 1, 1, 4, 4)), "x")
    with pytest.raises(DataError, match="both axis 1 and axis 3.*layout"):
        as_images(np.zeros((4, 3, 5, 3)), "x")
    x = np.zeros((4, 6, 6), np.float32)
    x[2, 1, 1] = np.nan
    with pytest.raises(DataError, match="NaN or infinite values \\(first in item 2\\)"):
        as_images(x, "x")
    with pytest.raises(DataError, match=r"values in \[-0\.5, 1\], outside the declared range \[0, 1\]"):
        as_images(np.linspace(-0.5, 1, 64, dtype=np.float32).reshape(4, 4, 4), "x")
    t, vr = as_images(np.linspace(-1, 1, 64).reshape(4, 4, 4), "x", value_range=[-1, 1])
    assert vr == (-1.0, 1.0) and float(t.min()) == -1.0
    with pytest.raises(DataError, match=r"integers in \[0, 300\]"):
        as_images(np.arange(0, 301 * 4).reshape(4, 301) % 301, "x")
    with pytest.raises(DataError, match="1 item"):
        as_images(np.zeros((1, 4, 4)), "x")


def test_uint8_and_vectors():
    t, vr = as_images(np.full((3, 4, 4), 255, np.uint8), "x")
    assert t.dtype == torch.uint8 and vr == (0.0, 1.0)
    t, vr = as_images(np.array([[-5.0, 3.0], [1.0, 2.0]]), "x")
    assert vr is None and t.shape == (2, 2)


def test_npz_npy_and_hdf5_load_with_keys_and_labels(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (6, 8, 8), dtype=np.uint8)
    y = np.arange(6) % 3
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "x.npz", images=x, labels=y, other=np.zeros(3))
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["group/imgs"] = x
        f["group/classes"] = y
    a = load_own(tmp_path / "x.npy", labels="y.npy")
    b = load_own(tmp_path / "x.npz")
    c = load_own(tmp_path / "x.h5", key="group/imgs", labels="group/classes")
    for ds in (a, b, c):
        assert ds.shape == (1, 8, 8)
        np.testing.assert_allclose(ds.images(range(6))[:, 0].numpy(), x / 255.0, atol=1e-6)
        np.testing.assert_array_equal(ds.labels.numpy(), y)
    with pytest.raises(DataError, match="several arrays.*data.options.key"):
        load_own(tmp_path / "x.h5")
    with pytest.raises(DataError, match="no array 'nope'"):
        load_own(tmp_path / "x.npz", key="nope")
    np.save(tmp_path / "short.npy", y[:4])
    with pytest.raises(DataError, match=r"one label per item \(6\)"):
        load_own(tmp_path / "x.npy", labels="short.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match="junk.npy is unreadable as .npy"):
        load_own(tmp_path / "junk.npy")


def test_fingerprint_sees_content_and_names(tmp_path):
    write_pngs(tmp_path, [(8, 8)] * 3)
    fp = fingerprint(tmp_path)
    assert fp["files"] == 3 and fp["bytes"] == sum(p.stat().st_size for p in image_files(tmp_path))
    assert fingerprint(tmp_path) == fp
    load_own(tmp_path, fingerprint=fp)
    (tmp_path / "000.png").rename(tmp_path / "009.png")
    assert fingerprint(tmp_path)["sha256"] != fp["sha256"]
    with pytest.raises(DataError, match="changed since the run was made .*same size, other content"):
        load_own(tmp_path, fingerprint=fp)


def test_build_config_records_path_fingerprint_and_picks_the_network(tmp_path):
    x = np.random.default_rng(0).random((10, 32, 32, 3), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    cfg = build_config(model="ard_vae", dataset=str(tmp_path / "x.npy"), steps=5)
    assert cfg.data.name == "own" and cfg.data.root == str((tmp_path / "x.npy").resolve())
    assert cfg.data.options["fingerprint"] == fingerprint(tmp_path / "x.npy")
    assert (cfg.model_config.architecture, cfg.model_config.latent_dim) == ("cifar10", 128)
    assert cfg.model_config.alpha_size == 1  # a fifth of the 9 training items
    cfg = build_config(model="avae", dataset=str(tmp_path / "x.npy"), steps=5)
    assert cfg.model_config.kde_samples == 2
    cfg = build_config(model="ard_vae", dataset=str(tmp_path / "x.npy"), steps=5, overrides=["alpha_size=4"])
    assert cfg.model_config.alpha_size == 4
    cfg = build_config(model="vae", dataset=str(tmp_path / "x.npy"), steps=5, overrides=["architecture=mlp"])
    assert cfg.model_config.architecture == "mlp"
    assert load_dataset(str(tmp_path / "x.npy")).shape == (3, 32, 32)


@pytest.mark.parametrize("shape,arch", [((1, 32, 32), "mnist"), ((3, 32, 32), "cifar10"), ((3, 64, 64), "celeba"),
                                        ((1, 64, 64), "dsprites"), ((1, 8, 8), "mlp"), ((3, 48, 32), "mlp"),
                                        ((20,), "mlp")])
def test_own_defaults_pick_by_input_size(shape, arch):
    assert own_defaults(shape)["architecture"] == arch


def test_a_folder_is_decoded_once_then_read_from_the_cache(tmp_path, monkeypatch):
    import vaelab.data.own as own

    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path / "cache"))
    write_pngs(tmp_path / "imgs", [(8, 8)] * 3)
    first = load_own(tmp_path / "imgs")
    assert len(list((tmp_path / "cache" / "own").glob("*.npy"))) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(own, "_load_folder", no_decoding)
    assert torch.equal(load_own(tmp_path / "imgs").data, first.data)
    with pytest.raises(AssertionError, match="decoded again"):
        load_own(tmp_path / "imgs", size=4)  # other options: another cache entry
    Image.new("L", (8, 8), 7).save(tmp_path / "imgs" / "000.png")
    with pytest.raises(AssertionError, match="decoded again"):
        load_own(tmp_path / "imgs")  # other content: another cache entry


def test_a_changed_array_file_is_named(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((4, 3, 3), np.float32))
    fp = fingerprint(tmp_path / "x.npy")
    np.save(tmp_path / "x.npy", np.ones((4, 3, 3), np.float32))
    with pytest.raises(DataError, match=r"dataset file .*x\.npy changed since the run was made \(same size"):
        load_own(tmp_path / "x.npy", fingerprint=fp)
    np.save(tmp_path / "x.npy", np.ones((5, 3, 3), np.float32))
    with pytest.raises(DataError, match=r"changed since the run was made \(bytes 272 -> 308\)"):  # .npy header 128 + 4 bytes a value
        load_own(tmp_path / "x.npy", fingerprint=fp)
