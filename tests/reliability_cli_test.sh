#!/usr/bin/env bash
# reliability_cli_test.sh LATENTLAB BUNDLE: the reliability rules end to end, as a careless or
# hostile user meets them (README, Reliability). Every command runs under a 6 GB memory limit and a
# 60 s timeout: a reader of /dev/zero used to grow to 24 GB, one of a FIFO to hang.
set -uo pipefail
LL="$1"; SRC="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
# An AddressSanitizer build reserves terabytes of address space, so ulimit -v cannot bound it: its
# own hard RSS limit does the same there.
vlimit=6000000
if grep -q "__asan_init" "$LL" 2>/dev/null; then
  vlimit=unlimited
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=6000"
fi
# expect_refusal NAME REGEX CMD...: a non-zero exit (not a signal, not the timeout) with an error line matching REGEX.
expect_refusal() {
  local name="$1" regex="$2"; shift 2
  local t0=$SECONDS err rc
  err=$( (ulimit -v $vlimit; timeout 60 "$@") 2>&1 >/dev/null); rc=$?
  if [[ $rc -eq 0 || $rc -ge 124 ]] || ! grep -Eq "latentlab: error: .*($regex)" <<<"$err"; then
    echo "FAIL $name: exit $rc after $((SECONDS - t0)) s: $err"; fails=$((fails + 1))
  else
    echo "ok   $name ($((SECONDS - t0)) s): $(grep -m1 'latentlab: error:' <<<"$err" | cut -c1-200)"
  fi
}
# expect_ok NAME CMD...: exits 0 within the limits.
expect_ok() {
  local name="$1"; shift
  local t0=$SECONDS err rc
  err=$( (ulimit -v $vlimit; timeout 120 "$@") 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne 0 ]]; then echo "FAIL $name: exit $rc: ${err: -500}"; fails=$((fails + 1)); else echo "ok   $name ($((SECONDS - t0)) s)"; fi
}
bundle() {  # bundle NAME: a copy of the shipped bundle (its components and its small caches)
  mkdir -p "$tmp/$1/cache"
  cp "$SRC"/*.pt "$SRC"/manifest.json "$tmp/$1/"
  cp "$SRC"/cache/latents_test.pt* "$tmp/$1/cache/" 2>/dev/null
  echo "$tmp/$1"
}
mkfifo "$tmp/pipe"

# 1. Readers: a device or a FIFO where a file is read.
B=$(bundle zero); rm "$B/manifest.json"; ln -s /dev/zero "$B/manifest.json"
expect_refusal info_manifest_dev_zero "is a device, not a regular file" "$LL" info "$B"
expect_refusal train_dvae_manifest_dev_zero "is a device, not a regular file" "$LL" train-dvae "$B" --force
B=$(bundle fifo); rm "$B/manifest.json"; ln -s "$tmp/pipe" "$B/manifest.json"
expect_refusal info_manifest_fifo "is a pipe, not a regular file" "$LL" info "$B"
B=$(bundle fifodvae); rm "$B/dvae.pt"; ln -s "$tmp/pipe" "$B/dvae.pt"
expect_refusal eval_dvae_fifo "dvae.pt is a pipe, not a regular file" "$LL" eval "$B" --dvae --limit-test 10 --ood none
expect_refusal gui_script_dev_zero "is a device, not a regular file" "$LL" gui "$SRC" --script /dev/zero
expect_refusal gui_script_fifo "is a pipe, not a regular file" "$LL" gui "$SRC" --script "$tmp/pipe"
mkdir -p "$tmp/earlier"; ln -s "$tmp/pipe" "$tmp/earlier/summary.json"
expect_refusal explain_force_fifo_summary "not an earlier .latentlab explain. folder" \
  "$LL" explain "$SRC" --most-uncertain 1 --out "$tmp/earlier" --force
expect_refusal import_dev_zero "is a device, not a regular file" "$LL" import /dev/zero --dataset fashion-mnist --out "$tmp/imp"

# 2. Writes into a bundle, at any depth, and bundles inside bundles.
B=$(bundle target); mkdir -p "$B/checkpoints" "$B/cache/new"
cp "$B/classifier.pt" "$B/checkpoints/classifier_epoch_1.pt"
expect_refusal eval_json_checkpoint "is inside the bundle" "$LL" eval "$B" --json "$B/checkpoints/classifier_epoch_1.pt" --force
expect_refusal project_out_cache "is inside the bundle" "$LL" project "$SRC" --method pca --out "$B/cache/new/x.csv"
expect_refusal train_inside "is inside the bundle" "$LL" train --dataset fashion-mnist --out "$B/inner"
expect_refusal import_inside "is inside the bundle" "$LL" import "$B/classifier.pt" --dataset fashion-mnist --out "$B/cache/new/b"
expect_refusal screenshot_inside "is inside the bundle" "$LL" gui "$SRC" --screenshot "$B/cache/new/s.png"
echo quit > "$tmp/s.txt"
expect_refusal record_inside "is inside the bundle" "$LL" gui "$SRC" --script "$tmp/s.txt" --record "$B/checkpoints/r.txt"
expect_refusal frames_inside "is inside the bundle" "$LL" gui "$SRC" --script "$tmp/s.txt" --frames "$B/cache/new/f"
expect_refusal explain_inside "is inside the bundle" "$LL" explain "$SRC" --most-uncertain 1 --out "$B/checkpoints/e"
expect_refusal out_dir_inside "is inside the bundle" "$LL" gui "$SRC" --script "$tmp/s.txt" --out-dir "$B/cache/o"
cmp -s "$B/classifier.pt" "$B/checkpoints/classifier_epoch_1.pt" || { echo "FAIL: the checkpoint changed"; fails=$((fails + 1)); }
[[ -z $(find "$B" -name 'x.csv' -o -name 'inner' -o -name 's.png' -o -name 'r.txt' -o -name 'f' -o -name 'e' -o -name 'o' -o -name 'b') ]] \
  || { echo "FAIL: something was written into the bundle"; fails=$((fails + 1)); }

# 3. A stream is never replaced: /proc/self/fd/1 and /dev/fd/1 lead to the log the output goes to.
echo "earlier lines of the log" > "$tmp/log.txt"
for stream in /proc/self/fd/1 /dev/fd/1 /dev/stdout; do
  (ulimit -v $vlimit; timeout 60 "$LL" project "$SRC" --method pca --out "$stream" --force >> "$tmp/log.txt" 2> "$tmp/err.txt")
  rc=$?
  if [[ $rc -ne 0 && $rc -lt 124 ]] && grep -q "a stream or a device, not a file" "$tmp/err.txt"; then
    echo "ok   stream $stream: $(head -c 200 "$tmp/err.txt")"
  else
    echo "FAIL stream $stream: exit $rc: $(cat "$tmp/err.txt")"; fails=$((fails + 1))
  fi
done
grep -q "earlier lines of the log" "$tmp/log.txt" || { echo "FAIL: the log was replaced"; fails=$((fails + 1)); }
echo "a file" > "$tmp/not-a-folder"
expect_refusal out_dir_file "is not a folder" "$LL" gui "$SRC" --script "$tmp/s.txt" --out-dir "$tmp/not-a-folder"

# 4. --force never deletes the user's files in a bundle folder.
B=$(bundle notes); echo "my notes" > "$B/NOTES.md"; mkdir "$B/my_figures"; echo fig > "$B/my_figures/a.png"
expect_refusal train_force_foreign "holds NOTES.md, which LatentLab did not write" \
  "$LL" train --dataset fashion-mnist --out "$B" --force --epochs 1
[[ -f "$B/NOTES.md" && -f "$B/my_figures/a.png" ]] || { echo "FAIL: the user's files were deleted"; fails=$((fails + 1)); }

# An earlier explain folder with a user's file named like a filmstrip: --force refuses, naming it.
expect_ok explain_first "$LL" explain "$SRC" --most-uncertain 2 --steps 5 --out "$tmp/ex"
echo mine > "$tmp/ex/filmstrips/0007.png"
expect_refusal explain_force_lookalike "holds filmstrips/0007.png, which explain did not write" \
  "$LL" explain "$SRC" --most-uncertain 2 --steps 5 --out "$tmp/ex" --force
[[ -f "$tmp/ex/filmstrips/0007.png" ]] || { echo "FAIL: the user's filmstrip was deleted"; fails=$((fails + 1)); }

# 5. A swapped component: eval refuses it naming the file; verify shows it and exits 1.
B=$(bundle swapped); cp "$SRC/../mnist/classifier.pt" "$B/classifier.pt"
expect_refusal eval_swapped_classifier "classifier.pt is not the file this bundle was made with" "$LL" eval "$B" --ood none
out=$( (timeout 60 "$LL" verify "$B") 2>&1); rc=$?
if [[ $rc -eq 1 ]] && grep -q "classifier.pt .* DIFFERS" <<<"$out"; then echo "ok   verify_swapped (exit 1, DIFFERS)"; else echo "FAIL verify_swapped: exit $rc: $out"; fails=$((fails + 1)); fi
expect_ok verify_shipped "$LL" verify "$SRC"

# Messages.
expect_refusal explain_dvae_flip "'dvae-flip' is not a method; the methods are latent-clue, .*tracin" \
  "$LL" explain "$SRC" --method dvae-flip --index 3 --out "$tmp/x"

echo "reliability_cli_test: $fails failure(s)"
exit $((fails > 0))
