#!/usr/bin/env bash
# Runs bench_ws (build/bin/bench_ws, built by `ninja -C build bench_ws`) with
# the nchan baseline installed, e.g.
#
#   bench/ws/run.sh                              # every scenario, 3 runs each
#   bench/ws/run.sh --scenarios fanout100 --repeat 1
#
# Other work shares this machine's 2 cores. Linux schedules by autogroup
# (one per session), so `nice` alone does not lift the benchmark over other
# sessions' compiles; this script raises its own session's autogroup to
# nice -10 while it runs (root only; BENCH_WS_AUTOGROUP_NICE=0 turns it
# off) and restores it afterwards. tickcast and nchan are lifted alike.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${BENCH_WS_BIN:-$root/build/bin/bench_ws}
[ -x "$bin" ] || { echo "run.sh: $bin not built (ninja -C build bench_ws)" >&2; exit 1; }
"$here/nchan.sh" install >/dev/null
nice_value=${BENCH_WS_AUTOGROUP_NICE:--10}
if [ -w /proc/self/autogroup ] && [ "$nice_value" != 0 ]; then
  old=$(sed -n 's/.* nice //p' /proc/self/autogroup)
  trap 'echo "${old:-0}" > /proc/self/autogroup' EXIT
  echo "$nice_value" > /proc/self/autogroup
  echo "run.sh: autogroup nice $nice_value (was ${old:-0}) for this run" >&2
fi
"$bin" "$@"
