import json

import pytest
import torch
from torch import nn

from conftest import tiny_overrides
from vaelab.config import build_config
from vaelab.errors import RunError, TrainingDiverged
from vaelab.models import MODELS, Objective, VAE
from vaelab.runs import Run
from vaelab.train import Interrupted, train


def cfg(**flags):
    overrides = tiny_overrides() + flags.pop("overrides", [])
    return build_config(model=flags.pop("model", "vae"), dataset="digits", overrides=overrides, **flags)


def final_state(path):
    return torch.load(Run(path).checkpoint_path("latest"), weights_only=True)


def assert_same_checkpoints(a, b):
    ca, cb = final_state(a), final_state(b)
    for k, v in ca["model"].items():
        assert torch.equal(v, cb["model"][k]), k
    sa, sb = ca["optimizers"]["model"]["state"], cb["optimizers"]["model"]["state"]
    for i in sa:
        for k in sa[i]:
            assert torch.equal(sa[i][k], sb[i][k])
    assert {k: v for k, v in ca["state"].items() if k != "seconds"} == \
           {k: v for k, v in cb["state"].items() if k != "seconds"}


def test_training_writes_a_complete_run(tmp_path):
    status = train(cfg(epochs=2, overrides=["train.tensorboard=true"]), tmp_path / "r", progress=False)
    run = Run(tmp_path / "r")
    assert status["status"] == "finished" and status["steps"] == 2 * (1350 // 100) and status["epochs"] == 2
    assert run.checkpoint_path("best").is_file() and run.checkpoint_path("latest").is_file()
    rows = run.log_file.read_text().strip().splitlines()
    assert rows[0].startswith("epoch,step,train/loss") and len(rows) == 3
    assert any(run.tb_dir.iterdir())
    assert run.config() == cfg(epochs=2, overrides=["train.tensorboard=true"])


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    c = cfg(epochs=3)
    train(c, tmp_path / "a", progress=False)
    with pytest.raises(Interrupted, match="--resume"):
        train(c, tmp_path / "b", progress=False, stop_at_step=22)
    assert Run(tmp_path / "b").status()["status"] == "interrupted"
    assert final_state(tmp_path / "b")["state"]["step"] == 22
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")
    strip = lambda p: [r.rsplit(",", 1)[0] for r in (p / "log.csv").read_text().splitlines()]
    assert strip(tmp_path / "a") == strip(tmp_path / "b")


def test_budget_extension_from_a_mid_epoch_checkpoint_equals_one_long_run(tmp_path):
    train(cfg(epochs=3), tmp_path / "a", progress=False)
    train(cfg(steps=20), tmp_path / "b", progress=False)
    train(cfg(epochs=3), tmp_path / "b", resume=True, progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")


def test_existing_run_is_never_overwritten(tmp_path):
    c = cfg(steps=3)
    train(c, tmp_path / "r", progress=False)
    before = {p: p.read_bytes() for p in (tmp_path / "r").rglob("*") if p.is_file()}
    with pytest.raises(RunError, match="already exists; pass --resume"):
        train(c, tmp_path / "r", progress=False)
    with pytest.raises(RunError, match="different settings \\(model.beta\\)"):
        train(cfg(steps=3, overrides=["beta=2"]), tmp_path / "r", resume=True, progress=False)
    after = {p: p.read_bytes() for p in (tmp_path / "r").rglob("*") if p.is_file()}
    assert before == after


class NanAfter(VAE):
    """A VAE whose loss turns NaN on its 20th training call."""

    calls = 0

    def loss(self, x):
        out = super().loss(x)
        if self.training:
            NanAfter.calls += 1
            if NanAfter.calls >= 20:
                out["loss"] = out["loss"] * float("nan")
        return out


def test_nan_loss_stops_with_the_last_good_checkpoint_kept(tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "nan_vae", NanAfter)
    NanAfter.calls = 0
    with pytest.raises(TrainingDiverged, match="became nan at step 20 .*last good checkpoint"):
        train(cfg(model="nan_vae", epochs=3), tmp_path / "r", progress=False)
    ckpt = final_state(tmp_path / "r")
    assert ckpt["state"]["step"] == 13
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values() if v.is_floating_point())
    assert json.loads((tmp_path / "r" / "status.json").read_text())["status"] == "failed"


class WithCritic(VAE):
    """A VAE with a second optimiser; the main loss also pushes the critic hard the other way."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.critic = nn.Parameter(torch.zeros(1))

    def loss(self, x):
        out = super().loss(x)
        out["loss"] = out["loss"] + 100.0 * self.critic.sum()
        out["critic"] = (self.critic - 3.0).square().sum()
        return out

    def objectives(self):
        main = [p for n, p in self.named_parameters() if n != "critic"]
        return {"model": Objective(main), "critic": Objective([self.critic], "critic", lr=0.01, plateau=False)}


def test_each_optimiser_sees_only_its_own_loss(tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "critic_vae", WithCritic)
    train(cfg(model="critic_vae", steps=1), tmp_path / "r", progress=False)
    model = Run(tmp_path / "r").load_model("latest")
    # Adam's first step moves by lr in the direction of -sign(grad); (c - 3)^2 at 0 has grad -6.
    assert model.critic.item() == pytest.approx(0.01, rel=1e-4)
    ckpt = final_state(tmp_path / "r")
    assert set(ckpt["optimizers"]) == {"model", "critic"} and set(ckpt["schedulers"]) == {"model"}


class Hooked(VAE):
    events: list = []

    def on_train_start(self, ctx):
        Hooked.events.append(("train_start", ctx.state.step))

    def on_epoch_start(self, ctx):
        Hooked.events.append(("epoch_start", ctx.state.epoch))
        ctx.sgd_index = ctx.train_index[:500]

    def on_step_start(self, ctx):
        Hooked.events.append(("step", ctx.state.step))

    def on_epoch_end(self, ctx):
        Hooked.events.append(("epoch_end", ctx.state.epoch))
        return {"hook/value": 1.5}


def test_hooks_run_in_order_and_can_change_the_sgd_set(tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "hooked", Hooked)
    Hooked.events = []
    train(cfg(model="hooked", epochs=2), tmp_path / "r", progress=False)
    ev = Hooked.events
    assert ev[0] == ("train_start", 0) and ev[1] == ("epoch_start", 0)
    assert ev[2:7] == [("step", i) for i in range(5)] and ev[7] == ("epoch_end", 0)
    assert ev[8] == ("epoch_start", 1) and ev[-1] == ("epoch_end", 1)
    assert len([e for e in ev if e[0] == "step"]) == 10
    assert "hook/value" in (tmp_path / "r" / "log.csv").read_text().splitlines()[0]


def test_same_seed_same_numbers_different_seed_different(tmp_path):
    train(cfg(steps=5, seed=1), tmp_path / "a", progress=False)
    train(cfg(steps=5, seed=1), tmp_path / "b", progress=False)
    train(cfg(steps=5, seed=2), tmp_path / "c", progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")
    a, c = final_state(tmp_path / "a")["model"], final_state(tmp_path / "c")["model"]
    assert any(not torch.equal(a[k], c[k]) for k in a)


class RisingTotal(VAE):
    """Its total grows every epoch while the reconstruction improves; it monitors recon."""

    monitor = "recon"

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.register_buffer("offset", torch.zeros(()))

    def loss(self, x):
        out = super().loss(x)
        out["loss"] = out["loss"] + self.offset
        return out

    def on_epoch_end(self, ctx):
        self.offset += 1e4
        return {}


def test_the_monitored_entry_picks_the_best_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "rising", RisingTotal)
    status = train(cfg(model="rising", epochs=3), tmp_path / "r", progress=False)
    rows = (tmp_path / "r" / "log.csv").read_text().splitlines()
    header = rows[0].split(",")
    recon = [float(r.split(",")[header.index("val/recon")]) for r in rows[1:]]
    loss = [float(r.split(",")[header.index("val/loss")]) for r in rows[1:]]
    assert loss[0] < loss[1] < loss[2]
    assert status["best_epoch"] == recon.index(min(recon)) and status["best_val_loss"] == min(recon)


class DrawsAtEpochStart(VAE):
    """Draws from the hook generator at every epoch start (as ARD-VAE / AVAE do)."""

    def on_epoch_start(self, ctx):
        ctx.sgd_index = ctx.train_index[torch.randperm(len(ctx.train_index), generator=ctx.generator)[:600]]


def test_interrupted_at_the_first_step_of_an_epoch_resumes_exactly(tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "draws", DrawsAtEpochStart)
    c = cfg(model="draws", epochs=3)
    train(c, tmp_path / "a", progress=False)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=6)  # 600 items / 100: step 6 starts epoch 2
    assert final_state(tmp_path / "b")["state"]["batch"] == 0
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")


def _lrs(path):
    rows = (path / "log.csv").read_text().strip().splitlines()
    col = rows[0].split(",").index("lr")
    return [float(r.split(",")[col]) for r in rows[1:]]


def test_milestone_schedule_multiplies_the_rate_after_each_milestone_and_resumes_exactly(tmp_path):
    over = ["train.schedule=milestones", "train.lr_milestones=[1, 2]", "train.lr_factors=[0.5, 0.2]", "train.lr=0.001"]
    c = cfg(epochs=3, overrides=over)
    train(c, tmp_path / "a", progress=False)
    assert _lrs(tmp_path / "a") == pytest.approx([5e-4, 1e-4, 1e-4])
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=17)
    train(c, tmp_path / "b", resume=True, progress=False)
    assert_same_checkpoints(tmp_path / "a", tmp_path / "b")


def test_no_schedule_keeps_a_constant_rate_and_saves_no_scheduler(tmp_path):
    train(cfg(epochs=3, overrides=["train.schedule=none"]), tmp_path / "n", progress=False)
    assert _lrs(tmp_path / "n") == [5e-4] * 3
    state = final_state(tmp_path / "n")
    assert state["schedulers"] == {}


@pytest.mark.parametrize("over,match", [
    (["train.schedule=cosine"], "unknown schedule 'cosine'"),
    (["train.schedule=milestones"], "needs lr_milestones"),
    (["train.lr_milestones=[3]", "train.lr_factors=[]"], "one factor per milestone"),
    (["train.lr_milestones=[5, 2]", "train.lr_factors=[0.5, 0.5]"], "increasing positive epochs"),
])
def test_bad_schedules_are_config_errors(over, match):
    from vaelab.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        cfg(epochs=1, overrides=over)
