#!/usr/bin/env bash
# Sets everything up, builds, and starts LatentLab on the shipped Fashion-MNIST model.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
exec "$here/build/app/latentlab" "$@"
