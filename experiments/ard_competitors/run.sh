#!/usr/bin/env bash
# The comparison of docs/ard_vae.md ("The competitors"): one process, one thread, niced.
#   OUT=runs/ard_competitors bash experiments/ard_competitors/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-runs/ard_competitors}
vaelab=${VAELAB:-vaelab}
export OMP_NUM_THREADS=1
mkdir -p "$out"
nice -n 10 "$vaelab" sweep "$here/digits.yaml" --out "$out/digits" --workers 1
nice -n 10 "$vaelab" sweep "$here/dsprites_ard.yaml" --out "$out/dsprites_ard" --workers 1
# GECO's target: twice the ARD-VAE's mean squared error per image on dSprites at L = 10, rounded up
tau=$(python3 -c "
import json, glob, math
v = [json.load(open(p))['metrics']['reconstruction.mse_per_image']
     for p in glob.glob('$out/dsprites_ard/ard_vae-dsprites-latent_dim=10-seed*/metrics.json')]
print(math.ceil(2 * sum(v) / len(v)))")
echo "GECO tau on dSprites: $tau"
sed "s/tau: TAU/tau: $tau/" "$here/dsprites.template.yaml" > "$out/dsprites.yaml"
nice -n 10 "$vaelab" sweep "$out/dsprites.yaml" --out "$out/dsprites" --workers 1
