# Shell helpers shared by the scripts in this folder; source it, don't run it.

# Installs the Debian packages among "$@" that are not installed yet (one
# dpkg-query when nothing is missing, so reruns are cheap). Output to stderr.
install_missing() {
  local p missing=() sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "tickcast: installing missing packages: ${missing[*]}" >&2
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# A loopback port nothing listens on (a refused connect says so, no extra
# tools): random in 10000-32767, below Linux's ephemeral range so outgoing
# connections cannot take it between now and the server's bind. An argument
# names a port to avoid.
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % 22768))
    [ "$p" != "${1:-}" ] || continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# The servers a demo runs beside its daemons, all under one state folder:
#   stack_up STATE embedded|real   starts a throw-away redis-server (exports
#       TICKCAST_REDIS_URL) and, for `real`, Apache Kafka (exports
#       TICKCAST_KAFKA_BROKERS); exports TICKCAST_KAFKA_BOOTSTRAP_FILE, where
#       a daemon hosting the embedded broker writes its address (and where
#       scripts/order.sh looks for it).
#   stack_daemon NAME ARGS...      starts `tickcastd ARGS...` in the
#       background, its output in STATE/NAME.log unless NAME is "-".
#   stack_down                     SIGTERM to the daemons (waiting for their
#       drain), then stops Kafka and Redis and removes STATE.
stack_pids=()
stack_up() {
  stack_state=$1 stack_kafka=$2
  local scripts
  scripts=$(dirname "${BASH_SOURCE[0]}")
  export TICKCAST_KAFKA_BOOTSTRAP_FILE=${TMPDIR:-/tmp}/tickcast-demo-$(id -u).kafka
  if [ "$stack_kafka" = real ]; then
    TICKCAST_KAFKA_BROKERS=$("$scripts/kafka.sh" start --port "$(free_port)" --dir "$stack_state/kafka")
    export TICKCAST_KAFKA_BROKERS
    echo "$TICKCAST_KAFKA_BROKERS" > "$TICKCAST_KAFKA_BOOTSTRAP_FILE"
  fi
  TICKCAST_REDIS_URL="redis://$("$scripts/redis.sh" start --dir "$stack_state/redis")"
  export TICKCAST_REDIS_URL
}
stack_daemon() {
  local name=$1; shift
  if [ "$name" = - ]; then "$(dirname "${BASH_SOURCE[0]}")/../build/bin/tickcastd" "$@" &
  else "$(dirname "${BASH_SOURCE[0]}")/../build/bin/tickcastd" "$@" > "$stack_state/$name.log" 2>&1 &
  fi
  stack_pids+=($!)
}
stack_down() {
  local pid scripts
  scripts=$(dirname "${BASH_SOURCE[0]}")
  for pid in "${stack_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${stack_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$stack_kafka" != real ] || "$scripts/kafka.sh" stop --dir "$stack_state/kafka" >/dev/null 2>&1 || true
  "$scripts/redis.sh" stop --dir "$stack_state/redis" || true
  rm -f "$TICKCAST_KAFKA_BOOTSTRAP_FILE"
  rm -rf "$stack_state"
}

# Waits up to 10 s for http://ADDR/health to answer.
wait_healthy() {
  local _
  for _ in $(seq 100); do curl -fs "http://$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "no answer from http://$1/health" >&2
  return 1
}
