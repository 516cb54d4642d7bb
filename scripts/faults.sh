#!/usr/bin/env bash
# Fault injection against the split deployment (configs/roles: one match,
# one fanout and two gateway daemons, one Redis, one Kafka). Each scenario
# gets a fresh stack and a steady stream of orders and trades; one fault is
# injected in the middle of it; then the stream is stopped (SIGTERM to the
# match daemon, which drains) and everything is counted:
#   Kafka   kcat reads `market-events`: every channel must hold seqs 1..N once;
#   Redis   the streams (redis_stream) hold 1..N, the ticker and depth book
#           are at Kafka's last seq, the book's levels are those Kafka's
#           depth events build;
#   clients two WebSocket clients (scripts/faults/client.py) that subscribed
#           before the first trade: `pinned` always reconnects to gateway 1,
#           `failover` to the other gateway (and asks for coalesced frames).
#           Each must end with every trade 1..N known exactly once, seq
#           continuity per channel across reconnects (a resume with `since`
#           continues it; only a `resnapshot` followed by a snapshot may
#           restart it), and reach Kafka's last seq of every channel;
#           where a re-snapshot is allowed, trades it skipped are counted
#           as told, not failed.
# Prints a table and exits 1 if any scenario failed.
#
# Usage: scripts/faults.sh [--short] [--kafka embedded|real] [--only NAME,...]
#                          [--keep] [--no-build] [--build DIR]
#   --short  the quick form run by ctest (label `faults`): embedded Kafka,
#            a few seconds of stream around each fault
#   --kafka  full form default: real (Apache Kafka from scripts/kafka.sh);
#            short form default: embedded
#   --only   run these scenarios (comma-separated) instead of the default
#            fanout_kill gateway_kill redis_restart redis_restart_pubsub
#            kafka_down, and kafka_kill with the real broker; also
#            redis_restart_lost (Redis without persistence: Redis cannot
#            agree with Kafka afterwards, so it fails; docs/reliability.md)
#   --keep   keep each scenario's state folder (daemon logs, client report)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib.sh

short=0 kafka="" only="" keep=0 build_it=1 build=$root/build
while [ $# -gt 0 ]; do
  case $1 in
    --short) short=1; shift ;;
    --kafka) kafka=${2:?--kafka needs embedded or real}; shift 2 ;;
    --only) only=${2:?--only needs scenario names}; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-build) build_it=0; shift ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "faults.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$kafka" ] || { [ $short = 1 ] && kafka=embedded || kafka=real; }
case $kafka in embedded|real) ;; *) echo "faults.sh: --kafka must be embedded or real" >&2; exit 2 ;; esac

if [ $short = 1 ]; then
  rate=150 steady=3 outage=2 deadline=40
else
  rate=300 steady=10 outage=5 deadline=90
fi
daemon=$build/bin/tickcastd
python=/usr/bin/python3   # Debian's, which has python3-websockets
symbols=(BTC-USDT ETH-USDT SOL-USDT)
channels=$(for s in "${symbols[@]}"; do printf 'trades.%s,depth.%s,' "$s" "$s"; done)
channels=${channels%,}

log() { echo "faults: $*" >&2; }

