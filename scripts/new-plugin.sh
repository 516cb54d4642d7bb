#!/usr/bin/env bash
# Scaffolds an out-of-tree tickcast plugin project that builds against the
# installed SDK and passes its own test as generated.
# Usage: scripts/new-plugin.sh NAME [--kind sink] [--dir PARENT]
#   NAME    the plugin's name: lower case letters, digits and '_' (e.g. risk_feed)
#   --kind  sink (the one kind generated so far)
#   --dir   where to create the NAME/ folder (default: the current folder)
# Then: cmake -S NAME -B NAME/build -G Ninja -DCMAKE_PREFIX_PATH=<tickcast prefix>
#       cmake --build NAME/build && ctest --test-dir NAME/build
set -euo pipefail

usage() { echo "usage: $0 NAME [--kind sink] [--dir PARENT]" >&2; exit 2; }

name="" kind=sink parent=.
while [ $# -gt 0 ]; do
  case $1 in
    --kind) [ $# -ge 2 ] || usage; kind=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage; parent=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "$0: unknown option '$1'" >&2; usage ;;
    *) [ -z "$name" ] || usage; name=$1; shift ;;
  esac
done
[ -n "$name" ] || usage
if ! [[ $name =~ ^[a-z][a-z0-9_]*$ ]]; then
  echo "$0: plugin name '$name' must start with a lower-case letter and use only a-z, 0-9 and '_'" >&2
  exit 2
fi
if [ "$kind" != sink ]; then
  echo "$0: --kind '$kind' is not generated yet; only 'sink' is (see docs/plugin-guide.md for sources and stages)" >&2
  exit 2
fi
project="$parent/$name"
if [ -e "$project" ]; then
  echo "$0: '$project' already exists; not overwriting it" >&2
  exit 1
fi

# risk_feed -> RiskFeedSink
class=$(echo "$name" | sed -E 's/(^|_)([a-z0-9])/\U\2/g')Sink
mkdir -p "$project/src" "$project/tests"

# Each template below is written with @NAME@ and @CLASS@ filled in.
emit() { sed -e "s/@NAME@/$name/g" -e "s/@CLASS@/$class/g" > "$project/$1"; }

emit CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(@NAME@ VERSION 0.1.0 LANGUAGES CXX)

find_package(tickcast 0.1 REQUIRED)

tickcast_add_plugin(@NAME@ SOURCES src/@NAME@_plugin.cpp src/@NAME@_sink.cpp)

enable_testing()
tickcast_add_plugin_test(@NAME@_tests SOURCES tests/@NAME@_sink_test.cpp PLUGIN @NAME@)
EOF

emit "src/${name}_sink.hpp" <<'EOF'
// @NAME@: a tickcast sink. It counts the events it receives per channel and
// logs each one at debug level; replace write() with the real delivery.
// Threading: every call runs on the sink's executor, one at a time.
#pragma once

#include <cstdint>
#include <string>

#include <tickcast/tickcast.hpp>

namespace @NAME@ {

class @CLASS@ final : public tickcast::Sink {
public:
    explicit @CLASS@(const tickcast::ConfigNode& options);

    void start(tickcast::SinkContext& context) override;
    void write(tickcast::BatchRef batch, tickcast::Completion done) override;

    static tickcast::OptionSpecs options();

private:
    std::string label_;
    tickcast::SinkContext* context_ = nullptr;
    prometheus::Counter* events_ = nullptr;
};

}  // namespace @NAME@
EOF

emit "src/${name}_sink.cpp" <<'EOF'
#include "@NAME@_sink.hpp"

namespace @NAME@ {

tickcast::OptionSpecs @CLASS@::options() {
    return {{"label", tickcast::OptionType::string, false, "@NAME@", "A label added to this sink's metric"}};
}

@CLASS@::@CLASS@(const tickcast::ConfigNode& o) : label_(o["label"].as_string()) {
    if (label_.empty()) o["label"].fail("label must not be empty");
}

void @CLASS@::start(tickcast::SinkContext& context) {
    context_ = &context;
    events_ = &context.metrics().counter("tickcast_@NAME@_events_total", "Events @NAME@ handled", {{"label", label_}});
}

void @CLASS@::write(tickcast::BatchRef batch, tickcast::Completion done) {
    for (const tickcast::Event& e : *batch) context_->log().debug("{} seq {}: {}", e.channel, e.seq, e.payload_view());
    events_->Increment(double(batch->size()));
    done();  // or done(tickcast::Status::failure("why")) when the batch could not be delivered
}

}  // namespace @NAME@
EOF

emit "src/${name}_plugin.cpp" <<'EOF'
// Registration of the @NAME@ library.
#include <tickcast/tickcast.hpp>

#include "@NAME@_sink.hpp"

namespace @NAME@ {

void register_plugins(tickcast::PluginRegistry& registry) {
    registry.add_sink({"@NAME@", tickcast::PluginKind::sink, "Counts events per channel (generated; edit me)", @CLASS@::options()},
                      [](const tickcast::ConfigNode& o) { return std::make_unique<@CLASS@>(o); });
}

}  // namespace @NAME@

TICKCAST_PLUGIN_LIBRARY("@NAME@", "0.1.0", @NAME@::register_plugins)
EOF

emit "tests/${name}_sink_test.cpp" <<'EOF'
// @NAME@ hosted by tickcast::testing: its .so loaded as tickcastd loads it.
#include <gtest/gtest.h>

#include <tickcast/testing.hpp>

using tickcast::testing::PluginLibrary;
using tickcast::testing::SinkHarness;
using tickcast::testing::event;

TEST(@CLASS@, acknowledges_every_batch_and_counts_its_events) {
    const PluginLibrary library = PluginLibrary::load(TICKCAST_PLUGIN_FILE);
    SinkHarness sink(library, "@NAME@", {{"label", "unit"}});
    ASSERT_TRUE(sink.start());

    const auto first = sink.write({event("trades.BTC-USDT", R"({"price":"1"})", 1), event("trades.BTC-USDT", "x", 2)});
    const auto second = sink.write({event("trades.ETH-USDT", "y", 1)});
    ASSERT_TRUE(sink.wait_for_all_acks());

    EXPECT_TRUE(sink.ack(first)->ok);
    EXPECT_TRUE(sink.ack(second)->ok);
    EXPECT_EQ(sink.metric("tickcast_@NAME@_events_total", {{"label", "unit"}}), 3.0);
    EXPECT_TRUE(sink.failures().empty());
}

TEST(@CLASS@, refuses_an_empty_label) {
    const PluginLibrary library = PluginLibrary::load(TICKCAST_PLUGIN_FILE);
    EXPECT_THROW(SinkHarness(library, "@NAME@", {{"label", ""}}), tickcast::ConfigError);
}
EOF

emit README.md <<'EOF'
# @NAME@

A tickcast sink plugin, generated by `scripts/new-plugin.sh`.

```sh
cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH=<where tickcast is installed>
cmake --build build
ctest --test-dir build
TICKCAST_PLUGIN_PATH=build/plugins tickcastd plugins @NAME@
```

See tickcast's docs/plugin-guide.md.
EOF

echo "created $project (plugin '$name', class $class)"
