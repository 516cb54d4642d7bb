// tickcastd as a user runs it: a real process, real files, real signals,
// real HTTP to the admin endpoint.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "support/process.hpp"

using tickcast::test::Process;
using tickcast::test::TempDir;
namespace json = boost::json;

namespace {

const std::string daemon_path = TICKCAST_DAEMON;
const std::string plugin_env = "TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR;

std::vector<json::object> read_jsonl(const std::string& path) {
    std::vector<json::object> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(json::parse(line).as_object());
    return out;
}

// Waits until `text()` matches `re` and returns the first group.
template <class F>
std::string wait_for(F text, const std::regex& re, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::smatch m;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string t = text();
        if (std::regex_search(t, m, re)) return m[1].str();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return {};
}

std::string http_get(const std::string& host, const std::string& port, const std::string& target) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::asio::connect(s, boost::asio::ip::tcp::resolver(io).resolve(host, port));
    const std::string req = "GET " + target + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
        const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

}  // namespace

TEST(Tickcastd, run_mock_to_capture_writes_exactly_the_expected_lines) {
    TempDir dir;
    const std::string config = dir.write("c.yaml",
        "pipelines:\n  main:\n    source:\n      plugin: mock_source\n      repeat: 2\n      events:\n"
        "        - {channel: trades.X, key: X, payload: {price: \"1.50\", qty: 2}}\n"
        "        - {channel: depth.X, payload: plain}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("out.jsonl") + "}]\n");
    Process p({daemon_path, "run", config}, {plugin_env});
    ASSERT_EQ(p.wait(), 0) << p.err();
    std::ifstream in(dir.file("out.jsonl"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(std::regex_replace(line, std::regex(R"("origin_ns":\d+)"), R"("origin_ns":T)"));
    const std::vector<std::string> expected = {
        R"({"channel":"trades.X","key":"X","seq":1,"origin_ns":T,"payload":{"price":"1.50","qty":2}})",
        R"({"channel":"depth.X","key":"","seq":1,"origin_ns":T,"payload":"plain"})",
        R"({"channel":"trades.X","key":"X","seq":2,"origin_ns":T,"payload":{"price":"1.50","qty":2}})",
        R"({"channel":"depth.X","key":"","seq":2,"origin_ns":T,"payload":"plain"})",
    };
    EXPECT_EQ(lines, expected);
}

// A file replayed once cannot be read again: a batch a sink fails is lost,
// the log names its lines, and the run ends with status 1.
TEST(Tickcastd, a_replay_that_lost_events_names_the_lines_and_exits_1) {
    TempDir dir;
    std::string lines;
    for (int i = 1; i <= 9; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
    const std::string input = dir.write("in.jsonl", lines);
    const std::string config = dir.write("c.yaml",
        "pipelines:\n  replay:\n    source: {plugin: file_source, path: " + input + ", channel: c, batch: 3}\n"
        "    sinks:\n      - {plugin: fail_sink, fail_every: 5}\n      - {plugin: capture_sink, path: " + dir.file("out.jsonl") + "}\n");
    Process p({daemon_path, "run", config}, {plugin_env});
    EXPECT_EQ(p.wait(), 1) << p.err();
    // Event 5 is in the batch of lines 4-6.
    EXPECT_NE(p.err().find("lost 3 events (3 so far): lines 4-6 of '" + input + "': fail_sink: event #5 fails by configuration"),
              std::string::npos) << p.err();
    EXPECT_NE(p.err().find("pipeline 'replay' finished, but 3 events were lost"), std::string::npos) << p.err();
    EXPECT_EQ(read_jsonl(dir.file("out.jsonl")).size(), 9u);  // the other sink had them all
}

TEST(Tickcastd, sigterm_mid_stream_delivers_every_accepted_event_before_exit) {
    TempDir dir;
    // A slow second sink keeps events in flight at the moment the signal lands.
    const std::string config = dir.write("c.yaml",
        "daemon: {drain_timeout: 20s}\npipelines:\n  main:\n    max_in_flight: 400\n"
        "    source: {plugin: mock_source, repeat: 0, rate: 4000, batch: 20, events: [{channel: c, payload: x}]}\n"
        "    sinks:\n      - {plugin: capture_sink, path: " + dir.file("out.jsonl") + "}\n"
        "      - {plugin: fail_sink, delay: 2ms}\n");
    Process p({daemon_path, "run", config}, {plugin_env});
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    p.signal(SIGTERM);
    ASSERT_EQ(p.wait(), 0) << p.err();
    const std::string emitted = wait_for([&] { return p.err(); }, std::regex(R"(emitted (\d+) events)"));
    ASSERT_FALSE(emitted.empty()) << p.err();
    const auto events = read_jsonl(dir.file("out.jsonl"));
    ASSERT_GT(events.size(), 100u);
    EXPECT_EQ(events.size(), std::stoul(emitted));
    for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].at("seq").to_number<std::uint64_t>(), i + 1) << "gap or reorder at " << i;
    EXPECT_NE(p.err().find("signal 15 received"), std::string::npos);
}

