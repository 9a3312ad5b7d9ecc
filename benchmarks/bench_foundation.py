"""Foundation benchmark: rendering throughput, training-loop speed and the machine's peak.

Prints
  (a) procedural dSprites and 3D Shapes rendering throughput (images/s, random batches
      of 10,000 indices, after the one-off pre-computation, whose time is also printed);
  (b) the machine's measured peak: a 2048 x 2048 fp32 matmul and a 64-channel 4x4
      stride-2 convolution (forward, batch 64, 16 x 16 input), in GFLOP/s;
  (c) VAE training throughput at batch 64 on the dSprites network (AVAE Table IX,
      procedural dSprites) and the MNIST network (AVAE Table VIII; scikit-learn digits at
      32 x 32 stand in for MNIST, same network and shapes), side by side in one process:
        vaelab        ``vaelab.train.train`` with its defaults (channels-last, device-side
                      loss sums, the CPU forms of ``vaelab.convops``, prefetching where
                      it is on by default), its training items rendered into the host cache
                      before the first step, as every epoch after the first finds them and
                      as the bare loops hold theirs;
        render        the same run with the cache filling as it does by default, lazily: the
                      timed steps also render their procedural dSprites batches (the first
                      epoch of a run);
        bare          a hand-written PyTorch loop of the same network built from stock
                      ``torch.nn`` layers (vaelab's convolutions of ``vaelab.convops`` swapped
                      back for ``nn.Conv2d`` / ``nn.ConvTranspose2d``, same weights), data in memory, contiguous
                      layout (the reference of the done-criterion);
        bare-cl       the same bare loop in channels-last layout (what the layout alone gives);
      each with images/s, achieved GFLOP/s (FLOPs of one forward + backward step counted
      by ``torch.utils.flop_counter``) and its share of the matmul peak.

vaelab's loop is timed from a step hook that stamps the time at the start of every step,
over spans that do not cross an epoch end (validation and checkpoints are not steps); the
bare loops stamp theirs the same way. Repetitions interleave the loops. Each loop's number
is the median of its step times over all repetitions (robust to the bursts of a shared
virtual machine, where single steps of one loop range over +-25 %); the mean is printed
beside it, and the ratio per repetition (of medians) shows the spread.

Usage: python benchmarks/bench_foundation.py [--repeats 3] [--steps 100] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import vaelab.train
from vaelab.config import build_config
from vaelab.convops import use_stock_layers
from vaelab.data import DSprites, Shapes3D, load_dataset, split_indices
from vaelab.data.cache import CachedImages
from vaelab.models import MODELS, VAE
from vaelab.nets import build_networks
from vaelab.train import train

WARMUP = 5
NETWORKS = {  # name: dataset, data options, latent size, likelihood, subset
    "dsprites": ("dsprites", {}, 6, "bernoulli", 30_000),
    "mnist": ("digits", {"size": 32}, 16, "gaussian", None),
}


class TimedVAE(VAE):
    """The VAE, unchanged, with a time stamp at the start of every step."""

    stamps: list[tuple[int, float]] = []

    def on_step_start(self, ctx) -> None:
        TimedVAE.stamps.append((ctx.state.epoch, time.perf_counter()))


def step_spans(stamps: list[tuple[int, float]], steps: int) -> list[float]:
    """Seconds of each step after the warm-up, over the spans that stay within one epoch."""
    return [b - a for (ea, a), (eb, b) in zip(stamps[WARMUP:-1], stamps[WARMUP + 1:]) if ea == eb][:steps]


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


def peak_gflops(repeats: int = 5) -> tuple[float, float]:
    """Best-of GFLOP/s of three 2048^2 fp32 matmuls and of ten 64-channel 4x4 stride-2 convolutions."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x, w = torch.randn(64, 64, 16, 16).contiguous(memory_format=torch.channels_last), torch.randn(64, 64, 4, 4)
    w = w.contiguous(memory_format=torch.channels_last)
    conv_flops = 2 * 64 * 64 * 8 * 8 * 64 * 16
    best_mm = best_conv = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(3):
            a @ b
        best_mm = max(best_mm, 3 * 2 * 2048**3 / (time.perf_counter() - t0) / 1e9)
        t0 = time.perf_counter()
        for _ in range(10):
            F.conv2d(x, w, stride=2, padding=1)
        best_conv = max(best_conv, 10 * conv_flops / (time.perf_counter() - t0) / 1e9)
    return best_mm, best_conv


def _bare_parts(net: str):
    dataset, options, latent, likelihood, subset = NETWORKS[net]
    data = load_dataset(dataset, **options)
    train_index, _ = split_indices(len(data), 0.1, 0, subset)
    images = (data.images(train_index) * 255).round().to(torch.uint8)
    torch.manual_seed(0)
    encoder, decoder = build_networks("dsprites" if net == "dsprites" else "mnist", data.shape, latent, head=2)
    use_stock_layers(encoder)  # stock PyTorch: same parameters, oneDNN's kernels
    use_stock_layers(decoder)

    def loss(x):
        mu, logvar = encoder(x).chunk(2, dim=1)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        raw = decoder(z)
        if likelihood == "bernoulli":
            recon = F.binary_cross_entropy_with_logits(raw, x, reduction="none").flatten(1).sum(1).mean()
        else:
            recon = (torch.sigmoid(raw) - x).square().flatten(1).sum(1).mean()
        return recon + 0.5 * (logvar.exp() + mu.square() - 1 - logvar).sum(1).mean()

    return images, encoder, decoder, loss


