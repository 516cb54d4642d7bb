#!/usr/bin/env bash
# A throw-away redis-server on a free loopback port, its data in a state dir.
#
#   ADDR=$(scripts/redis.sh start --dir D [--port P] [--owner PID] [-- redis-server args])   # prints host:port
#   scripts/redis.sh stop --dir D            # stops it and removes D
#
# --owner PID: stop the server and remove D once process PID is gone, so a
# test process that crashes leaves no redis-server behind (a watcher checks
# every second).
#
# Used by scripts/test.sh and scripts/demo.sh; nothing is persisted (no RDB
# snapshots, no AOF), so stopping loses everything, as a cache should.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

cmd=${1:-}; [ $# -gt 0 ] && shift
dir=${TICKCAST_REDIS_DIR:-${TMPDIR:-/tmp}/tickcast-redis-$(id -u)}
port=""
owner=""
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?--dir needs a value}; shift 2 ;;
    --port) port=${2:?--port needs a value}; shift 2 ;;
    --owner) owner=${2:?--owner needs a value}; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "redis.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

case $cmd in
  start)
    install_missing redis-server
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then cat "$dir/address"; exit 0; fi
    mkdir -p "$dir"
    [ -n "$port" ] || port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/pid" --logfile "$dir/redis.log" "${extra[@]}" >&2
    # Up once it accepts connections (even a password-protected one answers).
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [ -s "$dir/pid" ] && break
      sleep 0.05
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { tail -5 "$dir/redis.log" >&2; exit 1; }
    if [ -n "$owner" ]; then
      # Detached and with no inherited output, so a caller reading this
      # script's output to its end is not held up by the watcher. It leaves
      # a server alone that someone stopped (or restarted) meanwhile.
      pid=$(cat "$dir/pid")
      setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
                      if ! kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; then kill -TERM "$2"; rm -rf "$3"; fi' \
        redis-owner "$owner" "$pid" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    echo "127.0.0.1:$port" | tee "$dir/address"
    ;;
  stop)
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop [--dir D]" >&2; exit 2 ;;
esac
