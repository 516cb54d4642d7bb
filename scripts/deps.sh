#!/usr/bin/env bash
# Installs the Debian 12 packages tickcast needs, and only those missing.
# Usage: scripts/deps.sh [build|test|kafka|fuzz]   (default: test)
#   build  compilers, CMake, Ninja, ccache and the libraries
#   test   build + redis-server, kcat, curl, Python websockets, the openssl CLI, Chromium (the page test)
#   kafka  test + Java 17 and Maven (for scripts/kafka.sh, the real broker)
#   fuzz   build + clang 14 and its libFuzzer/sanitizer runtimes (scripts/fuzz.sh)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-all-dev libboost-json1.81-dev librdkafka-dev libhiredis-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libcli11-dev prometheus-cpp-dev libssl-dev
)
test_pkgs=(redis-server kcat curl python3 python3-websockets openssl chromium)
kafka_pkgs=(openjdk-17-jre-headless maven)
fuzz_pkgs=(clang-14 libclang-rt-14-dev)

case "${1:-test}" in
  build) install_missing "${build_pkgs[@]}" ;;
  test|demo) install_missing "${build_pkgs[@]}" "${test_pkgs[@]}" ;;
  kafka) install_missing "${build_pkgs[@]}" "${test_pkgs[@]}" "${kafka_pkgs[@]}" ;;
  fuzz) install_missing "${build_pkgs[@]}" "${fuzz_pkgs[@]}" ;;
  *) echo "usage: $0 [build|test|kafka|fuzz]" >&2; exit 2 ;;
esac
