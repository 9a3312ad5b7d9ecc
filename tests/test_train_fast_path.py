"""The training loop's fast path: layout, prefetching, device-side loss sums, mixed precision, compile,
flushing subnormals."""

import math

import pytest
import torch
from torch import nn

from conftest import tiny_overrides
from vaelab.config import build_config
from vaelab.data import DSprites
from vaelab.data.cache import CachedImages, fits_on_device
from vaelab.errors import ConfigError
from vaelab.models import MODELS, VAE, build_model
from vaelab.runs import Run
from vaelab.denormals import flush_denormal, flushes_denormals
from vaelab.train import Interrupted, LossTracker, memory_layout, prefetched, train
from test_train import assert_same_checkpoints, final_state


def conv_cfg(**flags):
    """The dSprites network (AVAE Table IX) on 96 procedural dSprites items, batch 16."""
    overrides = ["train.tensorboard=false", "data.val_fraction=0.25", "train.eval_batch_size=32",
                 *flags.pop("overrides", [])]
    return build_config(model=flags.pop("model", "vae"), dataset="dsprites", subset=96, batch_size=16, device="cpu",
                        overrides=overrides, **flags)


def test_memory_layout_is_channels_last_only_for_convolutional_image_models():
    conv = build_model("vae", build_config(model="vae", dataset="dsprites").model_config, (1, 64, 64), (0.0, 1.0))
    mlp = nn.Sequential(nn.Linear(4, 4))
    assert memory_layout(conv, (1, 64, 64), True) == torch.channels_last
    assert memory_layout(conv, (1, 64, 64), False) == torch.contiguous_format
    assert memory_layout(mlp, (1, 8, 8), True) == torch.contiguous_format


def test_channels_last_computes_the_losses_and_gradients_of_contiguous_layout():
    config = build_config(model="vae", dataset="dsprites").model_config
    x = DSprites().images(torch.arange(0, 737_280, 46_080))
    grads = []
    for layout in (torch.contiguous_format, torch.channels_last):
        torch.manual_seed(0)
        model = build_model("vae", config, (1, 64, 64), (0.0, 1.0)).to(memory_format=layout)
        torch.manual_seed(1)
        losses = model.loss(x.contiguous(memory_format=layout))
        losses["loss"].backward()
        grads.append((losses, {k: p.grad for k, p in model.named_parameters()}))
    (la, ga), (lb, gb) = grads
    assert gb["encoder.2.weight"].is_contiguous(memory_format=torch.channels_last)
    for k in la:
        assert torch.allclose(la[k], lb[k], rtol=1e-5), k
    for k in ga:
        assert torch.allclose(ga[k], gb[k], rtol=1e-3, atol=1e-5 * float(ga[k].abs().max())), k


def test_a_channels_last_run_saves_channels_last_weights(tmp_path):
    train(conv_cfg(steps=2), tmp_path / "cl", progress=False)
    train(conv_cfg(steps=2, overrides=["train.channels_last=false"]), tmp_path / "contig", progress=False)
    assert final_state(tmp_path / "cl")["model"]["encoder.2.weight"].is_contiguous(memory_format=torch.channels_last)
    assert not final_state(tmp_path / "contig")["model"]["encoder.2.weight"].is_contiguous(
        memory_format=torch.channels_last)


def test_channels_last_resume_is_bitwise_exact(tmp_path):
    c = conv_cfg(steps=6)
    train(c, tmp_path / "a", progress=False)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=3)
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")


def test_prefetched_yields_the_same_batches_in_order():
    calls = [lambda i=i: torch.full((2,), float(i)) for i in range(5)]
    ahead = [x.tolist() for x in prefetched(iter(calls), True)]
    inline = [x.tolist() for x in prefetched(iter(calls), False)]
    assert ahead == inline == [[float(i)] * 2 for i in range(5)]
    assert list(prefetched(iter([]), True)) == []


def test_prefetching_does_not_change_the_run(tmp_path):
    c = build_config(model="vae", dataset="digits", steps=8, overrides=[*tiny_overrides(), "train.prefetch=true"])
    assert build_config(model="vae", dataset="digits").train.prefetch is None  # auto: on CUDA only
    train(c, tmp_path / "a", progress=False)
    train(build_config(model="vae", dataset="digits", steps=8, overrides=[*tiny_overrides(), "train.prefetch=false"]),
          tmp_path / "b", progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")


def test_loss_tracker_sums_are_bitwise_host_sums_and_it_finds_the_first_bad_step():
    g = torch.Generator().manual_seed(0)
    values = torch.randn(30, generator=g) * 100
    tracker = LossTracker({"loss": 0.25}, ["loss"], torch.device("cpu"))
    host = 0.25
    for i, v in enumerate(values):
        tracker.add({"loss": v, "kl": v * 2}, i)
        host += float(v)
    assert tracker.sums()["loss"] == host
    assert tracker.sums()["kl"] == sum(float(v * 2) for v in values)
    assert tracker.first_bad() is None
    tracker.add({"loss": torch.tensor(math.inf), "kl": torch.tensor(0.0)}, 30)
    tracker.add({"loss": torch.tensor(math.nan), "kl": torch.tensor(0.0)}, 31)
    assert tracker.first_bad() == (30, "loss", math.inf)


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_trains_and_resumes_exactly(tmp_path, amp):
    c = build_config(model="vae", dataset="digits", steps=20, overrides=[*tiny_overrides(), f"train.amp={amp}"])
    train(c, tmp_path / "a", progress=False)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=7)
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")
    scaler = final_state(tmp_path / "a")["scaler"]
    assert (scaler is not None) == (amp == "fp16")
    assert math.isfinite(Run(tmp_path / "a").status()["best_val_loss"])


