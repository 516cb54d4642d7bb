#!/usr/bin/env bash
# Installs the Debian 12 packages tickcast needs to build, test and run its
# demo, and only those that are missing (so a rerun costs one dpkg-query).
# Usage: scripts/deps.sh [build|test|kafka|all]   (default: test)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-all-dev libboost-json1.81-dev librdkafka-dev libhiredis-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libcli11-dev
  prometheus-cpp-dev libssl-dev
)
run_pkgs=(redis-server kcat curl python3 python3-websockets)
kafka_pkgs=(openjdk-17-jre-headless maven)

want=("${build_pkgs[@]}")
case "${1:-test}" in
  build) ;;
  test|demo) want+=("${run_pkgs[@]}") ;;
  kafka) want+=("${run_pkgs[@]}" "${kafka_pkgs[@]}") ;;
  all) want+=("${run_pkgs[@]}" "${kafka_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|demo|kafka|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tickcast: installing missing packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
