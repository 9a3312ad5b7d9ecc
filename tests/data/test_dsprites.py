import io
import math
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from vaelab.data.dsprites import DSPRITES_FILENAME, DSprites, DSpritesFile, load_dsprites
from vaelab.errors import DataError

STEP = 2 * math.pi / 39  # orientation step: 40 values over [0, 2 pi], both ends included
SYMMETRY = {0: math.pi / 2, 1: math.pi, 2: 2 * math.pi}  # square, ellipse, heart


@pytest.fixture(scope="module")
def data():
    return DSprites()


def grid(*columns):
    """All combinations of the given factor columns, last fastest, as a (B, 5) tensor."""
    mesh = torch.meshgrid(*[torch.as_tensor(c).reshape(-1) for c in columns], indexing="ij")
    return torch.stack([m.reshape(-1) for m in mesh], dim=1)


def moments(x):
    """Area, centroid (x right, y down) and long-axis angle (y up) of (B, 1, H, W) images."""
    x = x[:, 0].double()
    c = torch.arange(x.shape[-1], dtype=torch.float64) + 0.5
    area = x.sum((1, 2))
    cx = (x * c).sum((1, 2)) / area
    cy = (x * c[:, None]).sum((1, 2)) / area
    dx, dy = c - cx[:, None, None], -(c[:, None] - cy[:, None, None])
    sxx, syy, sxy = ((x * d).sum((1, 2)) for d in (dx * dx, dy * dy, dx * dy))
    return area, cx, cy, 0.5 * torch.atan2(2 * sxy, sxx - syy)


def angle_gap(a, b, period):
    """Distance between angles a and b modulo period."""
    return (torch.remainder(torch.as_tensor(a - b) + period / 2, period) - period / 2).abs()


def allowed_twins(shape, o1, o2):
    """Whether two orientations may rasterise alike: a symmetry multiple apart within one step."""
    return float(angle_gap((o1 - o2) * STEP, 0.0, SYMMETRY[int(shape)])) <= STEP + 1e-9


def test_factor_grid(data):
    assert data.name == "dsprites"
    assert data.factor_names == ("shape", "scale", "orientation", "position_x", "position_y")
    assert data.factor_sizes == (3, 6, 40, 32, 32)
    assert len(data) == 737_280 and data.shape == (1, 64, 64) and data.value_range == (0.0, 1.0)
    assert data.factor_values(0).tolist() == [1.0, 2.0, 3.0]
    assert data.factor_values(1).dtype == torch.float64
    scale = torch.tensor([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], dtype=torch.float64)
    assert torch.allclose(data.factor_values(1), scale)
    orientation = data.factor_values(2)
    assert len(orientation) == 40 and orientation[0] == 0.0 and orientation[-1] == pytest.approx(2 * math.pi)
    for k in (3, 4):
        assert torch.allclose(data.factor_values(k), torch.arange(32, dtype=torch.float64) / 31)


def test_index_factor_round_trip(data):
    index = torch.randint(len(data), (5000,), generator=torch.Generator().manual_seed(0))
    factors = data.factors(index)
    assert torch.equal(data.index_of(factors), index)
    assert data.factors([0, 1, 32, len(data) - 1]).tolist() == [
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 1, 0],
        [2, 5, 39, 31, 31],
    ]


def test_images_are_binary_and_match_render(data):
    index = torch.randint(len(data), (2000,), generator=torch.Generator().manual_seed(1))
    x = data.images(index)
    assert x.shape == (2000, 1, 64, 64) and x.dtype == torch.float32
    assert set(x.unique().tolist()) == {0.0, 1.0}
    area = x.sum((1, 2, 3))
    assert area.min() >= 50 and area.max() <= 330
    assert 0.035 < x.mean() < 0.047
    assert torch.equal(x, data.render(data.factors(index)))
    uint8 = data.render_uint8(data.factors(index))
    assert uint8.dtype == torch.uint8 and torch.equal(uint8.float(), x[:, 0])


