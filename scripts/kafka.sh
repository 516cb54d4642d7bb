#!/usr/bin/env bash
# Runs a real single-node Apache Kafka 4.x broker (KRaft, broker+controller in
# one JVM) on 127.0.0.1 for tests and benchmarks.
#
#   BROKERS=$(scripts/kafka.sh start [--port N] [--dir D])   # prints host:port
#   scripts/kafka.sh status [--dir D]    # "running ADDR" (exit 0) or "stopped" (exit 1)
#   scripts/kafka.sh stop   [--dir D]    # SIGTERM, waits, removes the state dir
#
# The broker's jars come from Maven Central through Maven (scripts/kafka/pom.xml),
# the only source this machine can reach; they are cached per version in
# ${XDG_CACHE_HOME:-~/.cache}/tickcast/kafka-<version>/lib, so later starts
# need no network. Only the address goes to stdout; progress goes to stderr.
# Env: TICKCAST_KAFKA_DIR (state dir), TICKCAST_KAFKA_VERSION (other 4.x
# version), KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
pom="$here/kafka/pom.xml"
log() { echo "kafka.sh: $*" >&2; }
die() { log "$*"; exit 1; }
# Start failed: show the errors (the EXIT trap then kills the JVM if alive).
fail() {
  grep -hE 'ERROR|FATAL|Exception:' "$dir/logs/server.log" "$dir/logs/stdout.log" 2>/dev/null | tail -n 10 >&2 || true
  die "$* (logs in $dir/logs)"
}

cmd=${1:-}; [ $# -gt 0 ] && shift
port="" dir=${TICKCAST_KAFKA_DIR:-${TMPDIR:-/tmp}/tickcast-kafka-$(id -u)}
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=${2:?--port needs a value}; shift 2 ;;
    --dir) dir=${2:?--dir needs a value}; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
dir=$(realpath -m "$dir")   # java gets these paths; keep them absolute

