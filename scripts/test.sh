#!/usr/bin/env bash
# The test command (README, CI's .ci/run). Sets everything up, builds with -Werror, and runs every
# ctest entry in parallel; then builds the core, the tests and the command line (no window) with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs their unit and CLI entries (the GUI runs
# are the main build's). Prints how long each part took.
#
#   scripts/test.sh          everything, as CI runs it
#   scripts/test.sh --fast   a developer's lane: build, then the unit and CLI entries that are not
#                            slow (ctest -LE "gui|slow"); no sanitizer build
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
fast=0
case "${1:-}" in
  --fast) fast=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--fast]" >&2; exit 2 ;;
esac

jobs=$(nproc); ((jobs > 2)) || jobs=2
start=$SECONDS
split=()
lap() {  # lap NAME: records the seconds since the last lap
  local now=$SECONDS
  split+=("$1 $((now - ${lap_at:-$start}))s")
  lap_at=$now
}
report() {
  echo "== test.sh: ${split[*]}; total $((SECONDS - start))s"
}
trap report EXIT

"$here/scripts/setup.sh" --no-build
lap setup
"$here/scripts/setup.sh" --build-only
lap build
if ((fast)); then
  (cd "$here/build" && ctest --output-on-failure -j "$jobs" -LE "gui|slow")
  lap "fast tests"
  exit 0
fi
(cd "$here/build" && ctest --output-on-failure -j "$jobs")
lap tests

echo "== sanitizer build (ASan + UBSan): the core tests, and the CLI-only executable (no window, as on GPU servers) with its error tests"
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
# -g1: line tables are all a sanitizer report needs.
cmake -S "$here" -B "$here/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DLATENTLAB_SANITIZE=ON -DLATENTLAB_WERROR=ON -DLATENTLAB_BUILD_APP=ON -DLATENTLAB_BUILD_GUI=OFF >/dev/null
cmake --build "$here/build-asan" -j "$jobs"
lap "sanitizer build"
# No suppressions: LibTorch 1.13 raised no ASan, LSan or UBSan report in these tests.
export ASAN_OPTIONS="abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd "$here/build-asan" && ctest --output-on-failure -j "$jobs" -L "unit|cli" -LE "lint|docs")
lap "sanitizer tests"