def test_position_moves_the_centroid_right_and_down(data):
    for shape in range(3):
        for scale in (0, 5):
            f = grid(shape, scale, 7, torch.arange(32), 9)
            _, cx, cy, _ = moments(data.render(f))
            assert (cx.diff() > 0.7).all() and (cx.diff() < 1.8).all()
            assert torch.allclose(cx, 12.625 + 1.25 * torch.arange(32, dtype=torch.float64), atol=0.5)
            assert (cy - cy.mean()).abs().max() < 0.3

            f = grid(shape, scale, 7, 9, torch.arange(32))
            _, cx, cy, _ = moments(data.render(f))
            assert (cy.diff() > 0.7).all() and (cy.diff() < 1.8).all()
            assert torch.allclose(cy, 12.625 + 1.25 * torch.arange(32, dtype=torch.float64), atol=0.5)
            assert (cx - cx.mean()).abs().max() < 0.3


def test_scale_grows_the_area_as_its_square(data):
    scale = data.factor_values(1)
    for shape in range(3):
        for orientation in (0, 5, 13, 31):
            area, *_ = moments(data.render(grid(shape, torch.arange(6), orientation, 16, 16)))
            assert (area.diff() > 0).all()
            assert 3.7 < area[-1] / area[0] < 4.3
            assert torch.allclose(area / scale**2, area[-1].expand(6), rtol=0.08)


def test_orientation_turns_the_ellipse_long_axis(data):
    theta = data.factor_values(2)
    for scale, tolerance in ((5, 2.0), (0, 5.0)):
        *_, axis = moments(data.render(grid(1, scale, torch.arange(40), 16, 16)))
        assert angle_gap(axis, theta, math.pi).max() < math.radians(tolerance)


def test_orientation_rotates_every_shape_about_its_centre(data):
    candidates = torch.arange(720, dtype=torch.float64) * math.pi / 360
    cos, sin = candidates.cos()[:, None], candidates.sin()[:, None]
    for shape in range(3):
        x = data.render(grid(shape, 5, torch.arange(40), 16, 16))
        _, cx, cy, _ = moments(x)
        rows, cols = torch.nonzero(x[0, 0], as_tuple=True)
        px, py = cols + 0.5 - cx[0], -(rows + 0.5 - cy[0])  # y up
        rx, ry = cos * px - sin * py, sin * px + cos * py  # orientation 0 turned by each candidate
        c = (rx + cx[:, None, None] - 0.5).round().long().clamp(0, 63)  # (40, 720, pixels)
        r = (cy[:, None, None] - ry - 0.5).round().long().clamp(0, 63)
        hit = x[:, 0][torch.arange(40)[:, None, None], r, c].mean(2)  # (40, 720)
        best = hit >= hit.max(1, keepdim=True).values - 1e-6
        period = SYMMETRY[shape]
        mean = (torch.exp(2j * math.pi / period * candidates) * best).sum(1)  # circular mean of the best
        turn = torch.angle(mean) * period / (2 * math.pi)
        assert hit.max(1).values.min() > 0.95
        assert angle_gap(turn, data.factor_values(2), period).max() < math.radians(5)


def test_shapes_differ(data):
    for scale in range(6):
        x = data.render(grid(torch.arange(3), scale, 0, 16, 16))
        area, _, cy, _ = moments(x)
        assert area[0] > area[2] > area[1]  # square > heart > ellipse
        assert not torch.equal(x[0], x[2]) and not torch.equal(x[1], x[2]) and not torch.equal(x[0], x[1])
        rows = torch.nonzero(x[:, 0].sum(2))
        for shape in range(3):
            r = rows[rows[:, 0] == shape, 1]
            lift = (r.min() + r.max() + 1) / 2 - cy[shape]  # the heart's mass sits above its box centre
            if scale >= 4:
                assert (1.0 < lift < 2.0) if shape == 2 else abs(lift) < 0.45


def test_orientations_coincide_only_by_symmetry(data):
    for shape in range(3):
        for scale in (0, 2, 5):
            for px, py in ((16, 16), (5, 22), (30, 1)):
                x = data.render_uint8(grid(shape, scale, torch.arange(40), px, py)).reshape(40, -1)
                same = (x[:, None] == x[None]).all(-1)
                for o1, o2 in torch.nonzero(torch.triu(same, 1)).tolist():
                    assert allowed_twins(shape, o1, o2), (shape, scale, px, py, o1, o2)
                assert same[0, 39]
                if shape == 2:
                    assert same.sum() == 40 + 2  # the heart repeats only at 0 and 2 pi
                if scale == 5:
                    distinct = {1: 19, 2: 39}.get(shape, 10)
                    assert len({bytes(row.numpy()) for row in x}) >= distinct


