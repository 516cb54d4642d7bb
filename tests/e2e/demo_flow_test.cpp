// The whole flow of configs/demo.yaml in one daemon: orderflow → matching
// engine → Kafka (embedded) → Redis cache and streams → WebSocket. A client
// subscribed to a symbol's trades gets a snapshot and then every trade the
// engine produced after it, in order, without a gap, byte for byte what Kafka
// carries.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "plugins/websocket/ws_client.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

std::string free_address() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return "127.0.0.1:" + std::to_string(a.local_endpoint().port());
}

}  // namespace

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
    client.send(R"({"op":"subscribe","channels":["trades.BTC-USDT"],"id":1})");
    std::optional<std::uint64_t> snapshot_seq;
    std::vector<json::object> live;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    while (std::chrono::steady_clock::now() < until) {
        auto text = client.read(std::chrono::milliseconds(500));
        if (!text) continue;
        json::object m = json::parse(*text).as_object();
        const std::string type(m.at("type").as_string());
        if (type == "snapshot") {
            ASSERT_FALSE(snapshot_seq) << "one snapshot only";
            snapshot_seq = m.at("seq").to_number<std::uint64_t>();
        } else if (type == "event") {
            ASSERT_TRUE(snapshot_seq) << "a delta before the snapshot: " << *text;
            live.push_back(std::move(m));
        } else {
            ASSERT_TRUE(type == "ack" || type == "heartbeat") << *text;
        }
    }
    ASSERT_TRUE(snapshot_seq);
    ASSERT_GT(live.size(), 10u) << "trades should keep coming";
    for (std::size_t i = 0; i < live.size(); ++i)
        ASSERT_EQ(live[i].at("seq").to_number<std::uint64_t>(), *snapshot_seq + 1 + i) << "gap or overlap at " << i;

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
    daemon.process().signal(SIGTERM);
    EXPECT_EQ(daemon.process().wait(), 0) << daemon.process().err();
}
