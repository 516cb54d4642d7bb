#!/usr/bin/env bash
# Builds and runs every test: unit, integration (against a throw-away
# redis-server this script starts and always stops) and YAML pipeline tests.
# Usage: scripts/test.sh [--sanitize]
#   --sanitize  build in build-asan with ASan+UBSan and run the suite there
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build=build
cmake_args=()
for arg in "$@"; do
  case $arg in
    --sanitize) build=build-asan; cmake_args+=(-DTICKCAST_SANITIZE=address,undefined) ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
  esac
done

scripts/deps.sh test
scripts/build.sh "$root/$build" "${cmake_args[@]}"

redis_dir=$(mktemp -d "${TMPDIR:-/tmp}/tickcast-test-redis.XXXXXX")
trap 'scripts/redis.sh stop --dir "$redis_dir"' EXIT
TICKCAST_REDIS=$(scripts/redis.sh start --dir "$redis_dir")
export TICKCAST_REDIS
echo "test redis-server on $TICKCAST_REDIS" >&2

ctest --test-dir "$build" -j"$(nproc)" --output-on-failure --timeout 900
