#!/usr/bin/env bash
# The SDK as a plugin author meets it: install, build out of tree from the
# installed prefix alone, scaffold, and the ABI refusal. Run by ctest
# (tests/sdk/CMakeLists.txt); docs/plugin-guide.md quotes its commands, and a
# test checks that every quoted line is still here.
# Usage: sdk.sh install BUILD PREFIX
#        sdk.sh installed-daemon PREFIX
#        sdk.sh example SOURCE PREFIX WORK
#        sdk.sh scaffold SOURCE PREFIX WORK
#        sdk.sh abi PREFIX BAD_PLUGIN_DIR
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
# Out-of-tree builds use ccache when there is one (CMake reads this variable).
if command -v ccache >/dev/null; then export CMAKE_CXX_COMPILER_LAUNCHER=ccache; fi
export CMAKE_BUILD_PARALLEL_LEVEL=2

step=$1
shift
case $step in
install)
  BUILD=$1 PREFIX=$2
  rm -rf "$PREFIX"
  cmake --install "$BUILD" --prefix "$PREFIX"
  ;;

installed-daemon)
  # With no config and no TICKCAST_PLUGIN_PATH, an installed tickcastd finds
  # the bundled plugins beside itself.
  PREFIX=$1
  unset TICKCAST_PLUGIN_PATH
  out=$("$PREFIX/bin/tickcastd" plugins)
  echo "$out"
  grep -qx "  $PREFIX/lib/tickcast/plugins" <<<"$out" || fail "the search path is not $PREFIX/lib/tickcast/plugins"
  for p in mock_source capture_sink fail_sink file_source file_sink matching_engine orderflow kafka_sink redis_stream websocket_server; do
    grep -q "^  $p " <<<"$out" || fail "plugin $p is not listed"
  done
  ! grep -q '^refused' <<<"$out" || fail "a bundled library was refused"
  ;;

example)
  # The guide's walk-through: the example copied out of the tree (so nothing
  # but the installed prefix can be found), built, unit- and pipeline-tested.
  SOURCE=$1 PREFIX=$2 WORK=$3
  mkdir -p "$WORK" && cd "$WORK" && rm -rf jsonl_archive
  cp -r "$SOURCE/sdk/examples/jsonl_archive" .
  cd jsonl_archive
  cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX"
  cmake --build build
  ctest --test-dir build --output-on-failure
  TICKCAST_PLUGIN_PATH=build/plugins "$PREFIX/bin/tickcastd" plugins jsonl_archive
  ;;

scaffold)
  SOURCE=$1 PREFIX=$2 WORK=$3
  mkdir -p "$WORK" && cd "$WORK" && rm -rf risk_feed tick_gen tagger
  "$SOURCE/scripts/new-plugin.sh" risk_feed --kind sink
  cmake -S risk_feed -B risk_feed/build -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX"
  cmake --build risk_feed/build
  ctest --test-dir risk_feed/build --output-on-failure
  TICKCAST_PLUGIN_PATH=risk_feed/build/plugins "$PREFIX/bin/tickcastd" plugins risk_feed
  # The other kinds, generated and tested the same way ...
  "$SOURCE/scripts/new-plugin.sh" tick_gen --kind source
  "$SOURCE/scripts/new-plugin.sh" tagger --kind stage
  for p in tick_gen tagger; do
    cmake -S $p -B $p/build -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
    cmake --build $p/build
    ctest --test-dir $p/build --output-on-failure
  done
  # ... then all three in one pipeline of the installed daemon.
  cat >pipeline.yaml <<EOF
pipelines:
  generated:
    source: {plugin: tick_gen, channel: ticks, count: 5}
    stages: [{plugin: tagger, tag: scaffolded}]
    sinks: [{plugin: risk_feed}, {plugin: file_sink, path: $WORK/out.jsonl, format: envelope}]
EOF
  TICKCAST_PLUGIN_PATH=risk_feed/build/plugins:tick_gen/build/plugins:tagger/build/plugins \
    "$PREFIX/bin/tickcastd" --log-level warn run pipeline.yaml
  [ "$(grep -c '"headers":{"tagger":"scaffolded"}' out.jsonl)" = 5 ] || fail "expected 5 tagged events in: $(cat out.jsonl)"
  # The sink as a plugin built against an older SDK would be: refused by the
  # daemon, and by the harness, with the reason.
  cmake -S risk_feed -B risk_feed/build-old -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_CXX_FLAGS=-DTICKCAST_ABI_VERSION=0 >/dev/null
  cmake --build risk_feed/build-old --target risk_feed
  out=$(TICKCAST_PLUGIN_PATH=risk_feed/build-old/plugins "$PREFIX/bin/tickcastd" plugins)
  grep -q "^refused .*/libtickcast_risk_feed.so: ABI mismatch: the library was built for tickcast plugin ABI 0 (SDK [0-9.]*), this tickcastd speaks ABI [0-9]*" <<<"$out" ||
    fail "the old plugin was not refused: $out"
  ;;

abi)
  # A library built with TICKCAST_ABI_VERSION=999 (tests/bad_plugins): the
  # installed daemon lists it as refused and a config using it is an error
  # that says why; nothing crashes.
  PREFIX=$1 BAD=$2
  expected="ABI mismatch: the library was built for tickcast plugin ABI 999"
  out=$(TICKCAST_PLUGIN_PATH="$BAD" "$PREFIX/bin/tickcastd" plugins)
  grep -q "^refused $BAD/libbad_abi_mismatch.so: $expected" <<<"$out" || fail "no refusal in: $out"
  config=$(mktemp "${TMPDIR:-/tmp}/tickcast-abi.XXXXXX.yaml")
  trap 'rm -f "$config"' EXIT
  printf 'pipelines:\n  p:\n    source: {plugin: mock_source, events: []}\n    sinks: [{plugin: future_sink}]\n' >"$config"
  status=0
  err=$(TICKCAST_PLUGIN_PATH="$BAD" "$PREFIX/bin/tickcastd" validate "$config" 2>&1) || status=$?
  [ "$status" = 2 ] || fail "validate exited with $status, expected 2: $err"
  grep -q "unknown plugin 'future_sink'.*refused $BAD/libbad_abi_mismatch.so: $expected" <<<"$err" || fail "unclear error: $err"
  ;;

*) echo "usage: see the head of $0" >&2; exit 2 ;;
esac