def test_distinct_factors_give_distinct_images(data):
    g = torch.Generator().manual_seed(2)
    f = data.sample_factors(20_000, g)
    x = data.render_uint8(f).reshape(len(f), -1)
    _, inverse, counts = torch.unique(x, dim=0, return_inverse=True, return_counts=True)
    for i, j in _twin_pairs(inverse, counts):
        assert f[i, [0, 1, 3, 4]].tolist() == f[j, [0, 1, 3, 4]].tolist()
        assert allowed_twins(f[i, 0], f[i, 2], f[j, 2])

    base = data.sample_factors(2000, g)
    sizes = torch.tensor(data.factor_sizes)
    x = data.render_uint8(base).reshape(len(base), -1)
    for k in range(5):
        moved = base.clone()
        moved[:, k] = (moved[:, k] + 1) % sizes[k]
        if k == 2:
            moved[:, k] = torch.where(base[:, k] < 38, base[:, k] + 1, base[:, k] - 1)  # 39 repeats 0
        y = data.render_uint8(moved).reshape(len(base), -1)
        same = (x == y).all(1)
        if k != 2:
            assert not same.any(), k
        else:
            pairs = zip(base[same, 0], base[same, 2], moved[same, 2])
            assert all(allowed_twins(s, a, b) for s, a, b in pairs)
            assert same.float().mean() < 0.01


def _twin_pairs(inverse, counts):
    pairs = []
    for group in torch.nonzero(counts > 1).flatten().tolist():
        members = torch.nonzero(inverse == group).flatten().tolist()
        pairs += [(members[0], m) for m in members[1:]]
    return pairs


def test_sprites_stay_inside_the_frame(data):
    # Positions equal mod 4 share a sub-pixel phase, and 4 steps are exactly 5 px, so a
    # sprite near the border must be an exact translate of one near the centre.
    edge = torch.tensor([0, 1, 2, 3, 28, 29, 30, 31])
    f = grid(torch.arange(3), torch.tensor([0, 5]), torch.arange(40), edge, edge)
    inner = f.clone()
    inner[:, 3:] = 16 + f[:, 3:] % 4
    outer, inner = data.render_uint8(f).numpy(), data.render_uint8(inner).numpy()
    shifts = 5 * (f[:, 3:] - 16 - f[:, 3:] % 4) // 4
    for i, (dx, dy) in enumerate(shifts.tolist()):
        assert np.array_equal(outer[i], np.roll(inner[i], (dy, dx), axis=(0, 1))), f[i].tolist()


