#!/usr/bin/env bash
# Sets everything up, builds, and runs every test through ctest; then builds the core tests with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them too. This is what CI runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
(cd "$here/build" && ctest --output-on-failure)

echo "== sanitizer build (ASan + UBSan): the core tests, and the CLI-only executable (no window, as on GPU servers) with its error tests"
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
jobs=$(nproc); ((jobs > 2)) || jobs=2
cmake -S "$here" -B "$here/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLATENTLAB_SANITIZE=ON \
  -DLATENTLAB_BUILD_APP=ON -DLATENTLAB_BUILD_GUI=OFF >/dev/null
cmake --build "$here/build-asan" -j "$jobs"
# No suppressions: LibTorch 1.13 raised no ASan, LSan or UBSan report in these tests.
export ASAN_OPTIONS="abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd "$here/build-asan" && ctest --output-on-failure)
