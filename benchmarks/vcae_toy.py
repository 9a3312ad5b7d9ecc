"""VCAE vs cWAE on the four-Gaussian toy of VCAE Section 6.1 (Figs. 2a-2c).

Trains VCAE and cWAE with a 2-D latent on the ``mog`` data (a 2-D mixture of four
Gaussians projected to 100-D; :func:`vaelab.data.toy.load_mog`) through vaelab's training
loop, for several seeds, with the MLP networks. Both models see the same fixed latent
noise N(0, noise_var I) and the same objective form, NLL + lambda * penalty (VCAE
Algorithm 1): the variance penalty with v = 2 for VCAE, the IMQ-kernel MMD to N(0, I) for
cWAE. Defaults are the 2-D latent setup of VCAE B.2 (lambda_VCAE = 1, lambda_cWAE = 100,
noise variance 0.01); the seed gives no settings for the toy itself.

Prints, per model, mean +- std over seeds of the reconstruction MSE on the held-out
``mog`` test split (10,000 fresh points, same projection):
  - ``mse/elem``: squared error per element (mean over the 100 coordinates and the points)
    of decode(encode(x)), the noise-free codes;
  - ``mse/vec``: the same summed over the 100 coordinates (= the squared error in the plane,
    since the projection has orthonormal rows);
  - ``noisy/elem``: per element, decoding codes with the training noise added;
  - ``tot.var``: total variance of the noisy held-out codes (VCAE's target is 2).
Writes, per seed, ``OUT/latents_seed{S}.png`` (the planar data, VCAE codes and cWAE codes of
2,000 test points coloured by component: Fig. 2a-2c) and ``OUT/histograms_{model}_seed{S}.png``
(per-feature histograms, cf. Fig. 5), and ``OUT/results.json``.

Usage: python benchmarks/vcae_toy.py [--seeds 3] [--epochs 50] [--out runs/vcae_toy] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import time
from pathlib import Path

import torch

from vaelab.config import build_config
from vaelab.data.toy import load_mog, mixture_of_gaussians
from vaelab.models.vcae import total_variance
from vaelab.runs import Run
from vaelab.train import train
from vaelab.viz import plot_latent_histograms, plot_scatter_panels

MODELS = ("vcae", "cwae")


def overrides(name: str, args: argparse.Namespace) -> list[str]:
    common = ["latent_dim=2", "architecture=mlp", "likelihood=gaussian", f"noise_var={args.noise_var}",
              f"train.lr={args.lr}", "train.tensorboard=false"]
    if name == "vcae":
        return [*common, f"lambda_var={args.lambda_vcae}"]
    return [*common, f"beta={args.lambda_cwae}", "recon_scale=1.0"]


@torch.no_grad()
def evaluate(model, x: torch.Tensor, noise_var: float, seed: int) -> dict[str, float]:
    z = model.encode(x)
    err = (model.decode(z) - x).square()
    g = torch.Generator().manual_seed(seed)
    noisy = z + math.sqrt(noise_var) * torch.randn(z.shape, generator=g)
    return {"mse/elem": float(err.mean()), "mse/vec": float(err.sum(1).mean()),
            "noisy/elem": float((model.decode(noisy) - x).square().mean()),
            "tot.var": float(total_variance(noisy))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--noise-var", type=float, default=0.01)
    parser.add_argument("--lambda-vcae", type=float, default=1.0)
    parser.add_argument("--lambda-cwae", type=float, default=100.0)
    parser.add_argument("--out", type=Path, default=Path("runs/vcae_toy"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="Delete OUT first instead of reusing finished runs.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.fresh and args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True, exist_ok=True)

    test = load_mog(split="test")
    x = test.images(torch.arange(len(test)))
    planar, labels = mixture_of_gaussians(len(test), seed=1)[1:]
    print(f"mog test split: {len(x)} points of dim {x.shape[1]}; per-element variance of the data "
          f"{float(x.var(0).mean()):.4f} (the MSE of predicting the mean)")
    results: dict[str, list[dict[str, float]]] = {m: [] for m in MODELS}
    for seed in range(args.seeds):
        codes = {}
        for name in MODELS:
            out = args.out / f"{name}-seed{seed}"
            run = Run(out)
            start = time.perf_counter()
            if run.status().get("status") != "finished":
                config = build_config(model=name, dataset="mog", epochs=args.epochs, seed=seed, device="cpu",
                                      overrides=overrides(name, args))
                train(config, out, resume=True, progress=False)
            model = run.load_model("best")
            row = evaluate(model, x, args.noise_var, seed)
            row["seconds"] = time.perf_counter() - start
            results[name].append(row)
            with torch.no_grad():
                codes[name] = model.encode(x[:2000])
            plot_latent_histograms(model.encode(x).detach(), args.out / f"histograms_{name}_seed{seed}.png",
                                   title=f"{name} features, seed {seed}")
            print(f"seed {seed} {name}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()), flush=True)
        plot_scatter_panels([("data (2-D mixture)", planar[:2000], labels[:2000]),
                             ("VCAE codes", codes["vcae"], labels[:2000]),
                             ("cWAE codes", codes["cwae"], labels[:2000])],
                            args.out / f"latents_seed{seed}.png")

    keys = ("mse/elem", "mse/vec", "noisy/elem", "tot.var")
    print(f"\n{args.seeds} seeds, {args.epochs} epochs, noise_var {args.noise_var}, "
          f"lambda_VCAE {args.lambda_vcae}, lambda_cWAE {args.lambda_cwae}, lr {args.lr}")
    print("model  " + "  ".join(f"{k:>20}" for k in keys))
    summary = {}
    for name in MODELS:
        stats = {}
        for k in keys:
            vals = [r[k] for r in results[name]]
            sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
            stats[k] = {"mean": statistics.fmean(vals), "std": sd, "values": vals}
        summary[name] = stats
        print(f"{name:<6} " + "  ".join(f"{stats[k]['mean']:>10.3e} +- {stats[k]['std']:.1e}" for k in keys))
    (args.out / "results.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                       "summary": summary}, indent=2))
    print(f"wrote {args.out}/latents_seed*.png, histograms_*.png, results.json")


if __name__ == "__main__":
    main()
