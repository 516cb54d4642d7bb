#!/usr/bin/env bash
# The scale-out roles (configs/roles, docs/deployment.md) as separate daemons
# on one machine: one match daemon, one fanout daemon and N gateways on their
# own ports, against one throw-away Redis and one Kafka cluster (the embedded
# broker, hosted by the match daemon, or Apache Kafka with --kafka real).
# Prints every address; Ctrl-C stops everything it started.
# Usage: scripts/cluster-demo.sh [--kafka embedded|real] [--gateways N]
# Each daemon's log is in the state folder it prints.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib.sh

kafka=embedded gateways=2
while [ $# -gt 0 ]; do
  case $1 in
    --kafka) kafka=${2:?--kafka needs embedded or real}; shift 2 ;;
    --gateways) gateways=${2:?--gateways needs a number}; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "cluster-demo.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $kafka in embedded|real) ;; *) echo "cluster-demo.sh: --kafka must be embedded or real" >&2; exit 2 ;; esac
[[ $gateways =~ ^[1-9][0-9]?$ ]] || { echo "cluster-demo.sh: --gateways must be 1 to 99" >&2; exit 2; }
scripts/deps.sh test
[ "$kafka" = embedded ] || scripts/deps.sh kafka
scripts/build.sh "$root/build"

stack_up "$(mktemp -d "${TMPDIR:-/tmp}/tickcast-cluster.XXXXXX")" "$kafka"
trap stack_down EXIT
trap 'exit 130' INT TERM

admin=() ws=()
start_role() {  # NAME CONFIG, with the role's environment set by the caller
  local name=$1 config=$2 port
  port="127.0.0.1:$(free_port)"
  admin+=("$name http://$port")
  stack_daemon "$name" run "$config" --admin "$port"
  wait_healthy "$port" || { tail -n 20 "$stack_state/$name.log" >&2; exit 1; }
}

start_role match configs/roles/match.yaml
if [ "$kafka" = embedded ]; then
  TICKCAST_KAFKA_BROKERS=$(cat "$TICKCAST_KAFKA_BOOTSTRAP_FILE")
  export TICKCAST_KAFKA_BROKERS
fi
start_role fanout configs/roles/fanout.yaml
for i in $(seq "$gateways"); do
  listen="127.0.0.1:$(free_port)"
  ws+=("ws://$listen/")
  TICKCAST_WS_LISTEN=$listen start_role "gateway$i" configs/roles/gateway.yaml
done

{
  echo
  echo "  tickcast roles are running (logs in $stack_state)"
  echo "    kafka:    $TICKCAST_KAFKA_BROKERS ($kafka)"
  echo "    redis:    $TICKCAST_REDIS_URL"
  for a in "${admin[@]}"; do echo "    admin:    $a/metrics   (${a%% *})"; done
  for w in "${ws[@]}"; do echo "    gateway:  $w   (page: http${w#ws})"; done
  echo "  Every gateway serves the same streams; Ctrl-C stops everything."
  echo
} >&2
wait
