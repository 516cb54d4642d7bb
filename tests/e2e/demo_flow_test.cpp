// The whole flow of configs/demo.yaml in one daemon: orderflow → matching
// engine → Kafka (embedded) → Redis cache and streams → WebSocket. A client
// subscribed to a symbol's trades gets a snapshot and then every trade the
// engine produced after it, in order, without a gap, byte for byte what Kafka
// carries.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "feed.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;
namespace json = boost::json;


TEST(DemoFlow, a_websocket_client_gets_a_snapshot_then_every_trade_kafka_carries) {
    RedisServer redis;
    TempDir dir;
    // The shipped demo, faster, plus an audit pipeline that records what Kafka carries.
    std::string config = Process::slurp(TICKCAST_SOURCE_DIR "/configs/demo.yaml");
    config = std::regex_replace(config, std::regex("rate: 20"), "rate: 400");
    config += "  audit:\n    source: {plugin: kafka_source, cluster: bus, topics: [market-events], group: audit}\n"
              "    sinks: [{plugin: capture_sink, path: " + dir.file("kafka.jsonl") + "}]\n";
    const std::string ws = free_address();
    DaemonProcess daemon(dir.write("demo.yaml", config), {"TICKCAST_REDIS_URL=" + redis.url(), "TICKCAST_WS_LISTEN=" + ws});

    // Subscribe once trades are flowing into Kafka.
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("kafka.jsonl")).size() > 200; }, std::chrono::seconds(40)))
        << daemon.process().err();
    WsClient client(ws);
    const Feed feed = read_feed(client, "trades.BTC-USDT", std::chrono::seconds(6));
    ASSERT_FALSE(::testing::Test::HasFailure());
    const auto& live = feed.live;
    ASSERT_GT(live.size(), 10u) << "trades should keep coming";

    // What the client got after the snapshot is exactly what Kafka carried.
    std::map<std::uint64_t, std::string> kafka;
    for (const auto& e : read_jsonl(dir.file("kafka.jsonl")))
        if (e.at("channel").as_string() == "trades.BTC-USDT")
            kafka[e.at("seq").to_number<std::uint64_t>()] = json::serialize(e.at("payload"));
    for (const auto& m : live) {
        const auto seq = m.at("seq").to_number<std::uint64_t>();
        ASSERT_TRUE(kafka.count(seq)) << "trade " << seq << " is not on market-events";
        EXPECT_EQ(json::serialize(m.at("data")), kafka[seq]) << "trade " << seq;
    }

    // Every hop of the flow has its latency histogram, and the events went through each.
    for (const char* hop : {R"(from="engine",pipeline="match",plugin="kafka_sink",to="kafka_out")",
                            R"(from="kafka_out",pipeline="fanout",plugin="kafka_source",to="kafka_in")",
                            R"(from="kafka_in",pipeline="fanout",plugin="redis_stream",to="redis_out")",
                            R"(from="redis_out",pipeline="gateway",plugin="redis_stream",to="redis_in")",
                            R"(from="redis_in",pipeline="gateway",plugin="websocket_server",to="ws_queued")"})
        EXPECT_GE(daemon.metric(std::string("tickcast_hop_latency_seconds_count{") + hop + "}"), double(live.size())) << hop;
    daemon.process().signal(SIGTERM);
    EXPECT_EQ(daemon.process().wait(), 0) << daemon.process().err();
}
