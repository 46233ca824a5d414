#!/usr/bin/env bash
# Crabbé and van der Schaar's label-free explanations end to end:
# - explain --method labelfree-ig on the shipped Fashion-MNIST model: completeness within 1% (the
#   attributions sum to |phi(x)|^2 - <phi(x), phi(x')>, recomputed here with Python's torch);
# - labelfree-saliency and labelfree-gradient-shap write the same outputs (saliency: no residual);
# - dknn writes every training point, best first, its top the nearest latent; simplex its corpus,
#   weights >= 0 summing to 1;
# - train --objective autoencoder keeps checkpoints, and its bundle has no classifier: tracin
#   ranks its training images, eval --checks writes the CSV and plots;
# - tracin on a bundle without checkpoints, an unknown objective, --corpus 0 and an index out of
#   range are clear errors.
set -u
ll="$1"; src="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for i in 0 1 2; do
  "$ll" explain "$src" --method labelfree-ig --index $i --out "$tmp/ig$i" >/dev/null 2>&1 || fail "labelfree-ig $i failed"
done
/usr/bin/python3 - "$tmp" "$src" <<'PY' || fail "labelfree-ig completeness"
import gzip, json, struct, sys, torch
tmp, src = sys.argv[1], sys.argv[2]
clf = torch.jit.load(src + "/classifier.pt")
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    data = f.read()
for i in range(3):
    s = json.load(open(f"{tmp}/ig{i}/summary.json"))
    x = torch.tensor(list(data[16 + i * 784:16 + (i + 1) * 784]), dtype=torch.float32).reshape(1, 1, 28, 28) / 255
    with torch.no_grad():
        z, zb = clf.encode(x)[0], clf.encode(torch.zeros_like(x))[0]
    want = float(z @ z - z @ zb)
    a = [float(v) for line in open(f"{tmp}/ig{i}/attribution.csv") for v in line.split(",")]
    assert len(a) == 784
    assert abs(sum(a) - want) / abs(want) < 0.01, (i, sum(a), want)
    assert s["target"] == "labelfree" and s["completeness_residual"] < 0.01, s
    print(f"labelfree-ig {i}: sum {sum(a):.3f}, |phi(x)|^2 - <phi(x), phi(0)> {want:.3f}, residual {s['completeness_residual']:.2e}")
PY
"$ll" explain "$src" --method labelfree-saliency --index 0 --out "$tmp/sal" >/dev/null 2>&1 || fail "labelfree-saliency failed"
"$ll" explain "$src" --method labelfree-gradient-shap --index 0 --out "$tmp/shap" >/dev/null 2>&1 || fail "labelfree-gradient-shap failed"
grep -q '"completeness_residual": null' "$tmp/sal/summary.json" || fail "saliency reports a completeness residual"
[[ -f "$tmp/shap/attribution.png" && -f "$tmp/sal/attribution.png" ]] || fail "no attribution.png"

"$ll" explain "$src" --method dknn --index 0 --out "$tmp/dknn" >/dev/null 2>&1 || fail "dknn failed"
"$ll" explain "$src" --method simplex --index 0 --corpus 300 --out "$tmp/sx" >/dev/null 2>&1 || fail "simplex failed"
/usr/bin/python3 - "$tmp" "$src" <<'PY' || fail "dknn / simplex output"
import csv, json, sys
tmp = sys.argv[1]
rows = list(csv.reader(open(f"{tmp}/dknn/examples.csv")))
assert rows[0] == ["index", "score"] and len(rows) == 60001, (rows[0], len(rows))
scores = [float(r[1]) for r in rows[1:]]
assert scores == sorted(scores, reverse=True)
assert sorted(int(r[0]) for r in rows[1:]) == list(range(60000))
s = json.load(open(f"{tmp}/dknn/summary.json"))
assert s["top"][0]["index"] == int(rows[1][0]) and s["scored"] == 60000
w = [float(r[1]) for r in list(csv.reader(open(f"{tmp}/sx/examples.csv")))[1:]]
assert len(w) == 300 and min(w) >= 0 and abs(sum(w) - 1) < 1e-4, (len(w), min(w), sum(w))
print(f"dknn: top {rows[1]}, simplex: top weight {w[0]:.3f}, residual {json.load(open(tmp + '/sx/summary.json'))['residual']:.3f}")
PY

err=$("$ll" explain "$src" --method tracin --index 0 --out "$tmp/tr" 2>&1 >/dev/null) && fail "tracin without checkpoints succeeded"
grep -q "keeps no training checkpoints" <<<"$err" || fail "tracin message: $err"
[[ ! -e "$tmp/tr" ]] || fail "tracin left a folder"
err=$("$ll" explain "$src" --method simplex --index 0 --corpus 0 --out "$tmp/c0" 2>&1 >/dev/null) && fail "corpus 0 succeeded"
grep -q "corpus must hold at least 1" <<<"$err" || fail "corpus 0 message: $err"
err=$("$ll" explain "$src" --method dknn --index 10000 --out "$tmp/i" 2>&1 >/dev/null) && fail "index 10000 succeeded"
grep -q "index 10000 is outside the test set (0..9999)" <<<"$err" || fail "index message: $err"
err=$("$ll" train --dataset mnist --objective contrastive --out "$tmp/x" 2>&1 >/dev/null) && fail "objective contrastive succeeded"
grep -q "objective must be classifier, autoencoder, denoising-autoencoder or vae, got 'contrastive'" <<<"$err" || fail "objective message: $err"
[[ ! -e "$tmp/x" ]] || fail "a failed train left a folder"