def step_flops(net: str) -> int:
    """FLOPs of one forward + backward training step at batch 64."""
    images, encoder, decoder, loss = _bare_parts(net)
    with FlopCounterMode(display=False) as counter:
        loss(images[:64].float() / 255).backward()
    return counter.get_total_flops()


def bare_spans(net: str, steps: int, channels_last: bool) -> list[float]:
    """A hand-written loop: same network, same data in memory, same ELBO, same Adam."""
    images, encoder, decoder, loss = _bare_parts(net)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    encoder.to(memory_format=layout)
    decoder.to(memory_format=layout)
    opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=5e-4)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    per_epoch = len(images) // 64
    stamps = []
    for step in range(WARMUP + steps + 1):
        stamps.append((step // per_epoch, time.perf_counter()))
        b = step % per_epoch
        x = (images[order[b * 64 : (b + 1) * 64]].float() / 255).contiguous(memory_format=layout)
        value = loss(x)
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
    return step_spans(stamps, steps)


class WarmCache(CachedImages):
    """The host cache, rendered in full when it is built (the bare loops' data in memory)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.filled is not None:
            self._fill(torch.arange(len(self.store)))


def vaelab_spans(net: str, steps: int, workdir: Path, tag: str, extra: tuple[str, ...] = (),
                 warm: bool = True) -> list[float]:
    dataset, options, latent, likelihood, subset = NETWORKS[net]
    vaelab.train.CachedImages = WarmCache if warm else CachedImages
    MODELS["timed_vae"] = TimedVAE
    TimedVAE.stamps = []
    n_epochs_crossed = 0 if subset else (WARMUP + steps) // 20 + 2
    config = build_config(model="timed_vae", dataset=dataset, steps=WARMUP + steps + 1 + n_epochs_crossed,
                          subset=subset, batch_size=64, device="cpu",
                          overrides=["train.tensorboard=false", f"latent_dim={latent}", f"likelihood={likelihood}",
                                     *([f"data.options={{size: {options['size']}}}"] if options else []), *extra])
    train(config, workdir / tag, progress=False)
    return step_spans(TimedVAE.stamps, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per loop")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--networks", default="dsprites,mnist")
    parser.add_argument("--skip-render", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")

    if not args.skip_render:
        print("\n(a) rendering throughput, batches of 10,000 random indices")
        for name, ds in (("dsprites", DSprites()), ("shapes3d", Shapes3D())):
            setup, rate = render_throughput(ds)
            print(f"  {name:9s} {rate:>10,.0f} images/s   (one-off pre-computation {setup:.2f} s)")

    mm, conv = peak_gflops()
    print(f"\n(b) measured peak: matmul 2048^2 fp32 {mm:.0f} GFLOP/s, conv 64ch 4x4 stride 2 {conv:.0f} GFLOP/s")

    for net in args.networks.split(","):
        flops = step_flops(net)
        print(f"\n(c) VAE training, {net} network, batch 64, {args.steps} steps, "
              f"{flops / 64 / 1e6:.1f} MFLOP per image (forward + backward)")
        spans: dict[str, list[list[float]]] = {"vaelab": [], "render": [], "bare": [], "bare-cl": []}
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(args.repeats):
                spans["bare"].append(bare_spans(net, args.steps, channels_last=False))
                spans["vaelab"].append(vaelab_spans(net, args.steps, Path(tmp), f"{net}{r}"))
                if net == "dsprites":  # the digits are held in memory: no rendering to time
                    spans["render"].append(vaelab_spans(net, args.steps, Path(tmp), f"{net}{r}r", warm=False))
                spans["bare-cl"].append(bare_spans(net, args.steps, channels_last=True))
                print(f"  repeat {r + 1}: " + ", ".join(f"{k} {64 / statistics.median(v[-1]):,.0f} img/s"
                                                     for k, v in spans.items() if v)
                      + f"  (load {os.getloadavg()[0]:.1f})", flush=True)
        bare = statistics.median(x for rep in spans["bare"] for x in rep)
        for name, reps in spans.items():
            if not reps:
                continue
            every = [x for rep in reps for x in rep]
            t = statistics.median(every)
            print(f"  {name:8s} {64 / t:>8,.0f} img/s (mean {64 / statistics.fmean(every):,.0f})  "
                  f"{flops / t / 1e9:6.1f} GFLOP/s = {flops / t / 1e9 / mm:5.1%} of matmul peak   {bare / t:5.2f}x bare")
        ratios = [statistics.median(b) / statistics.median(v) for b, v in zip(spans["bare"], spans["vaelab"])]
        print(f"  vaelab / bare per repeat: {', '.join(f'{x:.2f}' for x in ratios)}")


if __name__ == "__main__":
    main()
