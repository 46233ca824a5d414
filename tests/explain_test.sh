#!/usr/bin/env bash
# explain_test.sh LATENTLAB BUNDLE: `latentlab explain` end to end on the shipped bundle.
#  - shards partition the points: the rows of --shard 0/3, 1/3, 2/3 are the rows of the whole run;
#  - Ctrl-C leaves no folder and no staging folder;
#  - an index outside the test set, and vae-clue on a bundle without a VAE, are clear errors.
set -u
ll="$1"; bundle="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$ll" explain "$bundle" --most-uncertain 12 --out "$tmp/all" 2>/dev/null >/dev/null || fail "whole run"
for k in 0 1 2; do
  "$ll" explain "$bundle" --most-uncertain 12 --shard $k/3 --out "$tmp/s$k" 2>/dev/null >/dev/null || fail "shard $k"
done
# The index, the classes and z* of every row (the U columns, and the quality measures taken from
# the decoded pictures, are evaluated in batches of another size, so they may differ in the 7th
# digit), rows sorted by index. Columns: 1 index, 9-11 the classes, 22 member, 28 on z*.
head -1 "$tmp/all/points.csv" | cut -d, -f1,9-11,22,28 | grep -qx 'index,class_before,class_latent,class_roundtrip,member,z0' \
  || fail "points.csv's columns moved: $(head -1 "$tmp/all/points.csv" | cut -c1-300)"
rows() { grep -hv '^index' "$@" | cut -d, -f1,9-11,22- | sort -t, -k1,1n; }
[[ "$(rows "$tmp/all/points.csv")" == "$(rows "$tmp"/s{0,1,2}/points.csv)" ]] \
  || fail "the shards' rows are not the whole run's"
[[ $(tail -n +2 "$tmp/all/points.csv" | wc -l) -eq 12 ]] || fail "expected 12 rows"
[[ $(ls "$tmp/all/filmstrips" | wc -l) -eq 12 ]] || fail "expected 12 filmstrips"
grep -q '"n_points": 12' "$tmp/all/summary.json" || fail "summary n_points"
# --diverse K: K rows per point (member 0..K-1, the point's diversity on each), one filmstrip per
# point with a row per counterfactual, the measures and the seed in summary.json.
"$ll" explain "$bundle" --most-uncertain 2 --diverse 3 --lambda 0.1 --out "$tmp/div" 2>/dev/null >/dev/null || fail "--diverse 3"
[[ $(tail -n +2 "$tmp/div/points.csv" | cut -d, -f22 | tr '\n' ' ') == "0 1 2 0 1 2 " ]] || fail "--diverse 3: members"
[[ $(tail -n +2 "$tmp/div/points.csv" | cut -d, -f1 | sort -u | wc -l) -eq 2 ]] || fail "--diverse 3: two points"
tail -n +2 "$tmp/div/points.csv" | cut -d, -f23 | grep -qvx '' || fail "--diverse 3: no diversity column"
[[ $(ls "$tmp/div/filmstrips" | wc -l) -eq 2 ]] || fail "--diverse 3: expected 2 filmstrips"
f=$(ls "$tmp/div/filmstrips" | head -1)
[[ $(od -An -tu1 -j20 -N4 "$tmp/div/filmstrips/$f" | awk '{print $1*16777216+$2*65536+$3*256+$4}') -eq 88 ]] \
  || fail "--diverse 3: the filmstrip is not 3 rows of 28 px"
grep -q '"n_counterfactuals": 6' "$tmp/div/summary.json" || fail "--diverse 3: n_counterfactuals"
grep -A8 '"diversity": {' "$tmp/div/summary.json" | grep -q '"k": 3' || fail "--diverse 3: no diversity block"
grep -q '"seed": 0' "$tmp/div/summary.json" || fail "--diverse 3: the seed is not recorded"
# A point's K do not depend on the batch or shard it comes in (the starts are the seed's), up to
# the tensor engine's rounding, which differs with the batch's size and which Adam's normalised
# steps amplify (plain latent CLUE on the tensor engine: 0.026 at most, values up to 13).
"$ll" explain "$bundle" --most-uncertain 4 --diverse 2 --out "$tmp/dw" 2>/dev/null >/dev/null || fail "--diverse 2 whole"
for k in 0 1; do
  "$ll" explain "$bundle" --most-uncertain 4 --diverse 2 --shard $k/2 --batch 1 --out "$tmp/ds$k" 2>/dev/null >/dev/null \
    || fail "--diverse 2 shard $k"
