#!/usr/bin/env bash
# Ctrl-C (or SIGTERM: sigint_cancel.sh LATENTLAB TERM) during `latentlab train` must exit 130 with
# "cancelled" and leave nothing on disk: no bundle, no staging directory.
latentlab="$1"
sig="${2:-INT}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$latentlab" train --dataset fashion-mnist --out "$tmp/b" --limit-train 30000 --ensemble 0 2>"$tmp/err" >/dev/null &
pid=$!
for _ in $(seq 1 120); do grep -q "classifier" "$tmp/err" 2>/dev/null && break; sleep 0.5; done  # training has begun
kill -"$sig" "$pid"; wait "$pid"; rc=$?
echo "exit $rc; stderr tail: $(tr '\r' '\n' < "$tmp/err" | tail -1)"
[[ $rc -eq 130 ]] || { echo "FAIL: expected exit 130"; exit 1; }
grep -q "cancelled; nothing was written" "$tmp/err" || { echo "FAIL: no cancel message"; exit 1; }
left=$(ls -A "$tmp" | grep -v '^err$')
[[ -z "$left" ]] || { echo "FAIL: left behind: $left"; exit 1; }
exit 0
