#!/usr/bin/env bash
# Re-creates the three shipped bundles under assets/models/ with the recorded settings (fixed seeds).
# Usage: scripts/train_shipped.sh [fashion-mnist|mnist|emoji|all] [build dir]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
which="${1:-all}"
bin="${2:-$here/build}/app/latentlab"
if [[ "$which" == fashion-mnist || "$which" == all ]]; then
  "$bin" train --dataset fashion-mnist --out "$here/assets/models/fashion-mnist" --force --seed 0 \
    --epochs 12 --ensemble 5 --ensemble-epochs 5 --decoder-epochs 10 --vae-epochs 10
fi
if [[ "$which" == mnist || "$which" == all ]]; then
  "$bin" train --dataset mnist --out "$here/assets/models/mnist" --force --seed 0 \
    --epochs 15 --ensemble 5 --ensemble-epochs 8 --decoder-epochs 30 --vae-epochs 20
fi
if [[ "$which" == emoji || "$which" == all ]]; then
  # The colour example (3x64x64): d = 32 keeps the bundle small; checkpoints every 10 epochs for TracIn.
  "$bin" train --dataset emoji --out "$here/assets/models/emoji" --force --seed 0 --latent-dim 32 \
    --epochs 30 --ensemble 5 --ensemble-epochs 15 --decoder-epochs 60 --vae-epochs 60 --checkpoint-every 10
fi
