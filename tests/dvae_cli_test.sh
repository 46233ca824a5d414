#!/usr/bin/env bash
# train-dvae and eval --dvae end to end on a copy of the shipped bundle without its DVAE:
# - eval --dvae on a bundle without a DVAE: a clear error naming the bundle;
# - train-dvae writes dvae.pt and names it in the manifest, and changes no other file;
# - eval --dvae --json has the Table 1 keys, fractions in [0, 1], one object per bit;
# - train-dvae again without --force: refused, nothing changes;
# - a bundle folder without write permission (when not root): refused, nothing changes.
set -u
ll="$1"; src="$2"
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
b="$tmp/b"; mkdir -p "$b/cache"
cp "$src"/classifier.pt "$src"/decoder.pt "$src"/laplace.pt "$b/"
cp "$src"/cache/latents_test.pt "$src"/cache/latents_test.pt.key "$b/cache/"
# The manifest without the DVAE and the components this test does not need.
grep -v '"dvae": "dvae.pt"\|"ensemble_[0-9]": \|"vae": "vae.pt"' "$src/manifest.json" | sed 's/"laplace": "laplace.pt",/"laplace": "laplace.pt"/' > "$b/manifest.json"
sums() { (cd "$b" && find . -type f ! -name dvae.pt ! -name manifest.json -exec md5sum {} + | sort); }
all() { (cd "$b" && find . -type f -exec md5sum {} + | sort); }

err=$("$ll" eval "$b" --dvae --ood none --limit-test 100 2>&1 >/dev/null) && fail "eval --dvae without a DVAE succeeded"
grep -q "latentlab: error: .*no DVAE; add one with \`latentlab train-dvae $b\`" <<<"$err" || fail "eval --dvae message: $err"

before=$(sums)
"$ll" train-dvae "$b" --epochs 2 --limit-train 3000 >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; fail "train-dvae failed"; }
[[ -f "$b/dvae.pt" ]] || fail "no dvae.pt"
grep -q '"dvae": "dvae.pt"' "$b/manifest.json" || fail "the manifest does not name dvae.pt"
[[ "$(sums)" == "$before" ]] || fail "train-dvae changed other files of the bundle: $(diff <(echo "$before") <(sums))"
[[ -z "$(find "$b" -name '*.tmp*')" ]] || fail "temporary files left: $(find "$b" -name '*.tmp*')"

"$ll" eval "$b" --dvae --ood none --limit-test 500 --json "$tmp/eval.json" >/dev/null 2>&1 || fail "eval --dvae failed"
python3 - "$tmp/eval.json" <<'PY' || fail "eval --dvae JSON"
import json, sys
d = json.load(open(sys.argv[1]))["dvae"]
for k in ("accuracy", "accuracy_reconstructed", "agreement", "all_flip_changed", "single_flip_changed"):
    assert 0 <= d[k] <= 1, (k, d[k])
assert len(d["bits"]) == 16 and all(0 <= b["changed"] <= 1 for b in d["bits"]), d["bits"]
assert d["single_flip_changed"] >= max(b["changed"] for b in d["bits"]) - 1e-12
assert d["n_test"] == 500
print("dvae:", {k: d[k] for k in ("accuracy", "accuracy_reconstructed", "agreement", "all_flip_changed", "single_flip_changed")})
PY

before=$(all)
err=$("$ll" train-dvae "$b" --epochs 1 2>&1 >/dev/null) && fail "train-dvae over an existing DVAE without --force succeeded"
grep -q "latentlab: error: .*already has a DVAE .*pass --force" <<<"$err" || fail "message: $err"
[[ "$(all)" == "$before" ]] || fail "the refused train-dvae changed files"

if [[ $(id -u) -ne 0 ]]; then
  rm "$b/dvae.pt"; grep -v '"dvae": "dvae.pt"' "$b/manifest.json" > "$tmp/m" && cp "$tmp/m" "$b/manifest.json"
  chmod a-w "$b"; before=$(all)
  err=$("$ll" train-dvae "$b" --epochs 1 2>&1 >/dev/null) && fail "train-dvae into a read-only bundle succeeded"
  grep -q "latentlab: error: .*cannot write into the bundle folder ($b)" <<<"$err" || fail "message: $err"
  [[ "$(all)" == "$before" ]] || fail "the refused train-dvae changed files"
else
  echo "read-only check skipped: root ignores file permissions"
fi
echo "PASS"
