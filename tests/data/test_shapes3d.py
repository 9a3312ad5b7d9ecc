import h5py
import numpy as np
import pytest
import torch
from matplotlib.colors import rgb_to_hsv

from vaelab.data.shapes3d import (
    FACTOR_NAMES,
    FACTOR_SIZES,
    Shapes3D,
    Shapes3DFile,
    download_shapes3d,
    hue_to_rgb,
    load_shapes3d,
)
from vaelab.errors import DataError

FLOOR, WALL, OBJECT, SCALE, SHAPE, ORIENT = range(6)


@pytest.fixture(scope="module")
def data():
    return Shapes3D()


def tuples(base, k, values):
    f = torch.tensor(base).repeat(len(values), 1)
    f[:, k] = torch.tensor(values)
    return f


def changed(a, b):
    """Pixels (H, W) whose colour differs between two (3, H, W) images."""
    return (a != b).any(dim=0)


def object_mask(data, base):
    """The pixels an object covers: those that change with the object hue."""
    x = data.render(tuples(base, OBJECT, [0, 5]))
    return changed(x[0], x[1])


def test_sizes_names_values(data):
    assert data.name == "shapes3d"
    assert data.shape == (3, 64, 64) and data.value_range == (0.0, 1.0)
    assert data.factor_names == FACTOR_NAMES
    assert FACTOR_NAMES == ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
    assert data.factor_sizes == FACTOR_SIZES == (10, 10, 10, 8, 4, 15)
    assert len(data) == 480_000 and data.num_factors == 6
    for k in range(3):
        torch.testing.assert_close(data.factor_values(k), torch.arange(10, dtype=torch.float64) / 10)
    torch.testing.assert_close(data.factor_values(3), 0.75 + torch.arange(8, dtype=torch.float64) / 14)
    torch.testing.assert_close(data.factor_values(4), torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64))
    angles = -30.0 + 60.0 * torch.arange(15, dtype=torch.float64) / 14
    torch.testing.assert_close(data.factor_values(5), angles)


def test_index_round_trip(data):
    assert data.factors(0).tolist() == [[0] * 6]
    assert data.factors(1).tolist() == [[0, 0, 0, 0, 0, 1]]
    assert data.factors(15).tolist() == [[0, 0, 0, 0, 1, 0]]
    assert data.factors(60).tolist() == [[0, 0, 0, 1, 0, 0]]
    assert data.factors(48_000).tolist() == [[1, 0, 0, 0, 0, 0]]
    assert data.factors(-1).tolist() == [[9, 9, 9, 7, 3, 14]]
    index = torch.randint(len(data), (1000,), generator=torch.Generator().manual_seed(0))
    assert torch.equal(data.index_of(data.factors(index)), index)


def test_images_shape_and_range(data):
    index = torch.randint(len(data), (200,), generator=torch.Generator().manual_seed(1))
    x = data.images(index)
    assert x.shape == (200, 3, 64, 64) and x.dtype == torch.float32 and x.is_contiguous()
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert float(x.max()) > 0.95
    torch.testing.assert_close(x, data.render(data.factors(index)), rtol=0, atol=0)
    torch.testing.assert_close(data.images(slice(0, 3)), data.render(tuples([0] * 6, ORIENT, [0, 1, 2])))


def test_render_rejects_bad_factors(data):
    with pytest.raises(DataError, match="out of range"):
        data.render(torch.tensor([[0, 0, 0, 8, 0, 0]]))
    with pytest.raises(DataError, match="shape"):
        data.render(torch.zeros(2, 5, dtype=torch.long))


def test_hue_to_rgb():
    rgb = hue_to_rgb(torch.tensor([0.0, 1 / 6, 1 / 3, 0.5, 2 / 3, 5 / 6]))
    expected = [[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]]
    torch.testing.assert_close(rgb, torch.tensor(expected, dtype=torch.float32), atol=1e-6, rtol=0)


@pytest.mark.parametrize("k", [FLOOR, WALL, OBJECT])
@pytest.mark.parametrize("base", [[0, 3, 6, 7, 0, 2], [2, 8, 4, 0, 3, 12], [5, 5, 5, 3, 2, 7]])
def test_hue_factor_colours_only_its_region(data, k, base):
    layers = data.layers[base[ORIENT], base[SHAPE], base[SCALE]]  # floor, wall, object
    region = layers[k - FLOOR] > 0
    pure = region & (layers.sum(0) == layers[k - FLOOR])
    x = data.render(tuples(base, k, [1, 4, 8]))
    for a, b in [(0, 1), (1, 2), (0, 2)]:
        assert torch.equal(changed(x[a], x[b]), region)
    hsv = rgb_to_hsv(x.permute(0, 2, 3, 1).double().numpy())
    for i, hue in enumerate([0.1, 0.4, 0.8]):
        np.testing.assert_allclose(hsv[i][pure.numpy()][:, 0], hue, atol=1e-5)
        np.testing.assert_allclose(hsv[i][pure.numpy()][:, 1], 1.0, atol=1e-5)
    assert pure.sum() >= 100


