// Resuming a subscription from a seq over real sockets: the gateway reads
// what the client missed from the channel's redis_stream stream, then goes
// on live with no gap and no repeat; when the stream no longer holds that
// seq (trimmed by MAXLEN) or the client's epoch ended, it says resnapshot.
#include <gtest/gtest.h>

#include <thread>

#include "gateway_fixture.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

std::string trade(std::uint64_t seq) { return R"({"type":"trade","n":)" + std::to_string(seq) + "}"; }

// Reads events on `channel` until `last`, checking each is the next seq and its data.
void expect_events(WsClient& c, const std::string& channel, std::uint64_t first, std::uint64_t last) {
    for (std::uint64_t want = first; want <= last; ++want) {
        auto m = c.read_json();
        ASSERT_TRUE(m) << "stalled waiting for seq " << want;
        if (str(*m, "type") == "heartbeat") {
            --want;
            continue;
        }
        ASSERT_EQ(str(*m, "type"), "event") << json::serialize(*m);
        ASSERT_EQ(str(*m, "channel"), channel);
        ASSERT_EQ(seq_of(*m), want) << "gap or repeat";
        ASSERT_EQ(m->at("data").at("n").to_number<std::uint64_t>(), want);
    }
}

}  // namespace

TEST(WebSocketResume, a_client_that_reconnects_resumes_from_its_seq_and_gets_every_later_seq_exactly_once) {
    GatewayUnderTest g;
    std::string epoch;
    {
        WsClient first(g.address());
        first.send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
        ASSERT_TRUE(first.read_type("ack"));
        for (std::uint64_t i = 1; i <= 5; ++i) g.publish("ticker.X", i, trade(i));
        expect_events(first, "ticker.X", 1, 5);
    }  // disconnected at seq 5; events go on
    for (std::uint64_t i = 6; i <= 2600; ++i) g.publish("ticker.X", i, trade(i));  // more than one XRANGE batch

    WsClient again(g.address());
    again.send(R"({"op":"subscribe","channels":["ticker.X"],"since":{"ticker.X":5},"id":2})");
    // Events keep coming while the history is read.
    std::thread more([&] {
        for (std::uint64_t i = 2601; i <= 2700; ++i) g.publish("ticker.X", i, trade(i));
    });
    auto ack = again.read_json();
    ASSERT_TRUE(ack);
    EXPECT_EQ(str(*ack, "type"), "ack");
    auto resumed = again.read_json();
    ASSERT_TRUE(resumed);
    EXPECT_EQ(str(*resumed, "type"), "resumed") << json::serialize(*resumed);
    EXPECT_EQ(seq_of(*resumed), 5u);
    expect_events(again, "ticker.X", 6, 2700);
    more.join();
    g.publish("ticker.X", 2701, trade(2701));
    expect_events(again, "ticker.X", 2701, 2701);
    EXPECT_EQ(g.daemon().metric(R"(tickcast_websocket_resumes_total{pipeline="gateway",plugin="websocket_server",result="resumed"})"), 1);
}

