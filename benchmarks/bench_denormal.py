"""Denormal benchmark: training speed as the decoder learns, with and without flushing subnormals.

Trains the demo's VAE (the ``quickstart`` preset: dSprites network, batch 64, Adam 1e-3,
30,000 items) for ``--steps`` steps twice in one process, with ``train.flush_denormal``
off and on (the default), and prints the median step time of every window of 100 steps
side by side, then the share of subnormal entries in the gradient of the loss with respect
to the decoder's logits at the end of the run without flushing (on one training batch).
Without flushing, the step time grows as the background logits fall below -87 and their
gradients turn subnormal; with it, the step time stays where it starts.

Usage: python benchmarks/bench_denormal.py [--steps 700] [--threads N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from vaelab.data import DSprites
from vaelab.experiments.presets import get_preset
from vaelab.experiments.sweeps import expand, run_config
from vaelab.models import MODELS, VAE
from vaelab.runs import Run
from vaelab.denormals import flush_denormal
from vaelab.train import train

WINDOW = 100


class TimedVAE(VAE):
    """The VAE, unchanged, with a time stamp at the start of every step."""

    stamps: list[float] = []

    def on_step_start(self, ctx) -> None:
        TimedVAE.stamps.append(time.perf_counter())


def windows(stamps: list[float]) -> list[float]:
    """Median step time (ms) of each window of ``WINDOW`` steps; a span that holds an epoch end is dropped."""
    spans = [b - a for a, b in zip(stamps, stamps[1:])]
    typical = statistics.median(spans)
    spans = [s if s < 5 * typical else typical for s in spans]  # validation at an epoch end is not a step
    return [statistics.median(spans[i:i + WINDOW]) * 1e3 for i in range(0, len(spans) - WINDOW + 1, WINDOW)]


def subnormal_share(run: Path) -> float:
    """Share of the nonzero entries of d loss / d logits below float32's smallest normal, on one batch."""
    model = Run(run).load_model("latest")
    x = DSprites().images(torch.randint(737_280, (64,), generator=torch.Generator().manual_seed(0)))
    with flush_denormal(False):
        logits = model.decoder(model.encode(x)).detach().requires_grad_()
        F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1).mean().backward()
        g = logits.grad
    nonzero = g != 0
    return float((nonzero & (g.abs() < torch.finfo(torch.float32).tiny)).sum() / nonzero.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=700)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    MODELS["timed_vae"] = TimedVAE
    base = run_config({r.model: r for r in expand(get_preset("quickstart").base)}["vae"])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for flush in (False, True):
            config = dataclasses.replace(base, model="timed_vae", train=dataclasses.replace(
                base.train, steps=args.steps, tensorboard=False, flush_denormal=flush))
            TimedVAE.stamps = []
            t0 = time.perf_counter()
            train(config, Path(tmp) / f"flush{flush}", progress=False)
            results[flush] = (windows(TimedVAE.stamps), time.perf_counter() - t0)
        share = subnormal_share(Path(tmp) / "flushFalse")
    print(f"\nquickstart VAE, batch 64, {args.steps} steps: median step (ms) per window of {WINDOW} steps")
    print(f"  {'steps':>11s}  {'flush off':>9s}  {'flush on':>9s}  {'off / on':>8s}")
    for i, (off, on) in enumerate(zip(results[False][0], results[True][0])):
        print(f"  {i * WINDOW:>5d}-{(i + 1) * WINDOW:<5d}  {off:9.1f}  {on:9.1f}  {off / on:7.2f}x")
    print(f"  whole run (s, with validation and checkpoints): off {results[False][1]:.1f}, on {results[True][1]:.1f} "
          f"({results[False][1] / results[True][1]:.2f}x)")
    print(f"  subnormal share of the nonzero d loss / d logits after {args.steps} steps without flushing: {share:.1%}")


if __name__ == "__main__":
    main()