# The version is written once, in the pom; the env var may override it.
version=${TICKCAST_KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")}

# --- process bookkeeping -----------------------------------------------------
# The pid counts only if it is still our broker (guards against pid reuse
# after a crash or reboot left a stale pid file).
running_pid() {
  local pid
  pid=$(cat "$dir/pid" 2>/dev/null) || return 1
  [ -n "$pid" ] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $dir/server.properties" || return 1
  echo "$pid"
}

stop_broker() {
  local pid i
  if pid=$(running_pid); then
    log "stopping broker (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    # A clean shutdown flushes logs and closes the raft quorum; ~1-5 s.
    for ((i = 0; i < 300; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "still alive after 30 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
}

# start/stop delete the state dir: refuse unless it is ours (a --dir typo
# must not wipe a real directory).
remove_state_dir() {
  if [ -e "$dir" ] && [ ! -e "$dir/.tickcast-kafka" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir is not a tickcast Kafka state dir; not deleting it"
  fi
  rm -rf "$dir"
}

# --- prerequisites -------------------------------------------------------------
# Install only what is missing, so a rerun costs one dpkg-query.
ensure_packages() { install_missing openjdk-17-jre-headless maven kcat; }

# Copies the broker's runtime jars into the cache once per (version, pom);
# built in a temp dir and renamed so an interrupted run leaves no half classpath.
ensure_classpath() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/tickcast/kafka-$version"
  local stamp
  stamp=$(sha256sum "$pom" | cut -c1-16)
  lib="$cache/lib"
  [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp" ] && [ -d "$lib" ] && return 0
  log "resolving Kafka $version from Maven Central (first run only)"
  rm -rf "$cache/lib.tmp"
  mkdir -p "$cache"
  mvn -B -f "$pom" -Dkafka.version="$version" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$cache/lib.tmp" >"$cache/mvn.log" 2>&1 ||
    { tail -n 30 "$cache/mvn.log" >&2; die "Maven could not resolve Kafka $version (see $cache/mvn.log)"; }
  rm -rf "$lib"
  mv "$cache/lib.tmp" "$lib"
  echo "$stamp" >"$cache/stamp"
}

# --- commands ----------------------------------------------------------------
start() {
  if running_pid >/dev/null; then cat "$dir/address"; return 0; fi
  if [ -n "$port" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is already in use"
  fi
  remove_state_dir   # leftovers of a crashed or failed run
  ensure_packages
  ensure_classpath
  mkdir -p "$dir/data" "$dir/logs"
  touch "$dir/.tickcast-kafka"
  port=${port:-$(free_port)}
  local cport addr=127.0.0.1:$port
  cport=$(free_port "$port")

  # KRaft combined node. Kafka 4 prefers a dynamic quorum:
  # controller.quorum.bootstrap.servers + `format --standalone` (not the
  # static controller.quorum.voters). Replication settings are 1 because
  # there is one broker; internal topics get 1 partition so the first
  # consumer group and transaction come up fast.
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://$addr,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://$addr,CONTROLLER://127.0.0.1:$cport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.segment.bytes=67108864
EOF

  # Kafka's own log4j2 setup lives in its tarball, not in the jars: write a
  # minimal one that keeps the broker's log in the state dir.
  cat >"$dir/log4j2.properties" <<EOF
appender.file.type=File
appender.file.name=file
appender.file.fileName=$dir/logs/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
EOF

  local -a java_opts
  # shellcheck disable=SC2206  # KAFKA_HEAP_OPTS is a list of JVM flags
  java_opts=(${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -Dkafka.logs.dir="$dir/logs")

  # The cluster id is a base64url UUID; a random one saves a JVM start over
  # `kafka-storage random-uuid`. A leading '-' would read as an option.
  local cid
  cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
  cid=${cid/#-/A}
  log "formatting $dir/data (cluster $cid)"
  java "${java_opts[@]}" -cp "$lib/*" kafka.tools.StorageTool format --standalone \
    -t "$cid" -c "$dir/server.properties" >"$dir/logs/format.log" 2>&1 ||
    { cat "$dir/logs/format.log" >&2; die "storage format failed"; }

  # From here on a failure must not leave a broker behind.
  trap 'stop_broker' EXIT
  trap 'exit 130' INT TERM   # so Ctrl-C / kill runs the EXIT trap too
  log "starting Kafka $version on $addr (controller 127.0.0.1:$cport)"
  # setsid + closed stdio: the broker outlives this script, and `$(kafka.sh
  # start)` returns as soon as we print (it waits for stdout to close); fd 9
  # is our lock, which the broker must not keep holding.
  setsid java "${java_opts[@]}" -cp "$lib/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/logs/stdout.log" 2>&1 9>&- &
  echo $! >"$dir/pid"
  echo "$addr" >"$dir/address"

  # Ready when a metadata request answers with our broker, not merely when
  # the port accepts (it listens before the broker has caught up with the
  # metadata log).
  local i
  for ((i = 0; i < 120; i++)); do
    running_pid >/dev/null || fail "broker exited during startup"
    if kcat -L -b "$addr" -m 2 2>/dev/null | grep -q "broker 1 at $addr"; then
      trap - EXIT INT TERM
      log "ready after ${SECONDS}s"
      echo "$addr"
      return 0
    fi
    sleep 0.5
  done
  fail "broker not ready after 60 s"
}

case $cmd in start|stop|status) ;; *) echo "usage: $0 start|stop|status [--port N] [--dir D]" >&2; exit 2 ;; esac

# Serialise start/stop on one state dir (parallel test runs may share it).
# The lock sits beside the dir because stop deletes the dir.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9

case $cmd in
  start) start ;;
  status)
    if running_pid >/dev/null; then echo "running $(cat "$dir/address")"; else echo stopped; exit 1; fi ;;
  stop) stop_broker; remove_state_dir ;;
esac
