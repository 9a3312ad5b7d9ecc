"""Latent interpolation: the code path, the image grid and `vaelab interpolate`."""

import numpy as np
import pytest
import torch

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.models import build_model
from vaelab.viz import image_grid, interpolate_codes, interpolation_grid


def test_codes_run_linearly_from_the_first_to_the_second():
    g = torch.Generator().manual_seed(0)
    za, zb = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    z = interpolate_codes(za, zb, 5).reshape(3, 5, 4)
    assert torch.equal(z[:, 0], za) and torch.allclose(z[:, -1], zb)
    assert torch.allclose(z[:, 2], (za + zb) / 2)
    assert torch.allclose(z[:, 1:] - z[:, :-1], ((zb - za) / 4)[:, None].expand(3, 4, 4), atol=1e-6)


@pytest.mark.parametrize("name", ["vae", "wae_mmd"])
def test_grid_rows_hold_the_inputs_and_the_decoded_path(name):
    torch.manual_seed(0)
    config = {"latent_dim": 3, "architecture": "mlp", "likelihood": "bernoulli"}
    model = build_model(name, config, (1, 8, 8), (0.0, 1.0))
    g = torch.Generator().manual_seed(1)
    xa, xb = torch.rand(2, 1, 8, 8, generator=g), torch.rand(2, 1, 8, 8, generator=g)
    grid = interpolation_grid(model, xa, xb, steps=4)
    assert grid.shape == (2 + 2 * 10, 2 + 6 * 10, 3) and grid.dtype == np.uint8
    with torch.no_grad():
        ends = torch.stack([model.reconstruct(xa), model.reconstruct(xb)], 1)
        path = model.decode(interpolate_codes(model.encode(xa), model.encode(xb), 4)).reshape(2, 4, 1, 8, 8)
    expected = image_grid(torch.cat([xa[:, None], path, xb[:, None]], 1).flatten(0, 1), ncol=6)
    assert np.array_equal(grid, expected)
    assert torch.allclose(path[:, 0], ends[:, 0], atol=1e-6) and torch.allclose(path[:, -1], ends[:, 1], atol=1e-6)
    bare = interpolation_grid(model, xa, xb, steps=4, with_inputs=False)
    assert bare.shape == (2 + 2 * 10, 2 + 4 * 10, 3)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("interp") / "run"
    assert main(["train", "--model", "vae", "--out", str(out), "--steps", "2", "--dataset", "digits", "--no-progress",
                 "--no-figures", *tiny_overrides()]) == 0
    return out


def test_cli_writes_one_row_per_pair(trained, tmp_path, capsys):
    from PIL import Image

    assert main(["interpolate", str(trained), "-n", "3", "--steps", "5", "--out", str(tmp_path / "i.png")]) == 0
    assert "3 pairs x 5 steps" in capsys.readouterr().out
    assert Image.open(tmp_path / "i.png").size == (2 + 7 * 10, 2 + 3 * 10)
    assert main(["interpolate", str(trained), "--seed", "4"]) == 0
    assert (trained / "figures" / "interpolation.png").is_file()
    first = (tmp_path / "i.png").read_bytes()
    main(["interpolate", str(trained), "-n", "3", "--steps", "5", "--out", str(tmp_path / "j.png")])
    assert (tmp_path / "j.png").read_bytes() == first


@pytest.mark.parametrize("argv,text", [(["--steps", "1"], "--steps"), (["-n", "0"], "--pairs")])
def test_cli_rejects_bad_counts_with_one_line(trained, capsys, argv, text):
    assert main(["interpolate", str(trained), *argv]) == 2
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_cli_refuses_a_missing_run(tmp_path, capsys):
    assert main(["interpolate", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "does not exist" in err[0]
