#!/usr/bin/env bash
# Runs a command on an X server of its own: Xvfb -displayfd picks a free display number and says
# which once it is ready. (`xvfb-run -a` probes for a free number and can hand two tests started
# together under ctest -j the same one.)  Usage: xvfb_run.sh WIDTHxHEIGHTxDEPTH COMMAND [ARG...]
set -u
screen=$1
shift
numfile=$(mktemp)
Xvfb -displayfd 3 -screen 0 "$screen" -nolisten tcp 3>"$numfile" 2>/dev/null &
xpid=$!
trap 'kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null; rm -f "$numfile"' EXIT
for _ in $(seq 1 600); do
  grep -q . "$numfile" 2>/dev/null && break
  kill -0 "$xpid" 2>/dev/null || { echo "xvfb_run.sh: Xvfb did not start" >&2; exit 1; }
  sleep 0.05
done
display=$(head -n 1 "$numfile")
[[ -n "$display" ]] || { echo "xvfb_run.sh: Xvfb named no display in 30 s" >&2; exit 1; }
DISPLAY=":$display" "$@"