// A stop signal that lands while the daemon is still loading (plugins,
// brokers) must not kill it half-started: it is held until the daemon
// listens for it, then drains. The signal is sent as soon as /proc shows
// the daemon blocking it, so it lands during start-up every time.
TEST(Tickcastd, sigterm_during_start_up_is_held_and_drains_with_exit_0) {
    TempDir dir;
    const std::string config = dir.write("c.yaml",
        "pipelines:\n  main:\n    source: {plugin: mock_source, repeat: 0, rate: 1000, events: [{channel: c, payload: x}]}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("out.jsonl") + "}]\n");
    Process p({daemon_path, "run", config}, {plugin_env});
    const std::string status = "/proc/" + std::to_string(p.pid()) + "/status";
    auto blocks_sigterm = [&] {
        std::ifstream in(status);
        for (std::string line; std::getline(in, line);)
            if (line.rfind("SigBlk:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1)) & 1;
        return 0ull;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!blocks_sigterm() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_TRUE(blocks_sigterm()) << "the daemon never blocked SIGTERM";
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(), 0) << p.err();
    EXPECT_NE(p.err().find("signal 15 received"), std::string::npos) << p.err();
}

TEST(Tickcastd, admin_endpoint_serves_health_and_prometheus_metrics) {
    TempDir dir;
    const std::string config = dir.write("c.yaml",
        "daemon: {admin: 127.0.0.1:0}\npipelines:\n  feed:\n"
        "    source: {plugin: mock_source, repeat: 0, rate: 200, events: [{channel: c, payload: x}]}\n"
        "    sinks: [{plugin: capture_sink}]\n");
    Process p({daemon_path, "run", config}, {plugin_env});
    const std::string port = wait_for([&] { return p.err(); }, std::regex(R"(admin endpoint on http://127\.0\.0\.1:(\d+)/)"));
    ASSERT_FALSE(port.empty()) << p.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string health = http_get("127.0.0.1", port, "/health");
    EXPECT_NE(health.find("200 OK"), std::string::npos) << health;
    EXPECT_NE(health.find(R"("feed":{"state":"running")"), std::string::npos) << health;
    const std::string metrics = http_get("127.0.0.1", port, "/metrics");
    EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos) << metrics;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(metrics, m, std::regex(R"re(tickcast_plugin_events_out_total\{kind="source",pipeline="feed",plugin="mock_source"\} (\d+))re")))
        << metrics;
    EXPECT_GT(std::stoi(m[1]), 0);
    EXPECT_NE(metrics.find("# TYPE tickcast_sink_end_to_end_seconds histogram"), std::string::npos);
    EXPECT_NE(http_get("127.0.0.1", port, "/nope").find("404 Not Found"), std::string::npos);
    p.signal(SIGINT);
    EXPECT_EQ(p.wait(), 0) << p.err();
}

