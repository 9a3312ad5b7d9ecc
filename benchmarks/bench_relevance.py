"""Relevance-score benchmark: seconds for the decoder-Jacobian weights of ARD-VAE Eq. 19.

For each decoder (randomly initialised, eval mode, ``torch.manual_seed(0)``), times
:func:`vaelab.metrics.latent.decoder_jacobian_weights` on ``--samples`` codes (100, one
minibatch as in ARD-VAE Section 3.4) with ``--latent-dim`` axes (256) for 64x64x3 outputs:

  celeba    AVAE Table VIII / ARD-VAE supp. Table 4 CelebA decoder (FC -> 512x8x8, 3 BN
            transposed convolutions, stride-1 output convolution), about 0.42 GMAC per code
  dsprites  AVAE Table IX / ARD-VAE supp. Table 5 decoder with 3 output channels (the 3D
            Shapes network), about 9 MMAC per code

The Jacobian has ``samples x latent_dim`` columns, each one forward-mode product, so the
cost is close to that of decoding ``samples x latent_dim`` codes (25,600 by default). Each
line also prints that floor, measured by decoding ``--floor-codes`` codes in inference mode
and scaling up, so the ratio shows the overhead of the Jacobian itself.

Usage: python benchmarks/bench_relevance.py [--nets dsprites,celeba] [--latent-dim 256]
       [--samples 100] [--reading code] [--chunk 32] [--channels-last] [--floor-codes 2000]
"""

from __future__ import annotations

import argparse
import time

import torch

from vaelab.metrics.latent import decoder_jacobian_weights
from vaelab.nets import build_networks


def decoder(name: str, latent_dim: int, channels_last: bool) -> torch.nn.Module:
    torch.manual_seed(0)
    net = build_networks(name, (3, 64, 64), latent_dim)[1].eval()
    return net.to(memory_format=torch.channels_last) if channels_last else net


def forward_floor(net: torch.nn.Module, latent_dim: int, codes: int, total: int) -> float:
    """Seconds to decode ``total`` codes, extrapolated from decoding ``codes`` in batches of 500."""
    z = torch.randn(codes, latent_dim, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        net(z[:10])
        start = time.perf_counter()
        for i in range(0, codes, 500):
            net(z[i : i + 500])
    return (time.perf_counter() - start) * total / codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nets", default="dsprites,celeba")
    parser.add_argument("--latent-dim", type=int, default=256)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--reading", choices=["code", "paper"], default="code")
    parser.add_argument("--chunk", type=int, default=32)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--floor-codes", type=int, default=2000)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, L = {args.latent_dim}, "
          f"N = {args.samples}, reading {args.reading}, chunk {args.chunk}"
          f"{', channels-last' if args.channels_last else ''}")
    for name in args.nets.split(","):
        net = decoder(name, args.latent_dim, args.channels_last)
        z = torch.randn(args.samples, args.latent_dim, generator=torch.Generator().manual_seed(0))
        start = time.perf_counter()
        w = decoder_jacobian_weights(net, z, reading=args.reading, chunk=args.chunk)
        seconds = time.perf_counter() - start
        floor = forward_floor(net, args.latent_dim, args.floor_codes, args.samples * args.latent_dim)
        print(f"{name:9s} relevance {seconds:8.2f} s   decoding {args.samples * args.latent_dim:,} codes "
              f"{floor:8.2f} s   ratio {seconds / floor:4.2f}   (w finite: {bool(torch.isfinite(w).all())})",
              flush=True)


if __name__ == "__main__":
    main()
