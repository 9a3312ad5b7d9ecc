import pytest
import torch

from vaelab.data import FactorGridDataset, TensorDataset, as_index, load_dataset, split_indices
from vaelab.data.cache import CachedImages
from vaelab.errors import DataError


def test_split_is_disjoint_fixed_and_sized():
    tr, va = split_indices(1000, 0.1, seed=0)
    assert len(tr) == 900 and len(va) == 100
    assert len(set(tr.tolist()) | set(va.tolist())) == 1000
    tr2, va2 = split_indices(1000, 0.1, seed=0)
    assert torch.equal(tr, tr2) and torch.equal(va, va2)
    tr3, va3 = split_indices(1000, 0.1, seed=0, subset=90)
    assert torch.equal(tr3, tr[:90]) and len(va3) == 10 and torch.equal(va3, va[:10])
    with pytest.raises(DataError, match="larger than the 900 training items"):
        split_indices(1000, 0.1, subset=901)


def test_as_index_forms_and_errors():
    assert as_index(slice(2, 5), 10).tolist() == [2, 3, 4]
    assert as_index(-1, 10).tolist() == [9]
    with pytest.raises(DataError, match="out of range"):
        as_index([10], 10)


def test_tensor_dataset_maps_uint8_to_its_range():
    d = TensorDataset(torch.tensor([[[[0, 255]]]], dtype=torch.uint8), "x", (-1.0, 1.0))
    assert d.images([0]).tolist() == [[[[-1.0, 1.0]]]]
    with pytest.raises(DataError, match="2 labels for 1 items"):
        TensorDataset(torch.zeros(1, 2), "x", labels=torch.zeros(2))


class Grid(FactorGridDataset):
    name, shape, factor_names, factor_sizes, on_demand = "grid", (1, 2, 2), ("a", "b", "c"), (2, 3, 4), True

    def render(self, factors):
        f = self.check_factors(factors).float()
        return (f[:, :, None, None].sum(1, keepdim=True) / 7).expand(-1, 1, 2, 2).clone()


def test_factor_grid_index_round_trip_last_factor_fastest():
    g = Grid()
    assert len(g) == 24
    assert g.factors([0, 1, 4, 23]).tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 2, 3]]
    assert torch.equal(g.index_of(g.factors(torch.arange(24))), torch.arange(24))
    with pytest.raises(DataError, match="out of range"):
        g.render(torch.tensor([[0, 3, 0]]))
    with pytest.raises(DataError, match="must have shape"):
        g.render(torch.tensor([[0, 0]]))
    a = g.sample_factors(50, torch.Generator().manual_seed(3))
    b = g.sample_factors(50, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and (a.max(0).values < torch.tensor([2, 3, 4])).all()


def test_cache_serves_the_same_values():
    g = Grid()
    cache = CachedImages(g, torch.tensor([1, 5, 7]))
    assert cache.cached == 3
    idx = torch.tensor([7, 0, 5, 23])
    assert torch.allclose(cache.images(idx), g.images(idx), atol=0.5 / 255)
    assert CachedImages(g, torch.arange(24), limit_gib=1e-9).cached == 0


def test_unknown_dataset_and_option():
    with pytest.raises(DataError, match="unknown dataset 'mnits'"):
        load_dataset("mnits")
    with pytest.raises(DataError, match="unsupported dataset option"):
        load_dataset("digits", colour=True)
