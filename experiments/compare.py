"""Train and evaluate several models on one dataset over seeds, then print a mean +- std table.

A quick script over ``vaelab.experiments.sweeps.complete_run``; ``vaelab sweep`` is the full tool.

Runs are resumable: re-running the same command skips finished runs and evaluations.

Example (the issue-4 comparison):
    python experiments/compare.py --models vae,beta_tcvae,factor_vae --dataset dsprites \
        --seeds 0,1,2 --steps 4000 --subset 200000 --batch-size 64 \
        --metrics mig,factor_vae --num-samples 2000 --out runs/compare_baselines
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from vaelab.config import build_config
from vaelab.experiments.sweeps import complete_run
from vaelab.runs import Run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--subset", type=int)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--metrics", required=True)
    p.add_argument("--num-samples", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--keys", help="comma-separated metric keys for the table (default: all computed)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("overrides", nargs="*", help="model:key=value overrides, e.g. avae:kde_samples=5000")
    args = p.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    models, seeds, metrics = args.models.split(","), [int(s) for s in args.seeds.split(",")], args.metrics.split(",")
    table: dict[str, dict[str, list[float]]] = {}
    for model in models:
        extra = [o.split(":", 1)[1] for o in args.overrides if o.startswith(f"{model}:")]
        for seed in seeds:
            out = Path(args.out) / f"{model}-seed{seed}"
            config = build_config(model=model, dataset=args.dataset, steps=args.steps, subset=args.subset,
                                  batch_size=args.batch_size, seed=seed, device="cpu",
                                  overrides=["train.tensorboard=false", *extra])
            start = time.perf_counter()
            trained, evaluated = complete_run(out, config, metrics, num_samples=args.num_samples)
            if trained or evaluated:
                print(f"{out}: {'trained and ' if trained else ''}evaluated {','.join(evaluated) or '-'} "
                      f"in {time.perf_counter() - start:.0f} s", flush=True)
            path = out / "metrics.json"
            values = json.loads(path.read_text())["metrics"]
            status = Run(out).status()
            values["train.best_val_loss"] = status["best_val_loss"]
            for k, v in values.items():
                table.setdefault(model, {}).setdefault(k, []).append(v)

    keys = args.keys.split(",") if args.keys else sorted({k for m in table.values() for k in m})
    print(f"\n{args.dataset}, seeds {seeds}, {args.steps} steps, batch {args.batch_size}, "
          f"num_samples {args.num_samples}")
    print("| model | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for model, values in table.items():
        cells = []
        for k in keys:
            v = values.get(k, [])
            cells.append(f"{statistics.mean(v):.3f} +- {statistics.stdev(v) if len(v) > 1 else 0.0:.3f}" if v else "-")
        print(f"| {model} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