done
python3 - "$tmp/dw/points.csv" "$tmp/ds0/points.csv" "$tmp/ds1/points.csv" <<'PY' || fail "--diverse: the shards' counterfactuals are not the whole run's"
import sys
def rows(path):
    lines = open(path).read().splitlines()
    col = lines[0].split(",").index("z0")
    return {(c[0], c[21]): [float(v) for v in c[8:11] + c[col:]] for c in (l.split(",") for l in lines[1:])}
whole, parts = rows(sys.argv[1]), {**rows(sys.argv[2]), **rows(sys.argv[3])}
assert whole.keys() == parts.keys() and len(whole) == 8, (whole.keys(), parts.keys())
assert all(whole[k][:3] == parts[k][:3] for k in whole), "the classes differ"
worst = max(abs(a - b) for k in whole for a, b in zip(whole[k][3:], parts[k][3:]))
print(f"--diverse 2: whole run against 2 shards of batch 1, largest |z* difference| {worst:.2e}")
assert worst < 0.1
PY
"$ll" explain "$bundle" --most-uncertain 2 --set seed=3 --out "$tmp/dseed" 2>"$tmp/err" >/dev/null && fail "--set seed without --diverse ran"
grep -q "is for diverse counterfactuals" "$tmp/err" || fail "--set seed without --diverse: $(cat "$tmp/err")"
"$ll" explain "$bundle" --most-uncertain 2 --diverse 2 --set seed=3 --set seed=4 --out "$tmp/dseed" 2>"$tmp/err" >/dev/null \
  && fail "--set seed twice ran"
grep -q "given twice" "$tmp/err" || fail "--set twice: $(cat "$tmp/err")"
"$ll" explain "$bundle" --most-uncertain 2 --diverse 3 --method vae-clue --out "$tmp/dv" 2>"$tmp/err" >/dev/null \
  && fail "--diverse with vae-clue ran"
grep -q "latent-clue and class-change" "$tmp/err" || fail "--diverse with vae-clue: $(cat "$tmp/err")"
# --force replaces an earlier explain folder, never anything else.
"$ll" explain "$bundle" --most-uncertain 2 --out "$tmp/all" --force 2>/dev/null >/dev/null || fail "--force on an explain folder"
grep -q '"n_points": 2' "$tmp/all/summary.json" || fail "--force did not replace"
# An explain folder that also holds the user's notes is not replaced either.
echo notes > "$tmp/all/NOTES.md"
"$ll" explain "$bundle" --most-uncertain 2 --out "$tmp/all" --force 2>"$tmp/err" >/dev/null && fail "--force deleted NOTES.md"
grep -q "holds NOTES.md, which explain did not write" "$tmp/err" || fail "message: $(cat "$tmp/err")"
[[ -f "$tmp/all/NOTES.md" ]] || fail "NOTES.md is gone"
rm "$tmp/all/NOTES.md"
mkdir "$tmp/mine"; echo notes > "$tmp/mine/notes.txt"
"$ll" explain "$bundle" --most-uncertain 2 --out "$tmp/mine" --force 2>"$tmp/err" >/dev/null && fail "--force replaced a user folder"
grep -q "not an earlier \`latentlab explain\` folder" "$tmp/err" || fail "message: $(cat "$tmp/err")"
[[ -f "$tmp/mine/notes.txt" ]] || fail "the user's file is gone"
# Integrated gradients of one image: C*H lines of W numbers whose sum is the summary's, and the
# residual is |sum - (F(x) - F(x'))| / |F(x) - F(x')| of the summary's own figures.
"$ll" explain "$bundle" --method ig --index 2245 --target class:3 --baseline blur --out "$tmp/ig" 2>/dev/null >/dev/null || fail "ig"
[[ -f "$tmp/ig/attribution.png" ]] || fail "no attribution.png"
[[ $(wc -l < "$tmp/ig/attribution.csv") -eq 28 ]] || fail "attribution.csv: expected 28 lines"
awk -F, 'NF != 28 { exit 1 }' "$tmp/ig/attribution.csv" || fail "attribution.csv: expected 28 numbers a line"
csvsum=$(awk -F, '{ for (i = 1; i <= NF; i++) s += $i } END { printf "%.9g", s }' "$tmp/ig/attribution.csv")
num() { grep "\"$1\":" "$tmp/ig/summary.json" | sed 's/.*: //; s/,$//'; }
awk -v c="$csvsum" -v s="$(num sum_attribution)" -v fi="$(num f_input)" -v fb="$(num f_baseline)" -v r="$(num completeness_residual)" \
  'function abs(v) { return v < 0 ? -v : v }
   BEGIN { if (abs(c - s) > 1e-4 * (abs(s) + 1e-3)) { print "csv sum " c " vs " s; exit 1 }
           if (abs(abs(s - (fi - fb)) / abs(fi - fb) - r) > 1e-6) { print "residual " r " vs the figures"; exit 1 }
           if (r > 0.05) { print "residual " r " above 5%"; exit 1 } }' || fail "ig: the map and its summary disagree"