"$ll" train --dataset mnist --objective autoencoder --epochs 2 --limit-train 600 --latent-dim 16 --out "$tmp/ae" >"$tmp/ae.log" 2>&1 || { cat "$tmp/ae.log"; fail "train --objective autoencoder"; }
[[ -f "$tmp/ae/encoder.pt" && -f "$tmp/ae/checkpoints/encoder_epoch_2.pt" && ! -e "$tmp/ae/classifier.pt" ]] || fail "label-free bundle files: $(ls -R "$tmp/ae")"
"$ll" explain "$tmp/ae" --method tracin --index 3 --out "$tmp/aetr" >/dev/null 2>&1 || fail "tracin on the autoencoder"
"$ll" explain "$tmp/ae" --method labelfree-ig --index 3 --out "$tmp/aeig" >/dev/null 2>&1 || fail "labelfree-ig on the autoencoder"
err=$("$ll" explain "$tmp/ae" --method ig --index 3 --out "$tmp/aeig2" 2>&1 >/dev/null) && fail "ig of total U on a label-free bundle succeeded"
grep -q "trained without labels" <<<"$err" || fail "ig on a label-free bundle: $err"
cp -r "$tmp/ae" "$tmp/ae2"  # the same model under another name: the pretext comparison must give r = 1
"$ll" eval --checks "$tmp/ae" --out "$tmp/checks" --test-points 20 --corpus-per-class 10 --tracin-points 2 --steps 8 \
  --compare "$tmp/ae2" >"$tmp/checks.log" 2>&1 || { cat "$tmp/checks.log"; fail "eval --checks"; }
err=$("$ll" eval --checks "$tmp/ae" --out "$tmp/ae/checks" --test-points 20 2>&1 >/dev/null) && fail "eval --checks into the bundle succeeded"
grep -q "is inside the bundle" <<<"$err" || fail "checks into the bundle: $err"
# A checkpoint replaced by another file, and a checkpoint's lr made negative: refused, naming them.
cp "$tmp/ae/checkpoints/encoder_epoch_1.pt" "$tmp/ae2/checkpoints/encoder_epoch_2.pt"
err=$("$ll" explain "$tmp/ae2" --method tracin --index 3 --out "$tmp/tr2" 2>&1 >/dev/null) && fail "tracin with a swapped checkpoint succeeded"
grep -q "encoder_epoch_2.pt is not the one" <<<"$err" || fail "swapped checkpoint: $err"
sed -i 's/"lr": 0.001/"lr": -1/' "$tmp/ae2/manifest.json"
err=$("$ll" explain "$tmp/ae2" --method tracin --index 3 --out "$tmp/tr2" 2>&1 >/dev/null) && fail "tracin with lr -1 succeeded"
grep -q "has lr -1.0; it must be a number above 0\|has lr -1; it must be a number above 0" <<<"$err" || fail "negative lr: $err"
/usr/bin/python3 - "$tmp" <<'PY' || fail "tracin / checks output"
import csv, json, sys
tmp = sys.argv[1]
rows = list(csv.reader(open(f"{tmp}/aetr/examples.csv")))[1:]
assert len(rows) == 8000 and json.load(open(f"{tmp}/aetr/summary.json"))["checkpoints"] == 2
flip = list(csv.DictReader(open(f"{tmp}/checks/pixel_flip.csv")))
methods = {r["method"] for r in flip}
assert methods == {"labelfree-saliency", "labelfree-ig", "labelfree-gradient-shap", "random"}, methods
full = [float(r["mean_shift"]) for r in flip if r["fraction"] == "1"]
assert len(full) == 4 and max(full) - min(full) < 1e-4 * max(full), full  # all pixels masked: one image, whatever the order
sim = list(csv.DictReader(open(f"{tmp}/checks/similarity.csv")))
assert {r["method"] for r in sim} == {"dknn", "simplex", "tracin"}, sim
for r in sim:
    assert 0 <= float(r["top"]) <= 1 and 0 <= float(r["bottom"]) <= 1
    if r["fraction"] == "1":
        assert abs(float(r["top"]) - float(r["bottom"])) < 1e-9  # the whole corpus either way
pre = list(csv.DictReader(open(f"{tmp}/checks/pretext.csv")))
assert len(pre) == 1 and abs(float(pre[0]["labelfree_ig_pearson"]) - 1) < 1e-6 and abs(float(pre[0]["dknn_pearson"]) - 1) < 1e-6, pre
print("label-free bundle: tracin over 8000, checks", sorted(methods))
PY
[[ -s "$tmp/checks/pixel_flip.png" && -s "$tmp/checks/similarity.png" ]] || fail "no plots"
echo "labelfree cli: ok"
