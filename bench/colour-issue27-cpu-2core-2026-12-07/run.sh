#!/usr/bin/env bash
# Issue 27's benchmarks on the colour bundle beside the grey one, on one machine in one run:
#   bench/colour-issue27-cpu-2core-2026-12-07/run.sh [build dir]
# 1. drag_update_p95_ms, saliency_update_p95_ms and ig64_ms on emoji (3x64x64) and fashion-mnist
#    (1x28x28), three interleaved runs each, quiet;
# 2. a PyTorch user's IG of the same function (ig_pytorch.py) on both, for the ratio;
# 3. the same LatentLab keys with another program busy on both cores (two `yes` processes);
# 4. `latentlab import` of a colour CNN on emoji (1,857 images) and of the same grey CNN on
#    Fashion-MNIST limited to the same 1,486 training images (everything else at the defaults).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$here/../.."
ll="${1:-$root/build}/app/latentlab"
out="$here/results"; mkdir -p "$out"
keys=drag_update_p95_ms,saliency_update_p95_ms,ig64_ms
export OMP_WAIT_POLICY=PASSIVE
for r in 1 2 3; do
  for b in emoji fashion-mnist; do
    "$ll" bench --only $keys --bundle "$root/assets/models/$b" --json "$out/quiet_${b}_$r.json" --force >/dev/null
  done
done
for b in emoji fashion-mnist; do
  THREADS=2 /usr/bin/python3 "$here/ig_pytorch.py" "$root/assets/models/$b" 20 > "$out/pytorch_$b.json"
done
yes >/dev/null & h1=$!; yes >/dev/null & h2=$!
trap 'kill $h1 $h2 2>/dev/null || true' EXIT
for b in emoji fashion-mnist; do
  "$ll" bench --only $keys --bundle "$root/assets/models/$b" --json "$out/busy_$b.json" --force >/dev/null
done
kill $h1 $h2; trap - EXIT
tmp=$(mktemp -d); /usr/bin/python3 "$here/make_models.py" "$tmp"
for spec in "colour64.pt emoji 0" "grey28.pt fashion-mnist 1486"; do
  set -- $spec
  start=$(date +%s.%N)
  "$ll" import "$tmp/$1" --dataset "$2" --limit-train "$3" --out "$tmp/${1%.pt}.bundle" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "{\"model\": \"$1\", \"dataset\": \"$2\", \"limit_train\": $3, \"import_seconds\": $(echo "$end - $start" | bc)}" > "$out/import_${1%.pt}.json"
done
rm -rf "$tmp"
echo "wrote $out"
