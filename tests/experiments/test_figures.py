"""Report figures: the Algorithm-2 direction traversal of a small trained model with a collapsed axis."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from vaelab import viz
from vaelab.cli import main
from vaelab.data import DSprites
from vaelab.experiments import figures
from vaelab.runs import Run

SMALL = ["architecture=mlp", "latent_dim=4", "train.lr=2e-3", "train.tensorboard=false", "train.eval_batch_size=256"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures") / "vae"
    assert main(["train", "--model", "vae", "--dataset", "dsprites", "--out", str(out), "--steps", "120",
                 "--subset", "2000", "--seed", "0", "--no-progress", "--no-figures", *SMALL]) == 0
    return out


def _collapsed(path, axis: int = 3):
    """The trained model with the posterior mean of ``axis`` fixed at 0 (a collapsed axis)."""
    model = Run(path).load_model()
    head = [m for m in model.encoder.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.weight[axis] = 0.0
        head.bias[axis] = 0.0
    return model


def _rows(model, data, codes, x, d) -> np.ndarray:
    """The decoded rows of the report's direction traversal, ``(K, H, W', 3)``."""
    proj = torch.from_numpy(codes.numpy() @ d.T)
    grid = viz.direction_traversal_grid(model, x[:1], torch.from_numpy(d), proj.mean(0), proj.std(0), 2.0, 9,
                                        data.value_range)
    h, pad = data.shape[-2], 2
    return np.stack([grid[pad + k * (h + pad): pad + k * (h + pad) + h] for k in range(len(d))]).astype(float)


def test_direction_traversal_rows_differ_with_a_collapsed_axis(trained):
    model, data = _collapsed(trained), DSprites()
    x, codes = figures._heldout_codes(model, data, Run(trained), 300)
    assert float(codes[:, 3].abs().max()) == 0.0
    d, how = figures._directions(SimpleNamespace(arrays={}), data, model, codes)
    assert d.shape == (5, 4) and np.abs(d[:, 3]).max() < 1e-9 and "votes" in how
    rows = _rows(model, data, codes, x, d)
    spread = max(np.abs(rows[i] - rows[j]).mean() for i in range(5) for j in range(i))
    assert spread > 2.0  # mean grey levels out of 255
    # The paper's variant sends every factor to the collapsed axis: five identical rows.
    encode = lambda z: model.encode(torch.as_tensor(z, dtype=torch.float32)).detach()
    from vaelab.metrics.directions import latent_directions

    raw = latent_directions(data, encode, torch.Generator().manual_seed(0), batch_size=64, num_votes=40,
                            subspace="raw").numpy()
    assert np.abs(np.abs(raw[:, 3]) - 1.0).max() < 1e-9
    raw_rows = _rows(model, data, codes, x, raw)
    assert max(np.abs(raw_rows[i] - raw_rows[0]).max() for i in range(5)) == 0.0


def test_directions_of_a_model_with_its_own_axes_live_on_them(trained):
    model, data = _collapsed(trained), DSprites()
    model.evaluation_axes = lambda: torch.tensor([0, 1, 2])
    x, codes = figures._heldout_codes(model, data, Run(trained), 300)
    d, how = figures._directions(SimpleNamespace(arrays={}), data, model, codes)
    assert d.shape == (5, 4) and np.all(d[:, 3] == 0.0) and "3 active axes" in how
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0)
    # Vectors stored by `vaelab evaluate` on those axes come back in the full code space.
    stored, _ = figures._directions(SimpleNamespace(arrays={"directions.vectors": d[:, :3].tolist()}), data, model,
                                    codes)
    assert np.array_equal(stored, d)
