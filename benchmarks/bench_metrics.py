"""Disentanglement-suite benchmark: seconds per metric at the default sample counts.

Procedural dSprites (737,280 items) and a fixed, randomly initialised dSprites encoder
(AVAE Table IX, 6 latents, eval mode, ``torch.manual_seed(0)``, outputs standardised by a
fixed affine map so that no FactorVAE dimension is pruned). Every metric runs with its
default sample counts (SPEC "Decisions") and generator seed 0:

  beta-VAE      (10K + 5K points) x 64 pairs      1,920,000 codes
  FactorVAE     10K + (10K + 5K) x 64               970,000 codes
  MIG           10K                                  10,000 codes
  DCI           10K + 5K                             15,000 codes
  SAP           10K + 5K                             15,000 codes
  PCA FactorVAE (10K + 5K) x 100                  1,500,000 codes
  PCA MIG       10K x 100 (directions) + 10K      1,010,000 codes

By default all metrics share one :class:`vaelab.metrics.disentanglement.CodeCache`; the
whole grid is encoded once first (timed on its own line), which is what the suite touches
anyway (about 4.4 million requested codes over 737,280 items), and each metric line is then
its sampling and fitting time. ``--direct`` gives every metric the bare encoder instead
(disentanglement_lib's cost profile: every requested code is rendered and encoded); expect
about half an hour on 2 CPU cores. ``--scale`` multiplies every sample count, for a quick
run of the script itself.

With ``--run RUN`` the script instead times ``vaelab.evaluate.evaluate_run`` on a trained run
(every ground-truth group at the default sample counts, in a copy of the run directory so
its results are untouched), and prints the grid-encoding time and each group's time as
recorded in ``metrics.json``: the number a user of ``vaelab evaluate`` waits for.

The encoder runs through evaluation's fast path (inference mode, channels-last, batches of
``vaelab.evaluate.ENCODE_BATCH``); ``--contiguous --batch 500`` gives the previous path.

Usage: python benchmarks/bench_metrics.py [--direct] [--contiguous] [--batch N] [--scale 1.0] [--run RUN]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from vaelab.data import DSprites
from vaelab.evaluate import ENCODE_BATCH, GROUND_TRUTH_METRICS, evaluate_run
from vaelab.metrics.directions import latent_directions, pca_factor_vae_score, pca_mig_score
from vaelab.metrics.disentanglement import (
    CodeCache,
    beta_vae_score,
    dci_score,
    factor_vae_score,
    mig_score,
    sap_score,
)
from vaelab.nets import build_networks


def make_encoder(data: DSprites, channels_last: bool, batch: int):
    """The random network followed by a fixed standardisation of its outputs.

    A freshly initialised network's codes vary by less than the FactorVAE pruning
    threshold (std 0.05), which would prune every dimension and skip that metric's work;
    the fixed affine map (mean and std of 2,000 evenly spaced items) keeps the encoder
    deterministic and gives every dimension unit scale.
    """
    torch.manual_seed(0)
    net = build_networks("dsprites", (1, 64, 64), 6, 1)[0].eval()
    layout = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(memory_format=layout)

    def raw(x):
        with torch.inference_mode():
            return torch.cat([net(x[i:i + batch].contiguous(memory_format=layout)) for i in range(0, len(x), batch)])

    z = raw(data.images(torch.linspace(0, len(data) - 1, 2000).long()))
    mean, std = z.mean(0), z.std(0)
    return lambda x: (raw(x) - mean) / std


def time_run(run: str) -> None:
    """Times evaluate_run's ground-truth suite on a copy of ``run``."""
    import json
    import shutil
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "run"
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("metrics.json", "codes"))
        t0 = time.perf_counter()
        evaluate_run(copy, list(GROUND_TRUTH_METRICS), progress=False)
        wall = time.perf_counter() - t0
        out = json.loads((copy / "metrics.json").read_text())
    print(f"evaluate_run on {run}: every ground-truth group at the default sample counts, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'encode grid':<24}{out['encoding']['seconds']:>10.1f} s   ({out['encoding']['items']:,} items)")
    for group, seconds in out["seconds"].items():
        print(f"{group:<24}{seconds:>10.1f} s")
    print(f"{'total (wall)':<24}{wall:>10.1f} s")


def metrics(scale: float) -> dict:
    def n(v: int) -> int:
        return max(2, round(v * scale))

    return {
        "beta-VAE": (beta_vae_score, {"num_train": n(10_000), "num_eval": n(5_000)}),
        "FactorVAE": (factor_vae_score,
                      {"num_train": n(10_000), "num_eval": n(5_000), "num_variance_estimate": n(10_000)}),
        "MIG": (mig_score, {"num_train": n(10_000)}),
        "DCI": (dci_score, {"num_train": n(10_000), "num_test": n(5_000)}),
        "SAP": (sap_score, {"num_train": n(10_000), "num_test": n(5_000)}),
        "PCA FactorVAE": (pca_factor_vae_score, {"num_train": n(10_000), "num_eval": n(5_000)}),
        "PCA MIG": (pca_mig_score, {"num_train": n(10_000), "num_votes": n(10_000)}),
        "directions": (lambda *a, **k: {"directions": float(len(latent_directions(*a, **k)))},
                       {"num_votes": n(10_000)}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--direct", action="store_true", help="no shared code cache")
    parser.add_argument("--contiguous", action="store_true", help="run the encoder in contiguous layout")
    parser.add_argument("--batch", type=int, default=ENCODE_BATCH, help="observations per encoder call")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every sample count")
    parser.add_argument("--run", help="time vaelab.evaluate.evaluate_run on this trained run instead")
    args = parser.parse_args()
    if args.run:
        time_run(args.run)
        return

    data = DSprites()
    data.images([0])
    encoder = make_encoder(data, not args.contiguous, args.batch)
    print(f"dSprites {len(data):,} items, encoder AVAE Table IX (L=6), torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}, scale {args.scale:g}, "
          f"{'direct encoder' if args.direct else 'shared code cache'}, "
          f"{'contiguous' if args.contiguous else 'channels-last'} batches of {args.batch}")

    x = data.images(torch.arange(0, len(data), 97)[:5000])
    t0 = time.perf_counter()
    encoder(x)
    print(f"{'encoder throughput':<24}{len(x) / (time.perf_counter() - t0):>10,.0f} images/s")

    times = {}
    encode = encoder
    if not args.direct:
        t0 = time.perf_counter()
        encode = CodeCache(data, encoder, batch_size=2000).fill()
        times["encode grid (cache)"] = time.perf_counter() - t0
        print(f"{'encode grid (cache)':<24}{times['encode grid (cache)']:>10.1f} s")

    for name, (fn, kw) in metrics(args.scale).items():
        t0 = time.perf_counter()
        scores = fn(data, encode, torch.Generator().manual_seed(0), **kw)
        times[name] = time.perf_counter() - t0
        shown = ", ".join(f"{k}={v:.3f}" for k, v in scores.items())
        print(f"{name:<24}{times[name]:>10.1f} s   {shown}", flush=True)
    print(f"{'total':<24}{sum(times.values()):>10.1f} s")
    if not args.direct:
        print(f"{'metrics without encoding':<24}{sum(times.values()) - times['encode grid (cache)']:>10.1f} s")


if __name__ == "__main__":
    main()