if [ $build_it = 1 ]; then
  scripts/deps.sh test
  [ "$kafka" = embedded ] || scripts/deps.sh kafka
  scripts/deps.sh build
  [ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja >&2
  cmake --build "$build" --target tickcastd matching_engine kafka redis websocket file -- -j2 >&2
fi
[ -x "$daemon" ] || { echo "faults.sh: no $daemon (build first, or drop --no-build)" >&2; exit 2; }

# --- one scenario's stack ------------------------------------------------------
# Daemons by name: their pid, admin address, config and environment, so a
# fault can kill one and start it again exactly as before.
declare -A pid admin conf envs
state="" redis_addr="" redis_args=() kafka_addr=""

start_daemon() {  # NAME: (re)start it in the background, its log appended
  local name=$1
  # shellcheck disable=SC2086  # envs are VAR=value words without spaces
  env ${envs[$name]} "$daemon" --log-level info run "${conf[$name]}" --admin "${admin[$name]}" \
    >>"$state/$name.log" 2>&1 &
  pid[$name]=$!
}
define_daemon() {  # NAME CONFIG ENV...
  local name=$1 config=$2; shift 2
  conf[$name]=$config envs[$name]="$*" admin[$name]="127.0.0.1:$(free_port)"
}
healthy() {  # NAME...: each answers /health (30 s each: a loaded machine is slow)
  local name _
  for name in "$@"; do
    for _ in $(seq 300); do
      curl -fs "http://${admin[$name]}/health" >/dev/null 2>&1 && continue 2
      kill -0 "${pid[$name]}" 2>/dev/null || break
      sleep 0.1
    done
    echo "faults: $name did not come up; its log:" >&2
    tail -n 20 "$state/$name.log" >&2
    return 1
  done
}
# Every daemon still running is the one we started (none crashed). A crash is
# a failure of the scenario, noted for the judge.
check_alive() {
  local name
  for name in "${!pid[@]}"; do
    kill -0 "${pid[$name]}" 2>/dev/null || echo "daemon $name exited on its own: $(tail -n 3 "$state/$name.log" | tr '\n' ' ')" >>"$state/failures"
  done
}
stop_daemon() {  # NAME: SIGTERM, wait for the drain; a non-zero exit is a failure
  local name=$1 status=0
  kill -TERM "${pid[$name]}" 2>/dev/null || true
  wait "${pid[$name]}" 2>/dev/null || status=$?
  [ "$status" = 0 ] || echo "daemon $name exited $status on SIGTERM" >>"$state/failures"
  unset "pid[$name]"
}

redis_start() {
  redis_addr=$(scripts/redis.sh start --dir "$state/redis" ${redis_port:+--port "$redis_port"} -- "${redis_args[@]}")
  redis_port=${redis_addr##*:}
}
kafka_start() {
  if [ "$kafka" = real ]; then
    # A second try: a port picked free can be taken before the JVM binds it.
    kafka_addr=$(scripts/kafka.sh start --port "$(free_port)" --dir "$state/kafka") ||
      kafka_addr=$(scripts/kafka.sh start --port "$(free_port)" --dir "$state/kafka")
  else
    define_daemon kafka scripts/faults/kafka-host.yaml "TICKCAST_KAFKA_BOOTSTRAP_FILE=$state/kafka.bootstrap"
    start_daemon kafka
    healthy kafka || return 1
    local _
    for _ in $(seq 100); do [ -s "$state/kafka.bootstrap" ] && break; sleep 0.1; done
    kafka_addr=$(cat "$state/kafka.bootstrap")
  fi
}

# Starts Redis, Kafka, fanout and gateways, then the clients, then the match
# daemon: the clients subscribe before the first trade, so they can be held
# to every trade from seq 1. PUSH is stream or pubsub.
stack_start() {
  local push=$1 fanout=configs/roles/fanout.yaml gateway=configs/roles/gateway.yaml
  if [ "$push" = pubsub ]; then
    # The same roles with Pub/Sub in place of Streams (docs/deployment.md:
    # one plugin name in each file).
    sed 's/{plugin: redis_stream, redis: cache, maxlen: 10000}/{plugin: redis_pubsub, redis: cache}/' \
      configs/roles/fanout.yaml >"$state/fanout.yaml"
    sed 's/{plugin: redis_stream, redis: cache, channels:/{plugin: redis_pubsub, redis: cache, channels:/' \
      configs/roles/gateway.yaml >"$state/gateway.yaml"
    fanout=$state/fanout.yaml gateway=$state/gateway.yaml
    grep -q redis_pubsub "$fanout" && grep -q redis_pubsub "$gateway" ||
      { echo "faults.sh: the roles no longer read as expected; update the sed lines" >&2; exit 1; }
  fi
  # Called as a condition, so `set -e` is off in here: each step says.
  redis_start || return 1
  kafka_start || return 1
  local common="TICKCAST_REDIS_URL=redis://$redis_addr TICKCAST_KAFKA_BROKERS=$kafka_addr TICKCAST_KAFKA_BOOTSTRAP_FILE="
  define_daemon fanout "$fanout" "$common"
  gw1="127.0.0.1:$(free_port)" gw2="127.0.0.1:$(free_port "${gw1##*:}")"
  define_daemon gateway1 "$gateway" "$common TICKCAST_WS_LISTEN=$gw1"
  define_daemon gateway2 "$gateway" "$common TICKCAST_WS_LISTEN=$gw2"
  define_daemon match configs/roles/match.yaml "$common TICKCAST_ORDER_RATE=$rate"
  start_daemon fanout; start_daemon gateway1; start_daemon gateway2
  healthy fanout gateway1 gateway2 || return 1
  "$python" scripts/faults/client.py --channels "$channels" --targets "$state/targets.json" \
    --out "$state/client.json" --deadline "$deadline" --ready "$state/client.ready" \
    --client "pinned=ws://$gw1/" --client "failover=ws://$gw1/?coalesce=1,ws://$gw2/?coalesce=1" \
    >"$state/client.log" 2>&1 &
  client_pid=$!
  # The clients' snapshots (at seq 0) before the first trade. Were they late,
  # the trades snapshot (the last 100) would still list every trade.
  local _ s
  for _ in $(seq 300); do [ -e "$state/client.ready" ] && break; sleep 0.1; done
  start_daemon match
  healthy match || return 1
  # Steady: trades have reached Redis (the fanout's Kafka group has joined).
  for _ in $(seq 600); do
    for s in "${symbols[@]}"; do
      [ -n "$(redis-cli -h 127.0.0.1 -p "$redis_port" --raw HGET "tc:ticker:$s" trade_seq)" ] || { sleep 0.1; continue 2; }
    done
    return 0
  done
  echo "faults.sh: no trades reached Redis in 60 s" >&2
  tail -n 20 "$state"/*.log >&2
  return 1
}

stack_down() {
  local name
  [ -n "$state" ] || return 0
  [ -n "${client_pid:-}" ] && kill "$client_pid" 2>/dev/null || true
  for name in "${!pid[@]}"; do kill -TERM "${pid[$name]}" 2>/dev/null || true; done
  for name in "${!pid[@]}"; do wait "${pid[$name]}" 2>/dev/null || true; done
  pid=()
  [ "$kafka" != real ] || scripts/kafka.sh stop --dir "$state/kafka" >/dev/null 2>&1 || true
  scripts/redis.sh stop --dir "$state/redis" || true
}

# --- faults -----------------------------------------------------------------
restart_after() {  # NAME: SIGKILL, wait out the outage, start again
  local name=$1
  kill -KILL "${pid[$name]}"
  wait "${pid[$name]}" 2>/dev/null || true
  sleep "$outage"
  start_daemon "$name"
  healthy "$name"
}
fault_fanout_kill() { restart_after fanout; }
fault_gateway_kill() { restart_after gateway1; }
fault_redis_restart() {
  local rpid
  rpid=$(cat "$state/redis/pid")
  kill -KILL "$rpid"
  while kill -0 "$rpid" 2>/dev/null; do sleep 0.05; done
  sleep "$outage"
  redis_start   # the same port, folder and append-only file
}
# SIGNAL: stop the real broker's JVM with it and start the very same command
# line again (scripts/kafka.sh start would begin a fresh log; this keeps it).
broker_restart() {
  local kpid cmdline _
  kpid=$(cat "$state/kafka/pid")
  mapfile -d '' cmdline <"/proc/$kpid/cmdline"
  kill "-$1" "$kpid"
  while kill -0 "$kpid" 2>/dev/null; do sleep 0.1; done
  sleep "$outage"
  setsid "${cmdline[@]}" </dev/null >>"$state/kafka/logs/stdout.log" 2>&1 &
  echo $! >"$state/kafka/pid"
  for _ in $(seq 120); do
    kcat -L -b "$kafka_addr" -m 2 2>/dev/null | grep -q "broker 1 at $kafka_addr" && return 0
    sleep 0.5
  done
  echo "broker did not come back in 60 s" >>"$state/failures"
}
fault_kafka_kill() { broker_restart KILL; }
fault_kafka_down() {
  if [ "$kafka" = real ]; then
    broker_restart TERM
  else
    # The embedded broker lives in the memory of the daemon hosting it: it
    # cannot be restarted with its log. Freezing that daemon makes every
    # Kafka connection go silent, which librdkafka sees as a broker that
    # stopped answering; SIGCONT brings it back with its log intact.
    kill -STOP "${pid[kafka]}"
    sleep $((outage + 2))
    kill -CONT "${pid[kafka]}"
  fi
}

declare -A what=(
  [fanout_kill]="SIGKILL fanout, restart after ${outage} s"
  [gateway_kill]="SIGKILL gateway 1, restart after ${outage} s"
  [redis_restart]="SIGKILL redis-server, restart after ${outage} s on the same port, data kept (AOF, fsync always)"
  [redis_restart_pubsub]="as redis_restart, with Pub/Sub instead of Streams"
  [redis_restart_lost]="SIGKILL redis-server, restart after ${outage} s on the same port, data lost (no persistence)"
  [kafka_kill]="SIGKILL the Kafka broker (KRaft, 1 node), start it again after ${outage} s, log kept"
)
if [ "$kafka" = real ]; then
  what[kafka_down]="SIGTERM the Kafka broker (KRaft, 1 node), start it again after ${outage} s, log kept"
else
  what[kafka_down]="SIGSTOP the daemon hosting the embedded broker for $((outage + 2)) s, then SIGCONT"
fi

# NAME PUSH FAULT [allow-resnapshot]
run_scenario() {
  local name=$1 push=$2 fault=$3 allow=${4:-} status=0
  state=$(mktemp -d "${TMPDIR:-/tmp}/tickcast-faults-$name.XXXXXX")
  redis_port="" redis_args=() client_pid=""
  case $name in redis_restart|redis_restart_pubsub) redis_args=(--appendonly yes --appendfsync always) ;; esac
  log "$name: starting the stack (Kafka $kafka, Redis $push) in $state"
  : >"$state/failures"
  if ! stack_start "$push"; then
    echo "the stack did not start" >>"$state/failures"
  else
    sleep "$steady"
    log "$name: ${what[$name]}"
    "$fault" || echo "after the fault, the stack did not come back (logs in $state)" >>"$state/failures"
    sleep "$steady"
    check_alive
    log "$name: stopping the stream and counting"
    stop_daemon match
    kcat -b "$kafka_addr" -C -t market-events -e -q -f '%s\n' >"$state/kafka.jsonl" 2>"$state/kcat.log" ||
      echo "kcat could not read market-events: $(tail -n 2 "$state/kcat.log")" >>"$state/failures"
    "$python" scripts/faults/tally.py targets "$state/kafka.jsonl" "$state/targets.json"
    wait "$client_pid" || echo "the client exited $?: $(tail -n 5 "$state/client.log")" >>"$state/failures"
    client_pid=""
    check_alive
  fi
  if [ -s "$state/client.json" ]; then
    "$python" scripts/faults/tally.py judge --kafka "$state/kafka.jsonl" --redis "$redis_addr" --push "$push" \
      --client "$state/client.json" --failures "$state/failures" --scenario "$name" --fault "${what[$name]}" \
      ${allow:+--allow-resnapshot} --row "$rows" || status=1
  else
    status=1
    echo "| $name | ${what[$name]} | | | | | | | FAIL |" >>"$rows"
    sed "s/^/  $name: /" "$state/failures" >&2
  fi
  stack_down
  if [ $keep = 1 ] || [ $status != 0 ]; then log "state kept in $state"; else rm -rf "$state"; fi
  state=""   # nothing left for the exit trap to stop
  return $status
}

rows=$(mktemp "${TMPDIR:-/tmp}/tickcast-faults-rows.XXXXXX")
trap 'stack_down >/dev/null 2>&1 || true; rm -f "$rows"' EXIT
trap 'exit 130' INT TERM
failed=0
started=$SECONDS
# NAME:PUSH:FAULT[:allow, where a re-snapshot is a correct outcome]
scenarios=(fanout_kill:stream:fault_fanout_kill gateway_kill:stream:fault_gateway_kill
           redis_restart:stream:fault_redis_restart:allow redis_restart_pubsub:pubsub:fault_redis_restart:allow
           redis_restart_lost:stream:fault_redis_restart:allow
           kafka_down:stream:fault_kafka_down kafka_kill:stream:fault_kafka_kill)
default=",fanout_kill,gateway_kill,redis_restart,redis_restart_pubsub,kafka_down,"
[ "$kafka" = embedded ] || default+="kafka_kill,"
for s in "${scenarios[@]}"; do
  IFS=: read -r name push fault allow <<<"$s"
  if [ -n "$only" ]; then [[ ",$only," == *",$name,"* ]] || continue
  else [[ $default == *",$name,"* ]] || continue
  fi
  [ "$name" != kafka_kill ] || [ "$kafka" = real ] || { log "kafka_kill needs --kafka real; skipped"; continue; }
  run_scenario "$name" "$push" "$fault" "$allow" || failed=1
done

echo
echo "Fault injection ($([ $short = 1 ] && echo short || echo full) form, Kafka $kafka, $rate orders/s, $(date -u '+%Y-%m-%d %H:%M UTC'), $((SECONDS - started)) s)"
echo
echo "| scenario | fault | trades on Kafka | trades on Redis | trades at the clients (unique, events received, connections) | gaps | duplicates | resnapshots | verdict |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$rows"
exit $failed
