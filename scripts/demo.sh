#!/usr/bin/env bash
# The main job: installs what is missing, builds (incrementally), starts a
# throw-away redis-server, and runs tickcastd on the embedded defaults
# (configs/demo.yaml: order flow → matching engine → embedded Kafka → Redis
# cache and streams → the WebSocket gateway and the console) until Ctrl-C,
# printing where to look. Ctrl-C stops everything this script started.
# Usage: scripts/demo.sh [--kafka embedded|real] [CONFIG]
#   CONFIG        default configs/demo.yaml; configs/exchange.yaml takes your
#                 orders (scripts/order.sh) as well as the generator's
#   --kafka real  run Apache Kafka (scripts/kafka.sh) instead of the embedded
#                 broker; it is stopped and its data removed on exit
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib.sh

kafka=embedded config=configs/demo.yaml
while [ $# -gt 0 ]; do
  case $1 in
    --kafka) kafka=${2:?--kafka needs embedded or real}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
    *) config=$1; shift ;;
  esac
done
case $kafka in embedded|real) ;; *) echo "demo.sh: --kafka must be embedded or real, not '$kafka'" >&2; exit 2 ;; esac
scripts/deps.sh test
[ "$kafka" = embedded ] || scripts/deps.sh kafka
scripts/build.sh "$root/build"

stack_up "$(mktemp -d "${TMPDIR:-/tmp}/tickcast-demo.XXXXXX")" "$kafka"
trap stack_down EXIT
admin="127.0.0.1:$(free_port)"
# A fresh secret for the gateway's access tokens (configs that use it:
# exchange.yaml), and a token for the demo user alice.
TICKCAST_AUTH_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export TICKCAST_AUTH_SECRET
TICKCAST_WS_LISTEN="127.0.0.1:$(free_port)"
export TICKCAST_WS_LISTEN
stack_daemon - run "$config" --admin "$admin"
daemon=$!
# Ctrl-C reaches the daemon too (same process group); wait for its drain.
trap 'wait "$daemon" 2>/dev/null || true' INT TERM
wait_healthy "$admin" || true
cat >&2 <<MSG

  tickcast is running $config
    page:    http://$TICKCAST_WS_LISTEN/   (the live order book and trades)
$(grep -q auth_secret "$config" && echo "    alice:   http://$TICKCAST_WS_LISTEN/?token=$(scripts/token.sh alice 86400)   (the page with alice's private orders.alice)")
    health:  http://$admin/health
    metrics: http://$admin/metrics
    websocket: ws://$TICKCAST_WS_LISTEN/   (REST: http://$TICKCAST_WS_LISTEN/api/v1/ticker?symbol=BTC-USDT, .../depth, .../trades)
    redis:   $TICKCAST_REDIS_URL   (try: redis-cli -u $TICKCAST_REDIS_URL hgetall tc:ticker:BTC-USDT)
    kafka:   $(cat "$TICKCAST_KAFKA_BOOTSTRAP_FILE" 2>/dev/null || echo "?") ($kafka; try: kcat -C -b \$(cat $TICKCAST_KAFKA_BOOTSTRAP_FILE) -t market-events -o -5 -e)
$(grep -q 'topics: \[orders\]' "$config" && echo "    orders:  scripts/order.sh buy BTC-USDT 0.0005 --user alice   (see scripts/order.sh; outcome on orders.alice)")
  The daemon's output follows (demo.yaml prints trades as JSON lines); Ctrl-C stops everything.

MSG
sleep 2
echo "--- a sample of /metrics ---" >&2
curl -fs "http://$admin/metrics" | grep -E '^tickcast_(plugin_events_out|matching_trades|redis_cache_applied|kafka_source_commits)' >&2 || true
echo "---" >&2
wait "$daemon"
