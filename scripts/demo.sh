#!/usr/bin/env bash
# The main job: installs what is missing, builds (incrementally), and runs
# tickcastd on the embedded defaults until Ctrl-C, printing where to look.
# Usage: scripts/demo.sh [CONFIG]   (default: configs/mock.yaml)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib.sh

config=${1:-configs/mock.yaml}
scripts/deps.sh test
scripts/build.sh "$root/build"

admin="127.0.0.1:$(free_port)"
build/bin/tickcastd run "$config" --admin "$admin" &
daemon=$!
# Ctrl-C reaches the daemon too (same process group); wait for its drain.
trap 'wait "$daemon" 2>/dev/null || true' INT TERM
trap 'kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true' EXIT

for _ in $(seq 50); do curl -fs "http://$admin/health" >/dev/null 2>&1 && break; sleep 0.1; done
cat >&2 <<MSG

  tickcast is running $config
    health:  http://$admin/health
    metrics: http://$admin/metrics
  Events print below as JSON lines; Ctrl-C stops everything.

MSG
sleep 2
echo "--- a sample of /metrics ---" >&2
curl -fs "http://$admin/metrics" | grep -E '^tickcast_(plugin_events|pipeline_in_flight)' >&2 || true
echo "---" >&2
wait "$daemon"
