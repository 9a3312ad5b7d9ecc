"""AVAE training cost next to the VAE's, at the paper's defaults (m = 10K, k_b = 10).

Prints, for the dSprites network (AVAE Table IX) at batch 64 on procedural dSprites:
  - the VAE's mean time per training step,
  - the AVAE's mean time per training step without KDE refreshes (encoder, KDE
    log-density of the minibatch against m centres, backward, optimiser),
  - the mean time of one KDE refresh (re-encoding the m KDE items in evaluation mode,
    without gradient, in batches of ``train.eval_batch_size``),
  - the refresh cost per step (refresh / k_b) and the AVAE / VAE cost ratio,
  - beside it the floor Algorithm 1 itself sets: a VAE step plus m / k_b encoder passes per
    step (inference, no gradient), at the encoder's own throughput measured on its own in
    the same process (the same layout and batch as the refresh) -- the ratio no
    implementation of the algorithm can beat on this machine.

Both models train through ``vaelab.train.train`` with a time stamp at the start of every
step; refresh times are measured inside the refresh itself and subtracted.

Usage: python benchmarks/bench_avae.py [--steps 100] [--kde-samples 10000] [--refresh 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from vaelab.config import build_config
from vaelab.models import AVAE, MODELS, VAE
from vaelab.train import train

WARMUP = 5


class TimedVAE(VAE):
    stamps: list[float] = []

    def on_step_start(self, ctx) -> None:
        TimedVAE.stamps.append(time.perf_counter())


class TimedAVAE(AVAE):
    stamps: list[float] = []
    refreshes: list[tuple[int, float]] = []

    def on_step_start(self, ctx) -> None:
        TimedAVAE.stamps.append(time.perf_counter())
        super().on_step_start(ctx)

    def encode_kde_set(self, ctx) -> None:
        t0 = time.perf_counter()
        super().encode_kde_set(ctx)
        TimedAVAE.refreshes.append((ctx.state.step, time.perf_counter() - t0))


def _run(name: str, steps: int, overrides: list[str], out: Path) -> None:
    config = build_config(model=name, dataset="dsprites", steps=steps + WARMUP + 1, subset=60_000, batch_size=64,
                          device="cpu", overrides=["train.tensorboard=false", "latent_dim=6", *overrides])
    train(config, out, progress=False)


def encoder_seconds_per_image(n: int = 4000) -> float:
    """Inference time per image of the dSprites encoder in the refresh's layout and batch size."""
    from vaelab.config import TrainConfig
    from vaelab.data import DSprites
    from vaelab.nets import build_networks

    batch = TrainConfig().eval_batch_size
    enc = build_networks("dsprites", (1, 64, 64), 6, 1)[0].eval().to(memory_format=torch.channels_last)
    x = DSprites().images(torch.arange(0, 737_280, 737_280 // n)[:n]).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        enc(x[:batch])
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            enc(x[i:i + batch])
    return (time.perf_counter() - t0) / n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--kde-samples", type=int, default=10_000)
    p.add_argument("--refresh", type=int, default=10)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    MODELS["timed_vae"], MODELS["timed_avae"] = TimedVAE, TimedAVAE
    with tempfile.TemporaryDirectory() as tmp:
        _run("timed_vae", args.steps, [], Path(tmp) / "vae")
        _run("timed_avae", args.steps, [f"kde_samples={args.kde_samples}", f"kde_refresh_steps={args.refresh}"],
             Path(tmp) / "avae")
    vae = [b - a for a, b in zip(TimedVAE.stamps[WARMUP:-1], TimedVAE.stamps[WARMUP + 1:])]
    spans = [b - a for a, b in zip(TimedAVAE.stamps[WARMUP:-1], TimedAVAE.stamps[WARMUP + 1:])]
    during = {s: t for s, t in TimedAVAE.refreshes}
    refresh = [t for s, t in TimedAVAE.refreshes if s > 0]
    # a refresh at step s runs in on_step_start of step s: it sits in the span that starts before it
    avae = [span - during.get(WARMUP + i, 0.0) for i, span in enumerate(spans)]
    vae_step, avae_step, refresh_t = statistics.mean(vae), statistics.mean(avae), statistics.median(refresh)
    per_step = refresh_t / args.refresh
    print(f"dSprites network, batch 64, m = {args.kde_samples}, k_b = {args.refresh}, "
          f"{torch.get_num_threads()} threads, {args.steps} timed steps")
    print(f"VAE  step                      {vae_step * 1e3:8.1f} ms")
    print(f"AVAE step (without refresh)    {avae_step * 1e3:8.1f} ms")
    print(f"AVAE KDE refresh (m codes)     {refresh_t * 1e3:8.1f} ms  ({len(refresh)} refreshes, "
          f"{args.kde_samples / refresh_t:,.0f} codes/s)")
    print(f"AVAE refresh per step (/k_b)   {per_step * 1e3:8.1f} ms")
    print(f"AVAE / VAE cost per step       {(avae_step + per_step) / vae_step:8.2f}x")
    enc = encoder_seconds_per_image()
    floor = vae_step + args.kde_samples / args.refresh * enc
    print(f"floor: VAE step + m / k_b = {args.kde_samples // args.refresh} encoder passes at "
          f"{1 / enc:,.0f} images/s = {floor * 1e3:.1f} ms, {floor / vae_step:.2f}x the VAE "
          f"(measured {(avae_step + per_step) / vae_step:.2f}x)")


if __name__ == "__main__":
    main()
