"""One contract over every registered model: shapes, gradients, save / load, determinism."""

import io

import pytest
import torch

from vaelab.models import MODELS, build_model

CASES = [("mlp", (1, 8, 8), "bernoulli"), ("dsprites", (1, 64, 64), "bernoulli"), ("mlp", (20,), "gaussian")]


def make(name, arch, shape, likelihood, seed=0):
    torch.manual_seed(seed)
    value_range = (0.0, 1.0) if likelihood == "bernoulli" else None
    return build_model(name, {"latent_dim": 4, "architecture": arch, "likelihood": likelihood}, shape, value_range)


def batch(shape, likelihood, n=6):
    g = torch.Generator().manual_seed(123)
    x = torch.rand(n, *shape, generator=g)
    return (x > 0.5).float() if likelihood == "bernoulli" else torch.randn(n, *shape, generator=g)


@pytest.fixture(params=sorted(MODELS))
def name(request):
    return request.param


@pytest.mark.parametrize("arch,shape,likelihood", CASES)
def test_shapes_and_loss_dict(name, arch, shape, likelihood):
    model = make(name, arch, shape, likelihood)
    x = batch(shape, likelihood)
    z = model.encode(x)
    assert z.shape == (6, 4)
    xr = model.decode(z)
    assert xr.shape == x.shape
    if likelihood == "bernoulli":
        assert bool(((xr >= 0) & (xr <= 1)).all())
    losses = model.loss(x)
    assert "loss" in losses
    for k, v in losses.items():
        assert v.shape == () and torch.isfinite(v), k
    assert model.sample(5, torch.Generator().manual_seed(0)).shape == (5, *shape)
    assert model.prior().event_shape == (4,)
    assert type(model).__name__ in repr(model)


@pytest.mark.parametrize("arch,shape,likelihood", CASES[:2])
def test_gradients_reach_every_parameter(name, arch, shape, likelihood):
    model = make(name, arch, shape, likelihood)
    losses = model.loss(batch(shape, likelihood))
    total = sum(losses[o.loss_key] for o in model.objectives().values())
    total.backward()
    frozen = model.frozen_parameters()
    for pname, p in model.named_parameters():
        if pname in frozen:
            assert p.grad is None or not bool(p.grad.any()), pname
        else:
            assert p.grad is not None and p.grad.abs().sum() > 0, pname


def test_objectives_partition_the_parameters(name):
    model = make(name, *CASES[0])
    ids = [id(p) for o in model.objectives().values() for p in o.params]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))


@pytest.mark.parametrize("arch,shape,likelihood", CASES[:2])
def test_save_load_round_trip(name, arch, shape, likelihood):
    model = make(name, arch, shape, likelihood, seed=0)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    other = make(name, arch, shape, likelihood, seed=99)
    x = batch(shape, likelihood)
    assert not torch.equal(other.encode(x), model.encode(x))
    other.load_state_dict(torch.load(buf, weights_only=True))
    model.eval(), other.eval()
    assert torch.equal(other.encode(x), model.encode(x))
    assert torch.equal(other.decode(model.encode(x)), model.decode(model.encode(x)))


def test_seeded_determinism(name):
    a, b = make(name, *CASES[0], seed=5), make(name, *CASES[0], seed=5)
    x = batch(CASES[0][1], CASES[0][2])
    torch.manual_seed(1)
    la = a.loss(x)
    torch.manual_seed(1)
    lb = b.loss(x)
    assert all(torch.equal(la[k], lb[k]) for k in la)
    sa = a.sample(3, torch.Generator().manual_seed(2))
    sb = b.sample(3, torch.Generator().manual_seed(2))
    assert torch.equal(sa, sb)