def test_regions_sit_where_expected(data):
    """The top of the image is wall, the bottom is floor and the object is in the middle."""
    base = [0, 3, 6, 7, 0, 7]
    for k, (row, col) in [(FLOOR, (62, 32)), (WALL, (2, 32)), (OBJECT, (40, 32))]:
        x = data.render(tuples(base, k, [0, 5]))
        assert changed(x[0], x[1])[row, col]
    floor = changed(*data.render(tuples(base, FLOOR, [0, 5])))
    assert 0.25 < floor.float().mean() < 0.6


@pytest.mark.parametrize("shape", range(4))
@pytest.mark.parametrize("orient", [0, 7, 13])
def test_scale_grows_object_area(data, shape, orient):
    area = torch.tensor([float(object_mask(data, [0, 3, 6, s, shape, orient]).sum()) for s in range(8)])
    assert bool((area[1:] > area[:-1]).all())
    assert area[-1] / area[0] == pytest.approx((1.25 / 0.75) ** 2, rel=0.15)


@pytest.mark.parametrize("orient", [0, 7, 14])
def test_shapes_have_different_silhouettes(data, orient):
    masks = [object_mask(data, [0, 3, 6, 4, s, orient]) for s in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert int((masks[i] ^ masks[j]).sum()) >= 20
    rows, cols = [m.any(dim=1).sum().item() for m in masks], [m.any(dim=0).sum().item() for m in masks]
    assert abs(rows[2] - cols[2]) <= 1  # the sphere is round
    assert cols[3] > 1.5 * rows[3]  # the capsule lies across the floor


def test_orientation_rotates_the_scene(data):
    base = [0, 3, 6, 4, 0, 0]
    floors = [changed(*data.render(tuples(base[:5] + [o], FLOOR, [0, 5]))) for o in range(15)]
    depth = torch.stack([f.sum(dim=0) for f in floors]).float()  # floor pixels per column
    assert torch.equal(depth[7], depth[7].flip(0))  # symmetric room at orientation 0
    for o in range(15):
        assert torch.equal(depth[o], depth[14 - o].flip(0))
        for p in range(o + 1, 15):
            assert int((floors[o] ^ floors[p]).sum()) >= 10
    cube = [object_mask(data, [0, 3, 6, 4, 0, o]) for o in (0, 7, 14)]
    assert int((cube[0] ^ cube[1]).sum()) >= 20 and torch.equal(cube[0], cube[2].flip(1))


def test_negative_orientation_mirrors_the_image(data):
    f = data.sample_factors(300, torch.Generator().manual_seed(2))
    g = f.clone()
    g[:, ORIENT] = 14 - f[:, ORIENT]
    torch.testing.assert_close(data.render(f), data.render(g).flip(-1), atol=1e-5, rtol=0)


def test_round_objects_turn_in_place(data):
    """The axis of rotation goes through the object: a sphere stays put as the room turns."""
    masks = [object_mask(data, [0, 3, 6, 5, 2, o]) for o in range(15)]
    for m in masks[1:]:
        assert int((m ^ masks[0]).sum()) <= 2


def test_all_geometries_distinct_and_every_region_visible(data):
    """Images are linear in the three hue colours over (orientation, shape, scale) layers.

    All 480 layer sets differ and each holds pure floor, wall and object pixels, which
    show their hue; so all 480,000 factor tuples give distinct images.
    """
    layers = data.layers.reshape(480, 3, -1)
    assert torch.unique(layers.reshape(480, -1), dim=0).shape[0] == 480
    for k in range(3):
        pure = (layers[:, k] > 0) & (layers.sum(1) == layers[:, k])
        assert int(pure.sum(1).min()) >= 100
    geometry = (layers > 0).float()
    differ = torch.cdist(geometry.reshape(480, -1), geometry.reshape(480, -1), p=1)
    assert float((differ + 1e9 * torch.eye(480)).min()) >= 2


def test_random_tuples_give_distinct_images(data):
    f = torch.unique(data.sample_factors(3000, torch.Generator().manual_seed(3)), dim=0)
    x = data.render(f).flatten(1)
    assert torch.unique(x, dim=0).shape[0] == len(f)


def test_sample_factors_reproducible(data):
    a = data.sample_factors(500, torch.Generator().manual_seed(7))
    b = data.sample_factors(500, torch.Generator().manual_seed(7))
    c = data.sample_factors(500, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (500, 6) and a.dtype == torch.int64
    assert bool((a >= 0).all()) and bool((a < torch.tensor(FACTOR_SIZES)).all())
    assert [len(torch.unique(a[:, k])) for k in range(6)] == list(FACTOR_SIZES)


# --- the official file format, on a reduced grid ------------------------------------------

SUBGRID = [[0, 5], [2, 7], [1, 9], [0, 7], [0, 3], [0, 7, 14]]


def reduced_grid(data):
    """Factor tuples of a 2 x 2 x 2 x 2 x 2 x 3 grid (last fastest) with official labels."""
    grid = torch.cartesian_prod(*[torch.tensor(v) for v in SUBGRID])
    labels = torch.stack([data.factor_values(k)[grid[:, k]] for k in range(6)], dim=1)
    return grid, labels.numpy()


def write_h5(path, images, labels, **extra):
    with h5py.File(path, "w") as f:
        f["images"] = images
        f["labels"] = labels
        for key, value in extra.items():
            f[key] = value
    return path


@pytest.fixture(scope="module")
def h5file(data, tmp_path_factory):
    grid, labels = reduced_grid(data)
    images = (data.render(grid).permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()
    path = write_h5(tmp_path_factory.mktemp("shapes3d") / "3dshapes.h5", images, labels)
    return path, grid, images, labels


def test_file_round_trip(data, h5file):
    path, grid, images, labels = h5file
    ds = Shapes3DFile(path)
    assert ds.factor_sizes == (2, 2, 2, 2, 2, 3) and len(ds) == 96
    assert ds.factor_names == FACTOR_NAMES and ds.shape == (3, 64, 64)
    torch.testing.assert_close(ds.factor_values(3), data.factor_values(3)[[0, 7]])
    torch.testing.assert_close(ds.factor_values(5), torch.tensor([-30.0, 0.0, 30.0], dtype=torch.float64))
    x = ds.images(torch.arange(96))
    assert x.shape == (96, 3, 64, 64) and x.dtype == torch.float32
    torch.testing.assert_close(x, torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255)
    torch.testing.assert_close(x, data.render(grid), atol=0.5 / 255 + 1e-6, rtol=0)
    index = torch.tensor([0, 1, 3, 50, 95])
    torch.testing.assert_close(ds.render(ds.factors(index)), ds.images(index))
    assert torch.equal(ds.index_of(ds.factors(index)), index)
    assert ds.factors(1).tolist() == [[0, 0, 0, 0, 0, 1]] and ds.factors(3).tolist() == [[0, 0, 0, 0, 1, 0]]
    assert isinstance(load_shapes3d(path.parent), Shapes3DFile)
    assert len(load_shapes3d(str(path), split="test")) == 96
    assert isinstance(load_shapes3d(), Shapes3D)


def test_file_rows_in_another_order(h5file, tmp_path):
    path, _, images, labels = h5file
    perm = np.random.default_rng(0).permutation(len(images))
    shuffled = Shapes3DFile(write_h5(tmp_path / "s.h5", images[perm], labels[perm]))
    assert torch.equal(shuffled.images(slice(None)), Shapes3DFile(path).images(slice(None)))


def test_file_errors(h5file, tmp_path):
    _, _, images, labels = h5file
    with pytest.raises(DataError, match="not found.*download"):
        Shapes3DFile(tmp_path / "missing.h5")
    with pytest.raises(DataError, match="not found"):
        load_shapes3d(tmp_path)
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 8)
    with pytest.raises(DataError, match="corrupt.h5"):
        Shapes3DFile(corrupt)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(DataError, match="not an HDF5 file"):
        Shapes3DFile(text)
    with h5py.File(tmp_path / "nolabels.h5", "w") as f:
        f["images"] = images
    with pytest.raises(DataError, match="no dataset 'labels'"):
        Shapes3DFile(tmp_path / "nolabels.h5")
    cases = {
        "small.h5": (images[:, :32, :32], labels, "'images' must be uint8"),
        "float.h5": (images.astype(np.float32), labels, "'images' must be uint8"),
        "short.h5": (images, labels[:-1], "'labels' must be float"),
        "fivecols.h5": (images, labels[:, :5], "'labels' must be float"),
        "partial.h5": (images[:-1], labels[:-1], "full grid"),
        "repeat.h5": (images, np.concatenate([labels[:1], labels[:-1]]), "repeat or are missing"),
    }
    for name, (x, y, message) in cases.items():
        with pytest.raises(DataError, match=message):
            Shapes3DFile(write_h5(tmp_path / name, x, y))


def test_download(h5file, tmp_path):
    path, *_ = h5file
    copy = download_shapes3d(tmp_path / "copy" / "3dshapes.h5", url=path.as_uri())
    assert copy.read_bytes() == path.read_bytes()
    target = tmp_path / "fail" / "3dshapes.h5"
    with pytest.raises(DataError, match="could not download 3dshapes.h5 .*http://127.0.0.1:9/3dshapes.h5"):
        download_shapes3d(target, url="http://127.0.0.1:9/3dshapes.h5", timeout=5)
    assert list(target.parent.iterdir()) == []