def test_sample_factors_is_reproducible(data):
    a = data.sample_factors(1000, torch.Generator().manual_seed(5))
    b = data.sample_factors(1000, torch.Generator().manual_seed(5))
    c = data.sample_factors(1000, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (1000, 5) and a.dtype == torch.int64
    assert (a >= 0).all() and (a < torch.tensor(data.factor_sizes)).all()
    assert len(a[:, 0].unique()) == 3 and len(a[:, 2].unique()) == 40


def test_render_rejects_bad_factors(data):
    with pytest.raises(DataError):
        data.render(torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(DataError):
        data.render(torch.tensor([[3, 0, 0, 0, 0]]))
    with pytest.raises(DataError):
        data.render(torch.tensor([[0, 0, 0, 0, -1]]))


SMALL_SIZES = (3, 2, 4, 3, 2)


def small_arrays(data):
    """A reduced factor grid in the official file format, rendered by DSprites."""
    factors = grid(*[torch.arange(s) for s in SMALL_SIZES])
    imgs = data.render_uint8(factors).numpy()
    classes = np.concatenate([np.zeros((len(factors), 1), np.int64), factors.numpy()], axis=1)
    values = [np.ones(len(factors))] + [data.factor_values(k)[factors[:, k]].numpy() for k in range(5)]
    return {"imgs": imgs, "latents_classes": classes, "latents_values": np.stack(values, axis=1)}


def write_npz(path, arrays, metadata=True):
    extra = {"metadata": np.array({"description": "test"}, dtype=object)} if metadata else {}
    np.savez_compressed(path, **arrays, **extra)
    return path


def test_file_round_trip(data, tmp_path):
    arrays = small_arrays(data)
    path = write_npz(tmp_path / DSPRITES_FILENAME, arrays)
    loaded = DSpritesFile(path)
    assert loaded.factor_sizes == SMALL_SIZES and len(loaded) == 144 and loaded.shape == (1, 64, 64)
    index = torch.arange(144)
    assert torch.equal(loaded.factors(index), torch.from_numpy(arrays["latents_classes"][:, 1:]))
    x = loaded.images(index)
    assert x.dtype == torch.float32 and torch.equal(x, data.render(loaded.factors(index)))
    assert torch.equal(loaded.render(loaded.factors(index.flip(0))), x.flip(0))
    assert torch.allclose(loaded.factor_values(1), torch.tensor([0.5, 0.6], dtype=torch.float64))
    assert torch.allclose(loaded.factor_values(2), data.factor_values(2)[:4])
    assert isinstance(load_dsprites(tmp_path), DSpritesFile)
    assert load_dsprites(path, split="test").factor_sizes == SMALL_SIZES


def test_file_in_another_row_order(data, tmp_path):
    arrays = small_arrays(data)
    perm = np.random.default_rng(0).permutation(144)
    path = write_npz(tmp_path / "shuffled.npz", {k: v[perm] for k, v in arrays.items()}, metadata=False)
    loaded = DSpritesFile(path)
    f = loaded.factors(torch.arange(144))
    assert torch.equal(f, torch.from_numpy(arrays["latents_classes"][:, 1:]))
    assert torch.equal(loaded.images(torch.arange(144)), data.render(f))


def _broken(arrays, key, value):
    return {**arrays, key: value}


PROBLEMS = ["missing", "garbage", "npy", "no_imgs", "small_imgs", "float_imgs"]
PROBLEMS += ["short_classes", "gap", "repeat", "pixels", "colours"]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_file_errors(data, tmp_path, problem):
    arrays = small_arrays(data)
    path = tmp_path / "bad.npz"
    classes = arrays["latents_classes"]
    colours = classes.copy()
    colours[::2, 0] = 1
    if problem == "garbage":
        path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    elif problem == "npy":
        with open(path, "wb") as fh:
            np.save(fh, arrays["imgs"])
    elif problem != "missing":
        broken = {
            "no_imgs": {k: v for k, v in arrays.items() if k != "imgs"},
            "small_imgs": _broken(arrays, "imgs", arrays["imgs"][:, :32, :32]),
            "float_imgs": _broken(arrays, "imgs", arrays["imgs"].astype(np.float32)),
            "short_classes": _broken(arrays, "latents_classes", classes[:-1]),
            "gap": {k: v[:-1] for k, v in arrays.items()},
            "repeat": _broken(arrays, "latents_classes", np.concatenate([classes[:1], classes[:-1]])),
            "pixels": _broken(arrays, "imgs", arrays["imgs"] * 255),
            "colours": _broken(arrays, "latents_classes", colours),
        }[problem]
        write_npz(path, broken)
    with pytest.raises(DataError) as info:
        DSpritesFile(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message


def test_load_dsprites(tmp_path):
    assert isinstance(load_dsprites(), DSprites)
    assert isinstance(load_dsprites(None, split="test"), DSprites)
    with pytest.raises(DataError, match="options"):
        load_dsprites(size=32)
    with pytest.raises(DataError, match=DSPRITES_FILENAME):
        load_dsprites(tmp_path)


def test_download_failure_and_success(data, tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match="could not download"):
        load_dsprites(tmp_path / "cache", download=True)
    assert list((tmp_path / "cache").iterdir()) == []

    payload = io.BytesIO()
    np.savez(payload, **small_arrays(data))
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload.getvalue()))
    loaded = load_dsprites(tmp_path / "cache", download=True)
    assert loaded.factor_sizes == SMALL_SIZES
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [DSPRITES_FILENAME]
