#!/usr/bin/env bash
# Sets everything up, builds, and opens the LatentLab window on the shipped Fashion-MNIST model.
# Extra arguments go to `latentlab` (e.g. `scripts/run.sh gui assets/models/mnist`).
# Without a display (a headless machine, ssh without X forwarding) it renders one frame under
# Xvfb into latentlab.png instead and says so.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
exe="$here/build/app/latentlab"
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]] && [[ $# -eq 0 || ($# -eq 2 && "$1" == gui) ]]; then
  echo "run: no display here; rendering the explorer under Xvfb into $PWD/latentlab.png"
  echo "run: on a desktop, the same command opens the window"
  exec xvfb-run -a -s "-screen 0 1600x960x24" "$exe" gui ${2:+"$2"} --screenshot "$PWD/latentlab.png" --force
fi
exec "$exe" "$@"
