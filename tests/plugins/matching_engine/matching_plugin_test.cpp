// The matching-engine plugins through tickcastd: orderflow generates orders,
// a replay through file_source → matching_engine → file_sink is
// deterministic, and a snapshot taken mid-way then restored gives the same
// output as an uninterrupted run.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "support/process.hpp"

using tickcast::test::Process;
using tickcast::test::TempDir;

namespace {

int run(const std::string& config) {
    Process p({TICKCAST_DAEMON, "--log-level", "warn", "run", config}, {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    const int status = p.wait(std::chrono::seconds(120));
    EXPECT_EQ(status, 0) << p.err();
    return status;
}

const char* engine_stage =
    "    stages:\n      - plugin: matching_engine\n        self_trade_prevention: cancel_maker\n"
    "        symbols: {BTC-USDT: {tick: \"0.01\", lot: \"0.0001\"}, ETH-USDT: {tick: \"0.01\", lot: \"0.0001\"}}\n";

std::string replay_config(const std::string& in, const std::string& out, const std::string& snapshot = "") {
    std::string c = std::string("pipelines:\n  replay:\n    source: {plugin: file_source, path: ") + in + ", channel: orders}\n" + engine_stage;
    if (!snapshot.empty()) c += "        snapshot_path: " + snapshot + "\n";
    return c + "    sinks: [{plugin: file_sink, path: " + out + ", format: envelope}]\n";
}

// The output without what legitimately differs between runs: timestamps.
std::vector<std::string> normalised(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    static const std::regex stamps(R"re("(origin_ns|ts)":\d+|"hops":\{[^}]*\},?)re");
    for (std::string line; std::getline(in, line);) out.push_back(std::regex_replace(line, stamps, ""));
    return out;
}

std::vector<std::string> head(const std::string& path, std::size_t n) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; out.size() < n && std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST(MatchingPlugin, replay_is_deterministic_and_a_restored_snapshot_continues_exactly) {
    TempDir dir;
    // 20,000 generated orders as JSON lines.
    ASSERT_EQ(run(dir.write("gen.yaml", "pipelines:\n  gen:\n    source: {plugin: orderflow, symbols: [BTC-USDT, ETH-USDT], count: 20000, seed: 7}\n"
                                       "    sinks: [{plugin: file_sink, path: " + dir.file("orders.jsonl") + "}]\n")), 0);
    ASSERT_EQ(head(dir.file("orders.jsonl"), 30000).size(), 20000u);

    // Two uninterrupted runs give the same output.
    ASSERT_EQ(run(dir.write("a.yaml", replay_config(dir.file("orders.jsonl"), dir.file("a.jsonl")))), 0);
    ASSERT_EQ(run(dir.write("b.yaml", replay_config(dir.file("orders.jsonl"), dir.file("b.jsonl")))), 0);
    const auto full = normalised(dir.file("a.jsonl"));
    ASSERT_GT(full.size(), 20000u);
    EXPECT_EQ(normalised(dir.file("b.jsonl")), full);
    std::size_t trades = 0;
    for (const auto& line : full) trades += line.find("\"type\":\"trade\"") != std::string::npos;
    EXPECT_GT(trades, 1000u) << "the generated flow should trade";

    // Stop after the first half (snapshot written on stop), then replay the
    // whole input from the snapshot: the two outputs together are the full run.
    {
        std::ofstream first_half(dir.file("half.jsonl"));
        for (const auto& line : head(dir.file("orders.jsonl"), 10000)) first_half << line << "\n";
    }
    const std::string snapshot = dir.file("books.snapshot");
    ASSERT_EQ(run(dir.write("c1.yaml", replay_config(dir.file("half.jsonl"), dir.file("c1.jsonl"), snapshot))), 0);
    ASSERT_EQ(run(dir.write("c2.yaml", replay_config(dir.file("orders.jsonl"), dir.file("c2.jsonl"), snapshot))), 0);
    auto joined = normalised(dir.file("c1.jsonl"));
    const auto rest = normalised(dir.file("c2.jsonl"));
    joined.insert(joined.end(), rest.begin(), rest.end());
    EXPECT_EQ(joined, full);
}

TEST(MatchingPlugin, bad_symbol_spec_is_a_located_config_error) {
    TempDir dir;
    Process p({TICKCAST_DAEMON, "validate", dir.write("c.yaml",
        "pipelines:\n  p:\n    source: {plugin: mock_source, events: []}\n    stages:\n      - plugin: matching_engine\n"
        "        symbols: {BTC-USDT: {tick: \"0.015x\", lot: \"1\"}}\n    sinks: [{plugin: capture_sink}]\n")},
        {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    EXPECT_EQ(p.wait(), 2);
    EXPECT_NE(p.err().find("c.yaml:6:29: error: "), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("tick"), std::string::npos) << p.err();
}

// positions_file is for a kafka_source with start_from; fed by anything
// else the daemon stops at once with a reason, books untouched, and it
// writes the (empty) positions before the source starts.
TEST(MatchingPlugin, positions_file_without_positioned_input_fails_the_daemon_with_a_reason) {
    TempDir dir;
    const std::string orders =
        dir.write("orders.jsonl", R"({"op":"new","id":1,"user":"u1","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1.00","qty":"1"})" "\n");
    const std::string config = dir.write(
        "p.yaml", std::string("pipelines:\n  replay:\n    source: {plugin: file_source, path: ") + orders + ", channel: orders}\n" +
                      engine_stage + "        snapshot_path: " + dir.file("snap") + "\n        snapshot_every: 10\n        positions_file: " + dir.file("positions") +
                      "\n    sinks: [{plugin: file_sink, path: " + dir.file("out.jsonl") + "}]\n");
    Process p({TICKCAST_DAEMON, "run", config}, {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 1) << p.err();
    EXPECT_NE(p.err().find("positions_file: an input order has no valid tc.in header (got 'none'); the input must be a kafka_source "
                           "with start_from"),
              std::string::npos)
        << p.err();
    ASSERT_TRUE(std::filesystem::exists(dir.file("positions")));
    EXPECT_EQ(Process::slurp(dir.file("positions")), "") << "no snapshot: nothing to name";
    EXPECT_TRUE(head(dir.file("out.jsonl"), 1).empty()) << "the order was not matched";
}
