#!/usr/bin/env bash
# The main job: installs what is missing, builds (incrementally), starts a
# throw-away redis-server, and runs tickcastd on the embedded defaults
# (configs/demo.yaml: order flow → matching engine → embedded Kafka → Redis
# cache and streams → the console) until Ctrl-C, printing where to look.
# Ctrl-C stops everything this script started.
# Usage: scripts/demo.sh [CONFIG]   (default: configs/demo.yaml)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib.sh

config=${1:-configs/demo.yaml}
scripts/deps.sh test
scripts/build.sh "$root/build"

redis_dir=$(mktemp -d "${TMPDIR:-/tmp}/tickcast-demo-redis.XXXXXX")
TICKCAST_REDIS_URL="redis://$(scripts/redis.sh start --dir "$redis_dir")"
export TICKCAST_REDIS_URL
admin="127.0.0.1:$(free_port)"
TICKCAST_WS_LISTEN="127.0.0.1:$(free_port)"
export TICKCAST_WS_LISTEN
build/bin/tickcastd run "$config" --admin "$admin" &
daemon=$!
# Ctrl-C reaches the daemon too (same process group); wait for its drain.
trap 'wait "$daemon" 2>/dev/null || true' INT TERM
trap 'kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; scripts/redis.sh stop --dir "$redis_dir"' EXIT

for _ in $(seq 50); do curl -fs "http://$admin/health" >/dev/null 2>&1 && break; sleep 0.1; done
cat >&2 <<MSG

  tickcast is running $config
    health:  http://$admin/health
    metrics: http://$admin/metrics
    websocket: ws://$TICKCAST_WS_LISTEN/   (REST: http://$TICKCAST_WS_LISTEN/api/v1/depth?symbol=BTC-USDT)
    redis:   $TICKCAST_REDIS_URL   (try: redis-cli -u $TICKCAST_REDIS_URL hgetall tc:ticker:BTC-USDT)
  Trades print below as JSON lines; Ctrl-C stops everything.

MSG
sleep 2
echo "--- a sample of /metrics ---" >&2
curl -fs "http://$admin/metrics" | grep -E '^tickcast_(plugin_events_out|matching_trades|redis_cache_applied|kafka_source_commits)' >&2 || true
echo "---" >&2
wait "$daemon"