TEST(Tickcastd, validate_reports_every_error_and_exits_2) {
    TempDir dir;
    const std::string config = dir.write("bad.yaml",
        "daemon: {threds: 2}\npipelines:\n  main:\n    source: {plugin: mock_source}\n    sinks: [{plugin: file_sink}]\n");
    Process p({daemon_path, "validate", config}, {plugin_env});
    EXPECT_EQ(p.wait(), 2);
    const std::string err = p.err();
    EXPECT_NE(err.find(config + ":1:10: error: unknown key 'threds' in daemon (did you mean 'threads'?)"), std::string::npos) << err;
    EXPECT_NE(err.find(config + ":4:13: error: plugin 'mock_source' needs option 'events'"), std::string::npos) << err;
    EXPECT_NE(err.find(config + ":5:13: error: plugin 'file_sink' needs option 'path'"), std::string::npos) << err;
    EXPECT_NE(err.find("3 errors"), std::string::npos) << err;
}

TEST(Tickcastd, validate_accepts_the_shipped_configs) {
    for (const char* f : {"configs/mock.yaml", "configs/file-replay.yaml", "configs/replay.yaml", "configs/push-pubsub.yaml",
                          "configs/push-stream.yaml"}) {
        Process p({daemon_path, "validate", std::string(TICKCAST_SOURCE_DIR) + "/" + f}, {plugin_env});
        EXPECT_EQ(p.wait(), 0) << f << ": " << p.err();
        EXPECT_NE(p.out().find("ok: "), std::string::npos);
    }
}

TEST(Tickcastd, plugins_lists_kinds_and_refused_libraries) {
    Process p({daemon_path, "plugins"}, {"TICKCAST_PLUGIN_PATH=" TICKCAST_BAD_PLUGIN_DIR});
    ASSERT_EQ(p.wait(), 0) << p.err();
    const std::string out = p.out();
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(mock_source +source +mock)"))) << out;
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(file_sink +sink +file)"))) << out;
    EXPECT_NE(out.find("libbad_abi_mismatch.so: ABI mismatch"), std::string::npos) << out;
    EXPECT_NE(out.find("libbad_no_handshake.so: not a tickcast plugin"), std::string::npos) << out;

    Process d({daemon_path, "plugins", "fail_sink"});
    ASSERT_EQ(d.wait(), 0);
    EXPECT_NE(d.out().find("delay: duration, default 0"), std::string::npos) << d.out();
}

TEST(Tickcastd, usage_errors_exit_2_and_version_exits_0) {
    Process bad({daemon_path, "frobnicate"});
    EXPECT_EQ(bad.wait(), 2);
    Process missing({daemon_path, "run", "/nonexistent.yaml"});
    EXPECT_EQ(missing.wait(), 2);
    Process v({daemon_path, "--version"});
    EXPECT_EQ(v.wait(), 0);
    EXPECT_NE(v.out().find("plugin ABI 2"), std::string::npos) << v.out();
}

TEST(Tickcastd, test_runner_passes_correct_tests) {
    Process p({daemon_path, "--log-level", "warn", "test", std::string(TICKCAST_SOURCE_DIR) + "/tests/pipelines"}, {plugin_env});
    EXPECT_EQ(p.wait(), 0) << p.out() << p.err();
    EXPECT_NE(p.out().find("PASS events_reach_the_sink_in_order_with_per_channel_seq"), std::string::npos) << p.out();
    EXPECT_NE(p.out().find(" passed, 0 failed"), std::string::npos) << p.out();
}

TEST(Tickcastd, test_runner_fails_a_wrong_test_with_a_readable_diff) {
    Process p({daemon_path, "--log-level", "warn", "test", std::string(TICKCAST_SOURCE_DIR) + "/tests/core/cli/data/failing_test.yaml"},
              {plugin_env});
    EXPECT_EQ(p.wait(), 1);
    const std::string out = p.out();
    EXPECT_NE(out.find("FAIL wrong_price_and_a_missing_event"), std::string::npos) << out;
    EXPECT_NE(out.find(R"(payload.price: expected "100.7", got "100.5")"), std::string::npos) << out;
    EXPECT_NE(out.find("sink 'console' event #2 is missing:"), std::string::npos) << out;
    EXPECT_NE(out.find("sink 'console': expected 2 events, got 1"), std::string::npos) << out;
    EXPECT_NE(out.find("0 passed, 1 failed"), std::string::npos) << out;
}
