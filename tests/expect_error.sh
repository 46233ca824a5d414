#!/usr/bin/env bash
# expect_error.sh REGEX CMD...: passes when CMD exits non-zero without a signal, its stderr has a
# "latentlab: error:" line matching REGEX, and no file in the scratch directory changed.
# @TMP@ in CMD is a scratch directory holding one file; @BADBUNDLE@ a bundle whose manifest is not
# JSON; @MANIFESTED@ a folder with a valid LatentLab manifest.json (the shipped bundle's); @JUNK@ a
# file that is not TorchScript.
regex="$1"; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo keep > "$tmp/keep"
mkdir -p "$tmp/badbundle"; echo '{"format_version": 1,' > "$tmp/badbundle/manifest.json"
mkdir -p "$tmp/manifested"; cp "$(dirname "$0")/../assets/models/fashion-mnist/manifest.json" "$tmp/manifested/"
echo "not a model" > "$tmp/junk.pt"
before=$(cd "$tmp" && find . -type f -exec md5sum {} + | sort)
args=()
for a in "$@"; do a="${a//@TMP@/$tmp}"; a="${a//@BADBUNDLE@/$tmp/badbundle}"; a="${a//@JUNK@/$tmp/junk.pt}"; a="${a//@MANIFESTED@/$tmp/manifested}"; args+=("$a"); done
err=$("${args[@]}" 2>&1 >/dev/null); rc=$?
after=$(cd "$tmp" && find . -type f -exec md5sum {} + | sort)
echo "exit $rc: $err"
[[ $rc -ne 0 && $rc -lt 128 ]] || { echo "FAIL: expected a non-zero exit without a signal"; exit 1; }
grep -Eq "latentlab: error: .*($regex)" <<<"$err" || { echo "FAIL: stderr does not match: $regex"; exit 1; }
[[ "$before" == "$after" ]] || { echo "FAIL: files changed"; exit 1; }
[[ $(grep -c "latentlab: error:" <<<"$err") -eq 1 ]] || { echo "FAIL: expected exactly one error line"; exit 1; }
exit 0
