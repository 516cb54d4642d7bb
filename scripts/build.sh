#!/usr/bin/env bash
# Configures (once) and builds incrementally with Ninja and ccache.
# Usage: scripts/build.sh [BUILD_DIR [extra cmake args...]]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}; [ $# -gt 0 ] && shift
"$root/scripts/deps.sh" build
# CMake re-runs itself when a CMakeLists.txt changes; configure only once.
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja "$@" >&2
cmake --build "$build" -- -j"$(nproc)" >&2
