#!/usr/bin/env bash
# colour_cli_test.sh LATENTLAB EMOJI_BUNDLE IMAGE: the shipped colour bundle from the command line.
#  - eval gives the accuracy the manifest recorded when the bundle was made;
#  - explain --image: IG of a user's 64x64 RGBA picture has 3 x 64 lines of 64 numbers (channel after
#    channel) and its PNG is RGB; a CLUE filmstrip and the examples strip are RGB PNGs;
#  - --image with --index, and an unreadable image, are clear errors.
set -u
ll="$1"; bundle="$2"; image="$3"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
png_colour_type() { od -An -tu1 -j25 -N1 "$1" | tr -d ' '; }  # IHDR colour type: 0 grey, 2 RGB, 6 RGBA
"$ll" eval "$bundle" --ood none --json "$tmp/eval.json" >/dev/null 2>&1 || fail "eval"
/usr/bin/python3 - "$bundle/manifest.json" "$tmp/eval.json" <<'PY' || fail "eval accuracy differs from the manifest's"
import json, sys
m, e = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a, b = m["metrics"]["heads"]["laplace"]["accuracy"], e["heads"]["laplace"]["accuracy"]
assert abs(a - b) < 1e-9, (a, b)
assert m["input_shape"] == [3, 64, 64], m["input_shape"]
PY
"$ll" explain "$bundle" --method ig --image "$image" --target class:6 --out "$tmp/ig" >/dev/null 2>&1 || fail "ig --image"
[[ $(wc -l < "$tmp/ig/attribution.csv") -eq 192 ]] || fail "attribution.csv has $(wc -l < "$tmp/ig/attribution.csv") lines, not 3 x 64"
[[ $(head -1 "$tmp/ig/attribution.csv" | tr ',' '\n' | wc -l) -eq 64 ]] || fail "a line is not 64 numbers"
/usr/bin/python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['shape'] == [3, 64, 64]" "$tmp/ig/summary.json" || fail "summary shape"
grep -q '"image": ".*smiley.png"' "$tmp/ig/summary.json" || fail "summary names the image"
[[ $(png_colour_type "$tmp/ig/attribution.png") == 2 ]] || fail "attribution.png is not RGB"
"$ll" explain "$bundle" --image "$image" --out "$tmp/clue" >/dev/null 2>&1 || fail "latent-clue --image"
[[ $(png_colour_type "$tmp/clue/filmstrips/image.png") == 2 ]] || fail "the filmstrip is not RGB"
"$ll" explain "$bundle" --method dknn --image "$image" --out "$tmp/dknn" >/dev/null 2>&1 || fail "dknn --image"
[[ $(png_colour_type "$tmp/dknn/examples.png") == 2 ]] || fail "examples.png is not RGB"
"$ll" explain "$bundle" --method ig --image "$image" --index 3 --out "$tmp/both" 2>"$tmp/err" >/dev/null && fail "--image with --index"
grep -q "give --index N or --image PATH, not both" "$tmp/err" || fail "message: $(cat "$tmp/err")"
echo "not an image" > "$tmp/bad.png"
"$ll" explain "$bundle" --method ig --image "$tmp/bad.png" --out "$tmp/bad" 2>"$tmp/err" >/dev/null && fail "a bad image"
grep -q "bad.png" "$tmp/err" || fail "message does not name the file: $(cat "$tmp/err")"
[[ ! -e "$tmp/bad" && ! -e "$tmp/both" ]] || fail "a refused run left a folder"
echo "colour cli: OK"
