#!/usr/bin/env bash
# Re-creates the two shipped bundles under assets/models/ with the recorded settings (fixed seeds).
# Usage: scripts/train_shipped.sh [fashion-mnist|mnist|all] [build dir]
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