TEST(WebSocketResume, a_seq_the_stream_no_longer_holds_gets_resnapshot_and_a_fresh_snapshot) {
    GatewayUnderTest g;
    for (std::uint64_t i = 1; i <= 50; ++i) g.publish("trades.X", i, trade(i));
    g.cache({"XTRIM", "trades.X", "MAXLEN", "10"});  // as redis_stream's maxlen would: 41..50 left
    g.cache({"LPUSH", "trades:X", trade(50)});
    g.cache({"HSET", "ticker:X", "trade_seq", "50"});
    EXPECT_TRUE(eventually([&] { return http_get(g.address(), "/api/v1/trades?symbol=X").find("\"seq\":50") != std::string::npos; }));
    // Let the gateway see 1..50 go by before the client asks.
    WsClient watcher(g.address());
    watcher.send(R"({"op":"subscribe","channels":["trades.X"]})");
    ASSERT_TRUE(watcher.read_type("snapshot"));

    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["trades.X"],"since":{"trades.X":20},"id":1})");
    ASSERT_TRUE(c.read_type("ack"));
    auto notice = c.read_json();
    ASSERT_TRUE(notice);
    EXPECT_EQ(str(*notice, "type"), "resnapshot") << json::serialize(*notice);
    EXPECT_EQ(str(*notice, "reason"), "resume_unavailable");
    auto snap = c.read_json();
    ASSERT_TRUE(snap);
    EXPECT_EQ(str(*snap, "type"), "snapshot");
    EXPECT_EQ(seq_of(*snap), 50u);
    g.publish("trades.X", 51, trade(51));
    expect_events(c, "trades.X", 51, 51);

    // Still in the stream: resumed.
    WsClient d(g.address());
    d.send(R"({"op":"subscribe","channels":["trades.X"],"since":{"trades.X":45}})");
    ASSERT_TRUE(d.read_type("ack"));
    EXPECT_EQ(str(*d.read_json(), "type"), "resumed");
    expect_events(d, "trades.X", 46, 51);
}

TEST(WebSocketResume, an_epoch_of_this_gateway_that_ended_is_not_resumed) {
    GatewayUnderTest g;
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["ticker.X"]})");
    ASSERT_TRUE(c.read_type("ack"));
    for (std::uint64_t i = 1; i <= 3; ++i) g.publish("ticker.X", i, trade(i));
    auto e = c.read_type("event");
    ASSERT_TRUE(e);
    const std::string old_epoch = str(*e, "epoch");
    g.publish("ticker.X", 5, trade(5));  // 4 is lost: a new epoch
    ASSERT_TRUE(c.read_type("resnapshot"));

    WsClient r(g.address());
    r.send(R"({"op":"subscribe","channels":["ticker.X"],"since":{"ticker.X":{"seq":5,"epoch":")" + old_epoch + R"("}}})");
    ASSERT_TRUE(r.read_type("ack"));
    auto notice = r.read_json();
    ASSERT_TRUE(notice);
    EXPECT_EQ(str(*notice, "type"), "resnapshot");
    EXPECT_EQ(str(*notice, "reason"), "resume_unavailable");
    EXPECT_NE(str(*notice, "epoch"), old_epoch);
}

TEST(WebSocketResume, a_resumed_depth_channel_gets_checksums_again_on_its_live_events) {
    GatewayUnderTest g;
    auto bid = [](int qty) { return R"({"type":"depth","bids":[["100.00",")" + std::to_string(qty) + R"("]],"asks":[]})"; };
    for (int i = 1; i <= 10; ++i) g.publish("depth.X", i, bid(i));
    g.cache({"HSET", "depth:X", "seq", "10", "b:100.00", "10"});
    EXPECT_TRUE(eventually([&] { return http_get(g.address(), "/api/v1/depth?symbol=X").find("\"seq\":10") != std::string::npos; }));

    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["depth.X"],"since":{"depth.X":4}})");
    ASSERT_TRUE(c.read_type("ack"));
    ASSERT_EQ(str(*c.read_json(), "type"), "resumed");
    for (std::uint64_t want = 5; want <= 10; ++want) {
        auto e = c.read_json();
        ASSERT_TRUE(e);
        ASSERT_EQ(seq_of(*e), want);
        EXPECT_FALSE(e->contains("checksum")) << "replayed from the stream";
    }
    // The gateway reads the book from the cache once the client is live.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    g.publish("depth.X", 11, bid(11));
    g.publish("depth.X", 12, bid(12));
    auto e11 = c.read_json(), e12 = c.read_json();
    ASSERT_TRUE(e11 && e12);
    EXPECT_EQ(seq_of(*e11), 11u);
    // zlib.crc32(b"1000011") and zlib.crc32(b"1000012"): the one bid 100.00 at qty 11, then 12.
    EXPECT_EQ(e11->at("checksum").as_int64(), 1977668618);
    EXPECT_EQ(e12->at("checksum").as_int64(), 3974727088);
}
