#!/usr/bin/env bash
# The baseline bench_ws compares the WebSocket gateway with: nginx and its
# nchan module (Debian 12: nginx-light + libnginx-mod-nchan).
#
#   bench/ws/nchan.sh install    # installs them if missing; prints nginx's path
#   bench/ws/nchan.sh module     # prints the nchan module's .so path
#
# bench_ws starts its own nginx (one worker, a private prefix and config) and
# never touches the system's /etc/nginx service. Not part of scripts/deps.sh:
# only this benchmark needs nginx.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/../../scripts/lib.sh"

module() {
  local m
  for m in /usr/lib/nginx/modules/ngx_nchan_module.so /usr/share/nginx/modules/ngx_nchan_module.so; do
    [ -f "$m" ] && { echo "$m"; return 0; }
  done
  echo "nchan.sh: ngx_nchan_module.so not found (run bench/ws/nchan.sh install)" >&2
  return 1
}

case ${1:-} in
  install)
    # policy-rc.d: keep the package's postinst from starting a system nginx on port 80.
    if ! command -v nginx >/dev/null || ! module >/dev/null 2>&1; then
      if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
      fi
      install_missing nginx-light libnginx-mod-nchan
    fi
    command -v nginx
    ;;
  module) module ;;
  *) echo "usage: bench/ws/nchan.sh install|module" >&2; exit 2 ;;
esac
