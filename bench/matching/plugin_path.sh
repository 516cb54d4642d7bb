#!/usr/bin/env bash
# The matching engine through the daemon: replays N generated orders with
# file_source → matching_engine → fail_sink (completes at once) and, as the
# baseline in the same invocation, file_source → fail_sink; prints wall times.
# Usage: bench/matching/plugin_path.sh [ORDERS] [RUNS]   (default 1000000 3)
# With BEFORE_PLUGINS=DIR (a directory holding another build's plugin
# modules, e.g. an older commit's build/plugins) each run also times the
# stage with those plugins: an A/B under the same load.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
daemon=$root/build/bin/tickcastd
orders=${1:-1000000} runs=${2:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TICKCAST_PLUGIN_PATH=$root/build/plugins

cat >"$dir/gen.yaml" <<YAML
pipelines:
  gen:
    source: {plugin: orderflow, symbols: [BTC-USDT], count: $orders, seed: 42}
    sinks: [{plugin: file_sink, path: $dir/orders.jsonl}]
YAML
"$daemon" --log-level warn run "$dir/gen.yaml"
for with in stage baseline; do
  stage=""
  [ $with = stage ] && stage='    stages: [{plugin: matching_engine, symbols: {BTC-USDT: {tick: "0.01", lot: "0.0001"}}}]'
  cat >"$dir/$with.yaml" <<YAML
pipelines:
  replay:
    max_in_flight: 100000
    source: {plugin: file_source, path: $dir/orders.jsonl, channel: orders, batch: 1024}
$stage
    sinks: [{plugin: fail_sink}]
YAML
done
echo "plugin path: $orders orders, 1 symbol, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
variants="baseline stage"
[ -n "${BEFORE_PLUGINS:-}" ] && variants="baseline before stage"
for ((i = 1; i <= runs; i++)); do
  for with in $variants; do
    config=$with plugins=$root/build/plugins
    [ $with = before ] && config=stage plugins=$BEFORE_PLUGINS
    start=$(date +%s.%N)
    TICKCAST_PLUGIN_PATH=$plugins "$daemon" --log-level warn run "$dir/$config.yaml"
    end=$(date +%s.%N)
    awk -v w=$with -v s="$start" -v e="$end" -v n="$orders" \
      'BEGIN { t = e - s; printf "  run %s %-8s %.2f s  %.0f orders/s\n", "'$i'", w, t, n / t }'
  done
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
