// What happens when Redis goes away or was never there: the plugins
// reconnect by themselves; Streams recover what was written meanwhile,
// Pub/Sub loses it and says so; bad settings give clear errors, no crash.
#include <gtest/gtest.h>

#include "support/daemon_process.hpp"
#include "support/in_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;

namespace {
std::uint64_t seq_of(const boost::json::object& e) { return e.at("seq").to_number<std::uint64_t>(); }
}  // namespace

TEST(RedisFaults, redis_killed_and_restarted_mid_stream_streams_recover_and_pubsub_reports_the_loss) {
    // Streams are only as durable as Redis: with fsync on every write an
    // entry Redis acknowledged survives a SIGKILL (without persistence, one
    // acknowledged but not yet read dies with the server, and the reader
    // flags that gap).
    RedisServer redis({"--appendonly", "yes", "--appendfsync", "always"});
    TempDir dir;
    const std::string res = "resources:\n  bus: {plugin: redis, url: \"" + redis.url() + "\", reconnect_max: 200ms}\n";
    DaemonProcess readers(dir.write("readers.yaml", res + "pipelines:\n"
        "  stream:\n    source: {plugin: redis_stream, redis: bus, channels: [trades.S], start: all}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("stream.jsonl") + "}]\n"
        "  pubsub:\n    source: {plugin: redis_pubsub, redis: bus, channels: [trades.S]}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("pubsub.jsonl") + "}]\n"));
    auto c = redis.connect();
    ASSERT_TRUE(eventually([&] { return command(c.get(), {"PUBSUB", "NUMSUB", "tc:trades.S"})->element[1]->integer == 1; }));
    c.reset();

    const int total = 3000;
    Process pub({TICKCAST_DAEMON, "run", dir.write("pub.yaml", res + "pipelines:\n  pub:\n"
        "    source: {plugin: mock_source, repeat: " + std::to_string(total) + ", rate: 2000, events: [{channel: trades.S, payload: x}]}\n"
        "    sinks:\n      - {plugin: redis_stream, redis: bus}\n      - {plugin: redis_pubsub, redis: bus}\n")},
        {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("stream.jsonl")).size() > 800; }));
    redis.kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    redis.restart();

    ASSERT_EQ(pub.wait(std::chrono::seconds(60)), 0) << pub.err();
    ASSERT_TRUE(eventually([&] {
        const auto s = read_jsonl(dir.file("stream.jsonl"));
        return !s.empty() && seq_of(s.back()) == std::uint64_t(total);
    })) << readers.process().err();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    // Streams: everything, in order, exactly once: the sink resent what Redis
    // had not acknowledged, and the reader went on from its last ID.
    const auto stream = read_jsonl(dir.file("stream.jsonl"));
    ASSERT_EQ(stream.size(), std::size_t(total));
    for (std::size_t i = 0; i < stream.size(); ++i) ASSERT_EQ(seq_of(stream[i]), i + 1);

    // Pub/Sub: whatever was published while the subscriber was away is gone,
    // and every hole is flagged and counted.
    const auto pubsub = read_jsonl(dir.file("pubsub.jsonl"));
    std::uint64_t missed = 0, last = 0;
    for (const auto& e : pubsub) {
        const std::uint64_t s = seq_of(e);
        ASSERT_GT(s, last);
        if (s != last + 1 && last != 0) {
            EXPECT_TRUE(e.contains("gap")) << "seq " << s << " follows " << last << " without a gap flag";
            missed += s - last - 1;
        }
        last = s;
    }
    // Received plus reported missing accounts for every seq up to the last one seen.
    EXPECT_EQ(pubsub.size() + missed + (seq_of(pubsub.front()) - 1), last);
    EXPECT_EQ(readers.metric(R"(tickcast_redis_source_missed_events_total{pipeline="pubsub",plugin="redis_pubsub"})"), double(missed));
    EXPECT_GE(readers.metric(R"(tickcast_redis_reconnects_total{connection="subscribe",pipeline="pubsub",plugin="redis_pubsub",redis=")" +
                             redis.address() + "\"}"), 1);
    readers.process().signal(SIGTERM);
    EXPECT_EQ(readers.process().wait(), 0) << readers.process().err();
}

TEST(RedisFaults, bad_url_is_a_located_config_error) {
    TempDir dir;
    Process p({TICKCAST_DAEMON, "validate", dir.write("c.yaml",
        "resources:\n  cache: {plugin: redis, url: \"redis://host:notaport\"}\npipelines:\n  p:\n"
        "    source: {plugin: mock_source, events: []}\n    sinks: [{plugin: redis_cache, redis: cache}]\n")},
        {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    EXPECT_EQ(p.wait(), 2);
    EXPECT_NE(p.err().find("c.yaml:2:31: error: bad Redis URL: port 'notaport' is not a number from 1 to 65535"), std::string::npos) << p.err();
}

TEST(RedisFaults, wrong_password_stops_the_daemon_with_a_clear_error) {
    RedisServer redis({"--requirepass", "right"});
    TempDir dir;
    Process p({TICKCAST_DAEMON, "run", dir.write("c.yaml",
        "resources:\n  cache: {plugin: redis, url: \"redis://:wrong@" + redis.address() + "\"}\npipelines:\n  p:\n"
        "    source: {plugin: mock_source, events: [{channel: trades.X, seq: 1, payload: '{}'}]}\n"
        "    sinks: [{plugin: redis_cache, redis: cache}]\n")},
        {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 1);
    EXPECT_NE(p.err().find("AUTH failed: WRONGPASS"), std::string::npos) << p.err();
    EXPECT_EQ(p.err().find(":wrong@"), std::string::npos) << "the password must not be logged";
}

TEST(RedisFaults, unreachable_server_is_retried_with_a_clear_log_and_no_crash) {
    TempDir dir;
    Process p({TICKCAST_DAEMON, "run", dir.write("c.yaml",
        "daemon: {drain_timeout: 300ms}\n"
        "resources:\n  cache: {plugin: redis, url: \"redis://127.0.0.1:1\", connect_timeout: 200ms, reconnect_max: 200ms}\n"
        "pipelines:\n  p:\n    source: {plugin: mock_source, events: [{channel: trades.X, seq: 1, payload: '{}'}]}\n"
        "    sinks: [{plugin: redis_cache, redis: cache}]\n")},
        {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    p.signal(SIGTERM);
    // The one event can never be written: the drain deadline passes, exit 1.
    EXPECT_EQ(p.wait(), 1);
    EXPECT_NE(p.err().find("cannot connect to 127.0.0.1:1: Connection refused; retrying"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("did not drain within the deadline: 1 events still in flight"), std::string::npos) << p.err();
}
