"""Layer benchmark: each convolution of the dSprites and MNIST networks, forward and forward + backward.

For every (transposed) convolution of the dSprites network (AVAE Table IX, 1 and 3 image
channels) and of the MNIST network (AVAE Table VIII), at batch 64 in channels-last layout,
prints the median time of the stock ``torch.nn`` layer (oneDNN) and
of vaelab's layer (``vaelab.convops.FastConv2d`` / ``FastConvTranspose2d``: ``product`` = the
image layer as one matrix product, ``gemm`` = im2col / col2im and one product for layers
with a 2x2 side, ``sum_bias`` = oneDNN's input and weight gradients with the bias gradient
summed apart, ``stock`` = oneDNN), side by side in one process, with the achieved GFLOP/s.
This is the measurement behind the thresholds of ``vaelab.convops``.

Usage: python benchmarks/bench_layers.py [--repeats 30] [--threads N]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from vaelab.convops import FastConv2d, FastConvTranspose2d, use_stock_layers
from vaelab.nets import build_networks

CASES = {  # name: architecture, image shape, latent size
    "dsprites": ("dsprites", (1, 64, 64), 6),
    "dsprites-rgb": ("dsprites", (3, 64, 64), 6),
    "mnist": ("mnist", (1, 32, 32), 16),
}


def median_ms(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def conv_inputs(case: str, batch: int = 64):
    """(layer, input, input needs a gradient) of every convolution, inputs as the network feeds them."""
    arch, shape, latent = CASES[case]
    torch.manual_seed(0)
    encoder, decoder = build_networks(arch, shape, latent, head=2)
    pairs = []
    for seq, x in ((encoder, torch.rand(batch, *shape)), (decoder, torch.randn(batch, latent))):
        seq.to(memory_format=torch.channels_last).eval()
        with torch.no_grad():
            for layer in seq:
                if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                    pairs.append((layer, x.contiguous(memory_format=torch.channels_last), bool(pairs)))
                x = layer(x)
    return pairs


def stock(layer: nn.Module) -> nn.Module:
    """The same layer as a stock ``torch.nn`` module sharing its parameters."""
    return use_stock_layers(copy.copy(layer))


def timings(layer: nn.Module, x: torch.Tensor, input_grad: bool, repeats: int) -> tuple[float, float, int]:
    x = x.detach().requires_grad_(input_grad)
    grad = torch.randn_like(layer(x))
    with FlopCounterMode(display=False) as counter:
        layer(x).backward(grad)
    fwd = median_ms(lambda: layer(x).detach(), repeats)
    both = median_ms(lambda: layer(x).backward(grad), repeats)
    return fwd, both, counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}; batch 64, channels-last, milliseconds")
    for case in CASES:
        print(f"\n{case} network ({CASES[case][1]})")
        total = {"stock": 0.0, "vaelab": 0.0}
        for layer, x, input_grad in conv_inputs(case):
            kind = "convT" if isinstance(layer, nn.ConvTranspose2d) else "conv "
            name = f"{kind} {layer.in_channels:3d}->{layer.out_channels:<3d} {x.shape[-1]:2d}->{layer(x).shape[-1]:<2d}"
            fwd, both, flops = timings(stock(layer), x, input_grad, args.repeats)
            total["stock"] += both
            line = f"  {name}  stock fwd {fwd:6.2f} fwd+bwd {both:6.2f} ({flops / both / 1e6:5.1f} GFLOP/s)"
            if isinstance(layer, (FastConv2d, FastConvTranspose2d)):
                path = layer._path(x.detach().requires_grad_(input_grad))
                fwd2, both2, _ = timings(layer, x, input_grad, args.repeats)
                line += (f" | vaelab {path:8s} fwd {fwd2:6.2f} fwd+bwd {both2:6.2f} ({flops / both2 / 1e6:5.1f} GFLOP/s) "
                         f"{both / both2:4.2f}x")
                both = both2
            total["vaelab"] += both
            print(line, flush=True)
        print(f"  all convolutions, fwd+bwd: stock {total['stock']:.1f} ms, vaelab {total['vaelab']:.1f} ms")


if __name__ == "__main__":
    main()