grep -q '"target": "class:3"' "$tmp/ig/summary.json" && grep -q '"baseline": "blur"' "$tmp/ig/summary.json" || fail "ig summary names"
# Perez et al. along a latent CLUE path: F(g(z*)) is the CLUE run's round-trip U, F(x) its U before,
# and the map sums to their difference within the reported residual (under 5%).
"$ll" explain "$bundle" --method latent-ig --index 2245 --out "$tmp/lig" 2>/dev/null >/dev/null || fail "latent-ig"
/usr/bin/python3 - "$tmp/lig/summary.json" <<'PY' || fail "latent-ig summary"
import json, sys
s = json.load(open(sys.argv[1]))
c = s["clue"]
assert abs(s["f_baseline"] - c["u_roundtrip"]) < 1e-3 and abs(s["f_input"] - c["u_before"]) < 1e-3, s
gap = s["f_input"] - s["f_baseline"]
assert abs(abs(s["sum_attribution"] - gap) / abs(gap) - s["completeness_residual"]) < 1e-6
assert s["completeness_residual"] < 0.05 and s["method"] == "latent-ig" and s["decoded_nodes"] == c["steps"], s
PY
# Ctrl-C during a long run: exit 130, nothing left behind.
"$ll" explain "$bundle" --method vae-clue --most-uncertain 2000 --batch 8 --out "$tmp/cancelled" 2>"$tmp/err" >/dev/null &
pid=$!
for _ in $(seq 1 240); do grep -q "explain (vae-clue)" "$tmp/err" 2>/dev/null && break; sleep 0.25; done
kill -INT "$pid"; wait "$pid"; rc=$?
[[ $rc -eq 130 ]] || fail "Ctrl-C: expected exit 130, got $rc"
left=$(ls -A "$tmp" | grep -E '^cancelled' || true)
[[ -z "$left" ]] || fail "Ctrl-C left behind: $left"
# An index outside the test set; a points file that does not parse.
printf '3\n10000\n' > "$tmp/idx"
"$ll" explain "$bundle" --indices "$tmp/idx" --out "$tmp/x" 2>"$tmp/err" >/dev/null && fail "index 10000 accepted"
grep -q "line 2: index 10000 is outside the test set (0..9999)" "$tmp/err" || fail "message: $(cat "$tmp/err")"
# A bundle without a VAE, for vae-clue.
# (Its cache stays behind: another test may be writing a file there right now.)
mkdir "$tmp/novae"; cp "$bundle"/*.pt "$bundle"/manifest.json "$tmp/novae/"; rm "$tmp/novae/vae.pt"
/usr/bin/python3 - "$tmp/novae/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); del m["components"]["vae"]; json.dump(m, open(sys.argv[1], "w"))
PY
"$ll" explain "$tmp/novae" --method vae-clue --most-uncertain 2 --out "$tmp/x" 2>"$tmp/err" >/dev/null && fail "vae-clue without a VAE"
grep -q "vae-clue needs a VAE, and the bundle has none" "$tmp/err" || fail "message: $(cat "$tmp/err")"
[[ ! -e "$tmp/x" ]] || fail "a failed run left its folder"
echo ok
