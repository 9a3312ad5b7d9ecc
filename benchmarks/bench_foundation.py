"""Foundation benchmark: rendering throughput and training-loop overhead.

Prints
  (a) procedural dSprites and 3D Shapes rendering throughput (images/s, random batches
      of 10,000 indices, after the one-off pre-computation, whose time is also printed);
  (b) VAE training throughput on the dSprites network (AVAE Table IX) at batch 64 with
      vaelab's loop (``vaelab.train.train``) next to a bare hand-written PyTorch loop of the
      same network in the same process, and their ratio.

Both loops are timed over the same steps after the same warm-up: vaelab's from a step
hook that stamps the time at the start of every step (so the span covers whole loop
iterations: data fetch, loss, finiteness check, backward, optimiser, logging), the bare
loop the same way. Measurements alternate between the two loops; medians are reported.

Usage: python benchmarks/bench_foundation.py [--repeats 3] [--steps 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from vaelab.config import build_config
from vaelab.data import DSprites, Shapes3D, split_indices
from vaelab.models import MODELS, VAE
from vaelab.nets import build_networks
from vaelab.train import train

WARMUP = 10


class TimedVAE(VAE):
    """The VAE, unchanged, with a time stamp at the start of every step."""

    stamps: list[float] = []

    def on_step_start(self, ctx) -> None:
        TimedVAE.stamps.append(time.perf_counter())


def render_throughput(dataset, n: int = 10_000, repeats: int = 5) -> tuple[float, float]:
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    dataset.images(torch.randint(len(dataset), (16,), generator=g))
    setup = time.perf_counter() - t0
    rates = []
    for _ in range(repeats):
        idx = torch.randint(len(dataset), (n,), generator=g)
        t0 = time.perf_counter()
        dataset.images(idx)
        rates.append(n / (time.perf_counter() - t0))
    return setup, statistics.median(rates)


def vaelab_seconds(steps: int, subset: int, workdir: Path, tag: str) -> float:
    MODELS["timed_vae"] = TimedVAE
    TimedVAE.stamps = []
    config = build_config(model="timed_vae", dataset="dsprites", steps=WARMUP + steps + 1, subset=subset,
                          batch_size=64, device="cpu", overrides=["train.tensorboard=false"])
    train(config, workdir / tag, progress=False)
    return TimedVAE.stamps[WARMUP + steps] - TimedVAE.stamps[WARMUP]


def bare_seconds(steps: int, subset: int) -> float:
    """A hand-written loop: same network, same data in memory, same ELBO, same Adam."""
    data = DSprites()
    train_index, _ = split_indices(len(data), 0.1, 0, subset)
    images = (data.images(train_index) * 255).to(torch.uint8)
    torch.manual_seed(0)
    encoder, decoder = build_networks("dsprites", (1, 64, 64), latent_dim=6, head=2)
    params = list(encoder.parameters()) + list(decoder.parameters())
    opt = torch.optim.Adam(params, lr=5e-4)
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(images), generator=g)
    for step in range(WARMUP + steps):
        if step == WARMUP:
            t0 = time.perf_counter()
        x = images[order[step * 64 : (step + 1) * 64]].float() / 255
        mu, logvar = encoder(x).chunk(2, dim=1)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        recon = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").flatten(1).sum(1).mean()
        kl = 0.5 * (logvar.exp() + mu.square() - 1 - logvar).sum(1).mean()
        loss = recon + kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200, help="timed steps per loop")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    print("\n(a) rendering throughput, batches of 10,000 random indices")
    for name, ds in (("dsprites", DSprites()), ("shapes3d", Shapes3D())):
        setup, rate = render_throughput(ds)
        print(f"  {name:9s} {rate:>10,.0f} images/s   (one-off pre-computation {setup:.2f} s)")

    print(f"\n(b) VAE training on the dSprites network, batch 64, {args.steps} steps, CPU")
    subset = 30_000
    vaelab_rates, bare_rates, ratios = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            bare = bare_seconds(args.steps, subset)
            ours = vaelab_seconds(args.steps, subset, Path(tmp), f"run{r}")
            vaelab_rates.append(64 * args.steps / ours)
            bare_rates.append(64 * args.steps / bare)
            ratios.append(ours / bare)
            print(f"  repeat {r + 1}: vaelab {vaelab_rates[-1]:,.0f} img/s, bare {bare_rates[-1]:,.0f} img/s, "
                  f"time ratio {ratios[-1]:.3f}")
    print(f"  median: vaelab {statistics.median(vaelab_rates):,.0f} img/s, bare loop "
          f"{statistics.median(bare_rates):,.0f} img/s, vaelab/bare time ratio {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
