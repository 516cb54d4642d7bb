#!/usr/bin/env bash
# The seed's claims, measured in one invocation: bench_e2e (engine ->
# WebSocket clients over Kafka direct, Redis Pub/Sub and Redis Streams, on
# the embedded broker and Apache Kafka), then the raw hops at the same rate
# with nothing of tickcast in them: bench_kafka's raw librdkafka producer ->
# consumer and bench_redis's raw hiredis Pub/Sub and Streams hop.
# Usage: bench/e2e/run.sh [RATE [CLIENTS [SECONDS]]]   (default 2000 1000 10)
# Needs Java 17 and Maven for Apache Kafka (scripts/deps.sh kafka).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rate=${1:-2000} clients=${2:-1000} seconds=${3:-10}
"$root/scripts/deps.sh" kafka
"$root/scripts/build.sh" "$root/build" >/dev/null
cd "$root/build/bin"
echo "== end to end (bench_e2e) =="
./bench_e2e --rates "$rate" --clients "$clients" --seconds "$seconds"
echo
echo "== the raw Kafka hop at $rate/s (bench_kafka; the raw rows are librdkafka alone) =="
# With bench_e2e's client settings (its kafka_sink linger.ms 0, its consumers
# fetch.wait.max.ms 1), so that end to end minus this hop is tickcast's own.
./bench_kafka --rates "$rate" --embedded-rates "$rate" --no-max --repeat 1 --seconds "$seconds" \
    --producer-property linger.ms=0 --consumer-property fetch.wait.max.ms=1
echo
echo "== the raw Redis hop at $rate/s (bench_redis; the raw rows are hiredis alone) =="
./bench_redis --rates "$rate" --no-throughput --no-restart --repeat 1 --seconds "$seconds"