def test_unknown_amp_is_refused():
    with pytest.raises(ConfigError, match="unknown amp 'fp8'"):
        build_config(model="vae", dataset="digits", overrides=["train.amp=fp8"])


def test_compile_keeps_the_checkpoint_format(tmp_path, monkeypatch):
    compiled = []
    original = nn.Module.compile

    def eager(self, *args, **kwargs):  # the inductor backend needs minutes of C++ builds; eager tests the wiring
        compiled.append(type(self).__name__)
        original(self, backend="eager")

    monkeypatch.setattr(nn.Module, "compile", eager)
    c = build_config(model="vae", dataset="digits", steps=3, overrides=[*tiny_overrides(), "train.compile=true"])
    train(c, tmp_path / "r", progress=False)
    assert compiled == ["Sequential", "Sequential"]
    model = Run(tmp_path / "r").load_model("latest")
    assert set(final_state(tmp_path / "r")["model"]) == set(model.state_dict())


def test_cache_on_a_device_serves_the_same_images(monkeypatch):
    data = DSprites()
    index = torch.arange(0, 50_000, 500)
    on_device = CachedImages(data, index, device=torch.device("cpu"))
    assert on_device.device.type == "cpu" and on_device.cached == len(index)
    assert torch.equal(on_device.images(index[[3, 1, 7]]), data.images(index[[3, 1, 7]]))
    mixed = torch.tensor([int(index[2]), 1])
    assert torch.equal(on_device.images(mixed), data.images(mixed))


def test_host_cache_renders_only_the_items_asked_for_and_serves_the_eager_values(monkeypatch):
    data = DSprites()
    index = torch.arange(0, 700_000, 7)
    rendered = []
    real = DSprites.images
    monkeypatch.setattr(DSprites, "images", lambda self, i: (rendered.append(len(i)), real(self, i))[1])
    lazy = CachedImages(data, index)
    assert rendered == [] and lazy.cached == len(index)
    batches = [index[torch.randperm(len(index), generator=torch.Generator().manual_seed(s))[:300]] for s in range(3)]
    batches.append(torch.cat([batches[0][:5], batches[0][:5], torch.tensor([1, 3])]))  # repeats and uncached items
    got = [lazy.images(b) for b in batches]
    touched = torch.cat(batches[:3]).unique()
    assert sum(rendered[:3]) == len(touched) and int(lazy.filled.sum()) == len(touched)
    monkeypatch.setattr(DSprites, "images", real)
    eager = CachedImages(data, index, device=torch.device("cpu"))
    for b, x in zip(batches, got):
        assert torch.equal(x, eager.images(b)) and torch.equal(x, data.images(b))


def test_fits_on_device_keeps_three_quarters_of_free_gpu_memory(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (4_000, 8_000))
    assert fits_on_device(1_000, torch.device("cuda"))
    assert not fits_on_device(1_001, torch.device("cuda"))
    assert fits_on_device(10**12, torch.device("cpu"))


SUBNORMAL = 1e-39  # below float32's smallest normal, 1.18e-38


def _flushed_share(subnormals: torch.Tensor) -> float:
    """Share of a subnormal tensor that a product makes zero: one chunk per compute thread of the elementwise kernel."""
    return float(((subnormals * 1.0) == 0).float().mean())


def test_flush_denormal_sets_every_compute_thread_for_its_block_and_restores_it():
    import sklearn.ensemble  # noqa: F401 -- loads scikit-learn's own libgomp beside PyTorch's (the suite does)

    subnormals = torch.full((4_000_000,), SUBNORMAL)  # made before: stored subnormal, on several threads' chunks
    assert not flushes_denormals() and _flushed_share(subnormals) == 0.0
    with flush_denormal(True):
        assert flushes_denormals() and _flushed_share(subnormals) == 1.0
        with flush_denormal(False):
            assert not flushes_denormals() and _flushed_share(subnormals) == 0.0
        assert flushes_denormals() and _flushed_share(subnormals) == 1.0
    assert not flushes_denormals() and _flushed_share(subnormals) == 0.0
    with pytest.raises(RuntimeError), flush_denormal(True):
        raise RuntimeError("inside")
    assert not flushes_denormals()


class _Probed(VAE):
    seen: list[tuple[bool, float]] = []
    subnormals = torch.full((4_000_000,), SUBNORMAL)

    def on_step_start(self, ctx) -> None:
        _Probed.seen.append((flushes_denormals(), _flushed_share(_Probed.subnormals)))


@pytest.mark.parametrize("flag", [True, False])
def test_training_flushes_subnormals_only_while_it_runs_and_as_configured(tmp_path, monkeypatch, flag):
    monkeypatch.setitem(MODELS, "probed", _Probed)
    _Probed.seen = []
    train(conv_cfg(model="probed", steps=3, overrides=[f"train.flush_denormal={str(flag).lower()}"]), tmp_path / "r",
          progress=False)
    assert _Probed.seen == [(flag, float(flag))] * 3
    assert not flushes_denormals() and _flushed_share(_Probed.subnormals) == 0.0


def test_training_restores_the_callers_mode(tmp_path):
    with flush_denormal(True):
        train(conv_cfg(steps=2, overrides=["train.flush_denormal=false"]), tmp_path / "r", progress=False)
        assert flushes_denormals()
