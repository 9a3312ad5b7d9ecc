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
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["status"] == "failed" and status["steps"] == 19 and status["error"] == "loss = nan at step 20"


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
    best = rows[1:][recon.index(min(recon))].split(",")
    assert status["best_val_loss"] == min(recon)
    assert (status["best_epoch"], status["best_step"]) == (int(best[0]), int(best[1]))  # log.csv numbers epochs from 1


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
def files(path):
    return {p: p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_a_refused_resume_leaves_the_config_as_it_was(tmp_path):
    train(cfg(steps=8), tmp_path / "r", progress=False)
    latest = Run(tmp_path / "r").checkpoint_path("latest")
    latest.write_bytes(latest.read_bytes()[:100])  # truncated
    before = files(tmp_path / "r")
    with pytest.raises(RunError, match="is unreadable"):
        train(cfg(steps=12), tmp_path / "r", resume=True, progress=False)
    assert files(tmp_path / "r") == before
    assert Run(tmp_path / "r").config().train.steps == 8


def test_a_resumed_budget_below_the_trained_one_is_refused(tmp_path):
    train(cfg(steps=20), tmp_path / "r", progress=False)
    before = files(tmp_path / "r")
    with pytest.raises(RunError, match="already trained 20 steps.*--steps 20 or more"):
        train(cfg(steps=15), tmp_path / "r", resume=True, progress=False)
    with pytest.raises(RunError, match="already trained 1 epochs and 7 steps of the next.*--epochs 2 or more"):
        train(cfg(epochs=1), tmp_path / "r", resume=True, progress=False)  # 13 steps per epoch
    assert files(tmp_path / "r") == before


def test_resuming_a_finished_run_writes_nothing(tmp_path):
    c = cfg(steps=20, overrides=["train.tensorboard=true"])
    train(c, tmp_path / "r", progress=False)
    before = files(tmp_path / "r")
    status = train(c, tmp_path / "r", resume=True, progress=False)
    assert status["trained_steps"] == 0 and status["status"] == "finished" and status["steps"] == 20
    assert files(tmp_path / "r") == before  # no second TensorBoard event file, no rewritten status
    status = train(cfg(steps=26, overrides=["train.tensorboard=true"]), tmp_path / "r", resume=True, progress=False)
    assert status["trained_steps"] == 6 and Run(tmp_path / "r").config().train.steps == 26


def test_a_run_in_use_by_a_live_process_is_refused(tmp_path):
    train(cfg(steps=5), tmp_path / "r", progress=False)
    before = files(tmp_path / "r")
    with Run(tmp_path / "r").locked():
        with pytest.raises(RunError, match=r"is in use \(held by pid \d+"):
            train(cfg(steps=10), tmp_path / "r", resume=True, progress=False)
    with Run(tmp_path / "fresh").locked():
        with pytest.raises(RunError, match="is in use"):
            train(cfg(steps=10), tmp_path / "fresh", progress=False)
        assert not (tmp_path / "fresh" / "config.yaml").exists()
    assert files(tmp_path / "r") == before
    assert not (tmp_path / "r" / ".lock").exists()
    assert train(cfg(steps=10), tmp_path / "r", resume=True, progress=False)["trained_steps"] == 5


def test_status_has_the_same_keys_when_interrupted_and_finished(tmp_path):
    with pytest.raises(Interrupted):
        train(cfg(steps=30), tmp_path / "r", progress=False, stop_at_step=17)
    interrupted = Run(tmp_path / "r").status()
    status = train(cfg(steps=30), tmp_path / "r", resume=True, progress=False)
    finished = Run(tmp_path / "r").status()
    assert interrupted["status"] == "interrupted" and finished["status"] == "finished"
    assert set(interrupted) == set(finished) and "process" not in finished
    assert (interrupted["steps"], interrupted["epochs"], interrupted["epoch_steps"]) == (17, 1, 4)
    assert (finished["steps"], finished["epochs"], finished["epoch_steps"]) == (30, 2, 4)
    rows = [r.split(",") for r in Run(tmp_path / "r").log_file.read_text().splitlines()[1:]]
    assert [(int(r[0]), int(r[1])) for r in rows] == [(1, 13), (2, 26), (3, 30)]  # epochs from 1; 3 is partial
    best = next(r for r in rows if int(r[0]) == finished["best_epoch"])
    assert int(best[1]) == finished["best_step"] and status["trained_steps"] == 13


def _start_training(out, *extra):
    import subprocess
    import sys

    argv = [sys.executable, "-m", "vaelab.cli", "train", "--model", "vae", "--dataset", "digits", "--out", str(out),
            "--no-progress", "--no-figures", *tiny_overrides(), "train.checkpoint_every=5", *extra]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, seconds=120.0):
    import time

    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_sigterm_stops_like_ctrl_c_and_sigkill_reads_as_interrupted(tmp_path):
    import signal

    out = tmp_path / "r"
    latest = Run(out).checkpoint_path("latest")
    proc = _start_training(out, "--steps", "1000000")
    _wait_for(latest.is_file)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: SIGTERM: stopped at step ") and \
        lines[0].endswith(f"vaelab train --out {out} --resume"), err
    status = Run(out).status()
    assert status["status"] == "interrupted" and status["steps"] == final_state(out)["state"]["step"] > 0

    proc = _start_training(out, "--resume", "--steps", "1000000")
    step = status["steps"]
    _wait_for(lambda: final_state(out)["state"]["step"] > step if latest.is_file() else False)
    assert Run(out).status()["status"] == "running"
    proc.kill()
    proc.communicate(timeout=60)
    assert json.loads(Run(out).status_file.read_text())["status"] == "running"  # what the killed process left
    assert Run(out).status()["status"] == "interrupted" and "is gone" in Run(out).status()["stale"]
    step = final_state(out)["state"]["step"]
    status = train(cfg(steps=step + 2), out, resume=True, progress=False)  # the dead holder's lock is taken over
    assert status["status"] == "finished" and status["trained_steps"] == 2


def test_adam_runs_its_foreach_form_with_the_for_loop_forms_numbers():
    from vaelab.nets import build_networks
    from vaelab.train import OPTIMIZERS

    torch.manual_seed(0)
    enc, dec = build_networks("dsprites", (1, 64, 64), 6, head=2)
    params = [p.detach() for p in [*enc.parameters(), *dec.parameters()]]
    grads = [[torch.randn_like(p) for p in params] for _ in range(4)]
    results = []
    for make in (OPTIMIZERS["adam"], lambda ps, lr, betas, wd: torch.optim.Adam(ps, lr=lr, betas=betas,
                                                                               weight_decay=wd, foreach=False)):
        ps = [p.clone().requires_grad_() for p in params]
        opt = make(ps, 1e-3, (0.9, 0.999), 1e-4)
        assert make is not OPTIMIZERS["adam"] or opt.defaults["foreach"] is True
        for step_grads in grads:
            for p, g in zip(ps, step_grads):
                p.grad = g.clone()
            opt.step()
        results.append(ps)
    assert all(torch.equal(a, b) for a, b in zip(*results))
