"""Generative-metrics benchmark: seconds per metric at the seeds' sample counts.

Prints
  (a) Frechet distance and precision / recall (20 clusters, 1001 angles, 10 runs) on two
      random ``(n, d)`` feature sets, for the trained network's width (128) and
      Inception's (2048);
  (b) InceptionV3 feature throughput (images/s, batch 50, 32x32 RGB input resized to
      299; random weights, same cost as the real ones);
  (c) training time and held-out accuracy of the fallback feature network at its default
      budget on digits (32x32) and, with ``--all``, 3D Shapes and dSprites (64x64);
  (d) ``generative_metrics`` end to end on the digits test split (297 images) with an
      untrained VAE and the trained features (excluding the feature network's training).

Usage: python benchmarks/bench_generative.py [--n 10000] [--threads 2] [--all]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from vaelab.data import load_dataset
from vaelab.metrics.features import (
    FeatureNetConfig,
    get_feature_extractor,
    train_feature_net,
)
from vaelab.metrics.generative import (
    frechet_distance,
    generative_metrics,
    precision_recall,
)
from vaelab.metrics.inception import FIDInceptionV3
from vaelab.models import build_model


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="samples per feature set")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--all", action="store_true", help="also train on 3D Shapes and dSprites (minutes)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")

    g = torch.Generator().manual_seed(0)
    for d in (128, 2048):
        a = torch.randn(args.n, d, generator=g)
        b = torch.randn(args.n, d, generator=g) + 0.1
        fd_s, _ = timed(frechet_distance, a, b)
        pr_s, _ = timed(precision_recall, a, b, generator=torch.Generator().manual_seed(0))
        print(f"(a) n={args.n} d={d}: frechet_distance {fd_s:.2f} s, precision_recall (10 runs) {pr_s:.2f} s")

    net = FIDInceptionV3()
    x = torch.rand(50, 3, 32, 32, generator=g)
    with torch.no_grad():
        net(x[:2])
        seconds, _ = timed(net, x)
    print(f"(b) InceptionV3: {50 / seconds:.1f} images/s ({seconds:.2f} s per batch of 50)")

    datasets = [("digits", {"size": 32})] + ([("shapes3d", {}), ("dsprites", {})] if args.all else [])
    for name, options in datasets:
        data = load_dataset(name, **options)
        seconds, (_, details) = timed(train_feature_net, data, FeatureNetConfig(), progress=False)
        print(f"(c) feature net on {name}: {seconds:.1f} s for {FeatureNetConfig().steps} steps, "
              f"accuracy {details['accuracy']:.3f} (chance {details['chance']:.3f})")

    data = load_dataset("digits", size=32, split="test")
    with tempfile.TemporaryDirectory() as cache:
        features = get_feature_extractor(data, kind="trained", cache_dir=cache,
                                         config=FeatureNetConfig(steps=200), progress=False)
        torch.manual_seed(0)
        model = build_model("vae", {"latent_dim": 16, "architecture": "mnist", "likelihood": "bernoulli"},
                            data.shape, data.value_range)
        seconds, out = timed(generative_metrics, model, data, torch.arange(len(data)),
                             torch.Generator().manual_seed(0), features=features, progress=False)
    print(f"(d) generative_metrics on {out['num_samples']} digits, 3 sets: {seconds:.1f} s "
          f"(prior FD {out['prior_fd']:.2f}, recall {out['prior_recall']:.3f})")


if __name__ == "__main__":
    main()
