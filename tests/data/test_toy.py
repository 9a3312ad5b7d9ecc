import pytest
import torch

from vaelab.data import load_dataset
from vaelab.data.toy import mixture_of_gaussians
from vaelab.errors import DataError


def test_digits_resized_and_split():
    tr, te = load_dataset("digits"), load_dataset("digits", split="test")
    assert len(tr) == 1500 and len(te) == 297
    x = tr.images(slice(0, 100))
    assert x.shape == (100, 1, 32, 32) and x.min() >= 0 and x.max() <= 1 and x.max() > 0.9
    assert sorted(set(tr.labels.tolist())) == list(range(10))
    assert load_dataset("digits", size=8).images([0]).shape == (1, 1, 8, 8)
    with pytest.raises(DataError, match="unknown split"):
        load_dataset("digits", split="val")


def test_mog_is_a_planar_four_cluster_mixture_in_100d():
    x, z, labels = mixture_of_gaussians(4000)
    assert x.shape == (4000, 100)
    # the projection has orthonormal rows: distances in the plane are preserved
    dist = lambda a: torch.cdist(a[:50].double(), a[:50].double(), compute_mode="donot_use_mm_for_euclid_dist")
    d_x, d_z = dist(x), dist(z)
    assert torch.allclose(d_x, d_z, atol=1e-4)
    means = torch.stack([z[labels == k].mean(0) for k in range(4)])
    assert torch.allclose(means.norm(dim=1), torch.full((4,), 2.0), atol=0.05)
    assert torch.bincount(labels).min() > 900
    ds = load_dataset("mog", split="test", n=100)
    assert ds.shape == (100,) and ds.value_range is None and len(ds) == 100
