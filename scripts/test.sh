#!/usr/bin/env bash
# Builds and runs every test: unit, integration (against a throw-away
# redis-server this script starts and always stops) and YAML pipeline tests.
# Usage: scripts/test.sh [--sanitize | --tsan]
#   (default)   the whole suite in build, and first the unit tests of the
#               code that parses outside input (matching engine, fuzz corpus
#               replays) under ASan+UBSan in build-asan; TICKCAST_ASAN_UNIT=0
#               skips those (docs/testing.md has the timings)
#   --sanitize  build in build-asan with ASan+UBSan and run the suite there
#   --tsan      build in build-tsan with ThreadSanitizer only the runtime and
#               concurrency tests (host runtime, daemon, pipelines, Redis,
#               WebSocket gateway) and run those (docs/testing.md)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build=build
mode=default
cmake_args=()
targets=()   # empty: build everything
tests=()     # ctest selection; empty: every test
for arg in "$@"; do
  case $arg in
    --sanitize) mode=sanitize; build=build-asan; cmake_args+=(-DTICKCAST_SANITIZE=address,undefined) ;;
    --tsan)
      mode=tsan
      build=build-tsan
      cmake_args+=(-DTICKCAST_SANITIZE=thread -DTICKCAST_BENCH=OFF)
      # Kafka stays out: librdkafka's own threads are not instrumented, so
      # TSan would report its internals rather than ours.
      targets=(core_tests redis_tests websocket_tests matching_plugin_tests tickcastd mock file matching_engine redis websocket)
      # validate_accepts_the_shipped_configs needs the Kafka plugin built;
      # clients_subscribing_mid_stream stalls under TSan's slowdown (no
      # report; docs/testing.md).
      tests=(-R '^(PipelineRuntime|Tickcastd|PluginCatalog|pipeline_tests|Redis|WebSocketGateway|WebSocketRest|WebSocketLiveFeed|MatchingPlugin)'
             -E '^(Tickcastd.validate_accepts_the_shipped_configs|WebSocketLiveFeed.clients_subscribing_mid_stream.*)$') ;;
    *) echo "usage: $0 [--sanitize | --tsan]" >&2; exit 2 ;;
  esac
done

scripts/deps.sh test
if [ ${#targets[@]} -eq 0 ]; then
  scripts/build.sh "$root/$build" "${cmake_args[@]}"
else
  scripts/deps.sh build
  [ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja "${cmake_args[@]}" >&2
  cmake --build "$build" --target "${targets[@]}" -- -j"$(nproc)" >&2
fi

redis_dir=$(mktemp -d "${TMPDIR:-/tmp}/tickcast-test-redis.XXXXXX")
trap 'scripts/redis.sh stop --dir "$redis_dir"' EXIT
TICKCAST_REDIS=$(scripts/redis.sh start --dir "$redis_dir")
export TICKCAST_REDIS
echo "test redis-server on $TICKCAST_REDIS" >&2

# Sanitizer reports fail the test that triggered them (exitcode), with the
# stack; halt_on_error keeps the first report from being buried.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

if [ "$mode" = default ] && [ "${TICKCAST_ASAN_UNIT:-1}" != 0 ]; then
  # Same configuration as --sanitize, so the two share build-asan.
  asan=$root/build-asan
  [ -f "$asan/build.ninja" ] || cmake -S "$root" -B "$asan" -G Ninja -DTICKCAST_SANITIZE=address,undefined >&2
  replays=(decimal order_decoder snapshot ws_request)
  cmake --build "$asan" --target matching_engine_tests $(printf 'fuzz_replay_%s ' "${replays[@]}") -- -j"$(nproc)" >&2
  echo "ASan+UBSan unit tests (build-asan)" >&2
  # Single-threaded tests: one shard per core (GoogleTest's sharding).
  shards=$(nproc) shard_pids=()
  for ((i = 0; i < shards; i++)); do
    GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i "$asan/bin/matching_engine_tests" --gtest_brief=1 & shard_pids+=($!)
  done
  failed=0
  for pid in "${shard_pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || { echo "ASan+UBSan: matching_engine_tests failed (above)" >&2; exit 1; }
  for t in "${replays[@]}"; do "$asan/bin/fuzz_replay_$t" "$root/tests/fuzz/corpus/$t"; done
fi

# TSan: one test at a time, as several of these pace a client against a
# server and TSan slows both several times over.
jobs=$(nproc)
[ "$mode" = tsan ] && jobs=1
ctest --test-dir "$build" -j"$jobs" --output-on-failure --timeout 900 "${tests[@]}"
