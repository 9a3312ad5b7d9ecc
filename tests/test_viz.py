"""Figures: labelled rows, one numbering of latent axes."""

import numpy as np
import torch

from vaelab.viz import axis_label, image_grid, label_rows


def test_label_rows_keeps_the_grid_and_writes_one_label_beside_each_row():
    images = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    grid = image_grid(images, ncol=3)  # 2 rows of 8 px with 2 px padding: pitch 10 < 14, so enlarged twice
    out = label_rows(grid, ["z0", "z1"], 8)
    big = np.repeat(np.repeat(grid, 2, axis=0), 2, axis=1)
    margin = out.shape[1] - big.shape[1]
    assert out.shape == (big.shape[0], margin + big.shape[1], 3) and margin > 6
    assert np.array_equal(out[:, margin:], big)
    ink = (out[:, :margin] < 128).any(axis=(1, 2))
    rows = [ink[2 * (2 + r * 10) : 2 * (2 + r * 10 + 8)] for r in range(2)]
    assert all(r.any() for r in rows) and ink.sum() == sum(r.sum() for r in rows)  # text only beside its row
    other = label_rows(grid, ["z0", "z7"], 8)
    assert np.array_equal(other[:22], out[:22]) and not np.array_equal(other[22:], out[22:])
    tall = image_grid(torch.rand(2, 3, 64, 64), ncol=2)  # rows of 64 px are not enlarged
    labelled = label_rows(tall, ["shape"], 64)
    assert labelled.shape[0] == tall.shape[0] and np.array_equal(labelled[:, -tall.shape[1]:], tall)


def test_axes_are_numbered_from_zero_as_dims_and_relevance_count_them():
    assert [axis_label(d) for d in range(3)] == ["z0", "z1", "z2"]


def test_training_curves_use_the_logs_epoch_numbers_with_integer_ticks(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from vaelab.viz import plot_training_curves

    seen = []
    original = Figure.savefig

    def record(fig, *args, **kwargs):
        fig.canvas.draw()
        seen.extend((ax.lines[0].get_xdata().tolist(), ax.get_xticks().tolist()) for ax in fig.axes if ax.lines)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    (tmp_path / "log.csv").write_text("epoch,step,train/loss,val/loss\n1,13,5.0,6.0\n2,26,4.0,5.0\n3,30,3.5,4.5\n")
    plot_training_curves(tmp_path / "log.csv", tmp_path / "c.png")
    (xs, ticks), = seen
    assert xs == [1, 2, 3] and ticks and all(float(t).is_integer() for t in ticks)
