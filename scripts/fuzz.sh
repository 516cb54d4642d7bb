#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang and runs each for a
# bounded time, starting from the committed corpus (docs/testing.md).
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#   SECONDS  per target (default 60); TARGET: decimal, order_decoder,
#            ws_request, config, snapshot (default: all)
# Build dir: build-fuzz (clang-14; only the fuzz targets are compiled).
# New inputs that reach new code go to build-fuzz/fuzz-corpus/TARGET, a
# crash or failed invariant to build-fuzz/fuzz-artifacts/TARGET/, and the
# script exits 1 naming it. To keep a finding as a regression test, fix the
# bug and copy the artifact into tests/fuzz/corpus/TARGET/ (the ctest
# fuzz_replay_TARGET replays that folder in every build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decimal order_decoder ws_request config snapshot)
case $seconds in ''|*[!0-9]*) echo "usage: $0 [SECONDS [TARGET...]]" >&2; exit 2 ;; esac

scripts/deps.sh fuzz
build=$root/build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja \
    -DTICKCAST_FUZZ=ON -DTICKCAST_BENCH=OFF >&2
fi
ninja -C "$build" -j"$(nproc)" $(printf 'fuzz_%s ' "${targets[@]}") >&2

status=0
summary=()
for t in "${targets[@]}"; do
  seeds=$root/tests/fuzz/corpus/$t
  work=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t/
  mkdir -p "$work" "$artifacts"
  dict=()
  [ -f "$root/tests/fuzz/dict/$t.dict" ] && dict=(-dict="$root/tests/fuzz/dict/$t.dict")
  log=$build/fuzz-$t.log
  echo "fuzz: $t for ${seconds}s (log: $log)" >&2
  # -timeout: one input taking over 10 s is a finding (a hang); new inputs
  # are written to the first folder only, so the committed corpus stays as is.
  if "$build/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
       -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$work" "$seeds" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -E 'ERROR|invariant failed|Test unit written' "$log" >&2 || tail -20 "$log" >&2
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
  summary+=("$(printf '%-14s %-6s %6ss %10s runs %8s exec/s  %s' "$t" "$result" "$seconds" "${runs:-?}" "${rate:-?}" "$cov")")
done
printf '%s\n' "${summary[@]}"
exit $status
