"""Writes the cut-down offline sweep files of docs/reproduction.md (run with the venv active): python make_sweep.py PRESET BUDGET SEEDS [KEY=VALUE...]"""
import subprocess, sys, yaml
preset, budget, seeds, *extra = sys.argv[1:]
text = subprocess.run(["vaelab", "presets", "show", preset, "--budget", budget],
                      capture_output=True, text=True, check=True).stdout
spec = yaml.safe_load(text)
OFF = {"dsprites": "dsprites", "shapes3d": "shapes3d", "mog": "mog", "mnist": "digits"}
spec["datasets"] = [OFF[d] for d in spec["datasets"] if d in OFF]
for key in ("dataset_overrides",):
    if key in spec:
        spec[key] = {OFF[d]: v for d, v in spec[key].items() if d in OFF}
if "cell_overrides" in spec:
    spec["cell_overrides"] = {m: {OFF[d]: v for d, v in cells.items() if d in OFF} for m, cells in spec["cell_overrides"].items()}
spec["seeds"] = list(range(int(seeds)))
for item in extra:
    k, v = item.split("=", 1)
    if k == "metrics":
        spec["metrics"] = v.split(",")
    elif k == "num_samples":
        spec["num_samples"] = int(v)
    else:
        spec.setdefault("overrides", {})[k] = yaml.safe_load(v)
spec["name"] = f"{preset} (budget {budget})"
print(yaml.safe_dump(spec, sort_keys=False))
