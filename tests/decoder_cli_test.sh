#!/usr/bin/env bash
# train-decoder end to end on a copy of the shipped bundle:
# - without --force over the bundle's decoder: refused, nothing changes;
# - --from-current fine-tunes the bundle's decoder: after one short epoch it agrees with the
#   classifier far more often than a fresh decoder trained the same way (which would be the case
#   if the weights were not carried over), and the manifest says where it started;
# - only decoder.pt and manifest.json change, the earlier figures stay as decoder_previous;
# - --from-current on a bundle without a decoder: refused, naming the bundle.
set -u
ll="$1"; src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
b="$tmp/b"; mkdir -p "$b/cache"
cp "$src"/classifier.pt "$src"/decoder.pt "$src"/laplace.pt "$b/"
for f in latents_test.pt latents_test.pt.key latents_train.pt latents_train.pt.key; do
  [[ -f "$src/cache/$f" ]] && cp "$src/cache/$f" "$b/cache/"
done
grep -v '"dvae": "dvae.pt"\|"ensemble_[0-9]": \|"vae": "vae.pt"' "$src/manifest.json" | sed 's/"laplace": "laplace.pt",/"laplace": "laplace.pt"/' > "$b/manifest.json"
all() { (cd "$b" && find . -type f ! -path './cache/*' -exec md5sum {} + | sort); }
others() { (cd "$b" && find . -type f ! -path './cache/*' ! -name decoder.pt ! -name manifest.json -exec md5sum {} + | sort); }

before=$(all)
err=$("$ll" train-decoder "$b" --epochs 1 2>&1 >/dev/null) && fail "train-decoder over a decoder without --force succeeded"
grep -q "latentlab: error: .*already has a decoder .*pass --force" <<<"$err" || fail "message: $err"
[[ "$(all)" == "$before" ]] || fail "the refused train-decoder changed files"

agreement() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['metrics']['decoder']['agreement'])" "$b/manifest.json"; }
rest=$(others)
cp "$b/decoder.pt" "$tmp/shipped.pt"; cp "$b/manifest.json" "$tmp/shipped.json"
"$ll" train-decoder "$b" --force --from-current --epochs 1 --limit-train 1024 >"$tmp/fine.log" 2>&1 || { cat "$tmp/fine.log"; fail "--from-current failed"; }
fine=$(agreement)
python3 - "$b/manifest.json" <<'PY' || fail "the manifest of the fine-tuned decoder"
import json, sys
m = json.load(open(sys.argv[1]))
t = m["training"]["decoder"]
assert t["from"] == "the earlier decoder (fine-tuned)" and isinstance(t["fine_tuned_from"], dict), t
assert t["n_train"] == 1024, t["n_train"]
assert "agreement" in m["metrics"]["decoder_previous"], m["metrics"].keys()
PY
[[ "$(others)" == "$rest" ]] || fail "train-decoder changed other files of the bundle"
[[ -z "$(find "$b" -name '*.tmp*')" ]] || fail "temporary files left: $(find "$b" -name '*.tmp*')"
cp "$tmp/shipped.pt" "$b/decoder.pt"; cp "$tmp/shipped.json" "$b/manifest.json"
"$ll" train-decoder "$b" --force --epochs 1 --limit-train 1024 >"$tmp/fresh.log" 2>&1 || { cat "$tmp/fresh.log"; fail "a fresh decoder failed"; }
fresh=$(agreement)
echo "agreement after one epoch on 1024 latents: fine-tuned $fine, fresh $fresh"
python3 -c "import sys; f, g = map(float, sys.argv[1:]); sys.exit(0 if f > 0.9 and f > g + 0.05 else 1)" "$fine" "$fresh" \
  || fail "--from-current did not start from the bundle's decoder (fine-tuned $fine, fresh $fresh)"

grep -v '"decoder": "decoder.pt"' "$tmp/shipped.json" > "$b/manifest.json"; rm "$b/decoder.pt"
err=$("$ll" train-decoder "$b" --force --from-current --epochs 1 2>&1 >/dev/null) && fail "--from-current without a decoder succeeded"
grep -q "latentlab: error: .*--from-current fine-tunes the bundle's decoder, and it has none ($b)" <<<"$err" || fail "message: $err"
echo "PASS"
