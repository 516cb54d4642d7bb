// websocket_server against real sockets and a real redis-server: the client
// protocol (subscribe, snapshot then deltas, unsubscribe, ping, heartbeats,
// epochs and re-snapshots), every limit, malformed messages, slow clients.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "gateway_fixture.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

std::string depth_payload(const std::string& bids, const std::string& asks) {
    return R"({"type":"depth","bids":)" + bids + R"(,"asks":)" + asks + "}";
}

// Everything up to the pong for `id`; the pong proves the gateway handled what was sent before it.
std::vector<json::object> until_pong(WsClient& c, int id) {
    c.send(R"({"op":"ping","id":)" + std::to_string(id) + "}");
    std::vector<json::object> out;
    while (auto m = c.read_json()) {
        if (str(*m, "type") == "pong" && m->at("id").as_int64() == id) return out;
        out.push_back(*m);
    }
    ADD_FAILURE() << "no pong " << id;
    return out;
}

// Reads what a subscriber gets once a gap is known: a `resnapshot` notice
// (reason gap) opening an epoch other than `old_epoch`, then the snapshot at
// `seq` in that epoch. Returns the new epoch ("" if a message is missing).
std::string read_gap_resnapshot(WsClient& c, const std::string& old_epoch, std::uint64_t seq) {
    auto notice = c.read_json();
    if (!notice) {
        ADD_FAILURE() << "no resnapshot notice";
        return {};
    }
    EXPECT_EQ(str(*notice, "type"), "resnapshot");
    EXPECT_EQ(str(*notice, "reason"), "gap");
    EXPECT_NE(str(*notice, "epoch"), old_epoch);
    auto snap = c.read_json();
    if (!snap) {
        ADD_FAILURE() << "no snapshot after the resnapshot notice";
        return {};
    }
    EXPECT_EQ(str(*snap, "type"), "snapshot");
    EXPECT_EQ(seq_of(*snap), seq);
    EXPECT_EQ(str(*snap, "epoch"), str(*notice, "epoch"));
    return str(*notice, "epoch");
}

}  // namespace

TEST(WebSocketGateway, subscribe_gives_an_ack_the_depth_snapshot_then_deltas_and_unsubscribe_stops_them) {
    GatewayUnderTest g;
    g.cache({"HSET", "depth:X", "seq", "5", "b:99.5", "3", "b:100.25", "1", "a:101", "2", "a:100.5", "4"});
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["depth.X"],"id":1})");
    auto ack = c.read_json();
    ASSERT_TRUE(ack);
    EXPECT_EQ(json::serialize(*ack), R"({"type":"ack","id":1,"op":"subscribe","channels":["depth.X"]})");
    auto snap = c.read_json();
    ASSERT_TRUE(snap);
    EXPECT_EQ(str(*snap, "type"), "snapshot");
    EXPECT_EQ(seq_of(*snap), 5u);
    EXPECT_EQ(json::serialize(snap->at("data")),
              R"({"bids":[["100.25","1"],["99.5","3"]],"asks":[["100.5","4"],["101","2"]]})");
    const std::string epoch = str(*snap, "epoch");
    // CRC32 of "10054" "1012" "100251" "9953" (asks then bids, '.' and leading zeros removed; zlib.crc32).
    EXPECT_EQ(snap->at("checksum").as_int64(), 288675060);

    // A delta the snapshot already holds is not sent; the ones after it are.
    g.publish("depth.X", 5, depth_payload("[]", "[]"));
    g.publish("depth.X", 6, depth_payload(R"([["99.5","0"]])", "[]"));
    g.publish("depth.X", 7, depth_payload("[]", R"([["102","1"]])"));
    auto e6 = c.read_json(), e7 = c.read_json();
    ASSERT_TRUE(e6 && e7);
    EXPECT_EQ(json::serialize(*e6), R"({"type":"event","channel":"depth.X","seq":6,"epoch":")" + epoch +
                                        R"(","checksum":2410545374,"data":{"type":"depth","bids":[["99.5","0"]],"asks":[]}})");
    EXPECT_EQ(seq_of(*e7), 7u);

    c.send(R"({"op":"unsubscribe","channels":["depth.X"],"id":"u"})");
    auto unack = c.read_json();
    ASSERT_TRUE(unack);
    EXPECT_EQ(json::serialize(*unack), R"({"type":"ack","id":"u","op":"unsubscribe","channels":["depth.X"]})");
    g.publish("depth.X", 8, depth_payload("[]", "[]"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(until_pong(c, 2).empty()) << "nothing after the unsubscribe";
}

TEST(WebSocketGateway, trades_snapshot_holds_the_cached_trades_oldest_first_and_deltas_continue_it) {
    GatewayUnderTest g;
    for (int i = 1; i <= 3; ++i) g.cache({"LPUSH", "trades:X", R"({"seq":)" + std::to_string(i) + "}"});
    g.cache({"HSET", "ticker:X", "trade_seq", "3"});
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["trades.X"]})");
    ASSERT_TRUE(c.read_type("ack"));
    auto snap = c.read_json();
    ASSERT_TRUE(snap);
    EXPECT_EQ(seq_of(*snap), 3u);
    EXPECT_EQ(json::serialize(snap->at("data")), R"([{"seq":1},{"seq":2},{"seq":3}])");
    for (int i = 1; i <= 5; ++i) g.publish("trades.X", i, R"({"seq":)" + std::to_string(i) + "}");
    for (std::uint64_t want : {4u, 5u}) {
        auto e = c.read_json();
        ASSERT_TRUE(e);
        EXPECT_EQ(seq_of(*e), want);
    }
}

TEST(WebSocketGateway, a_gap_starts_a_new_epoch_and_subscribers_get_a_resnapshot_then_continue) {
    GatewayUnderTest g;
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["depth.X"],"id":1})");
    ASSERT_TRUE(c.read_type("ack"));
    auto first = c.read_type("snapshot");
    ASSERT_TRUE(first);
    EXPECT_EQ(seq_of(*first), 0u) << "an empty cache gives an empty snapshot";
    g.publish("depth.X", 1, depth_payload("[]", "[]"));
    g.publish("depth.X", 2, depth_payload("[]", "[]"));
    auto e1 = c.read_json();
    ASSERT_TRUE(e1);
    EXPECT_EQ(seq_of(*e1), 1u);
    ASSERT_TRUE(c.read_json());
    // Seq 3 is lost upstream: the stream reader flags 4 as after a gap. The
    // cache (fed elsewhere) has the whole history.
    g.cache({"HSET", "depth:X", "seq", "4", "b:1", "1"});
    g.publish("depth.X", 4, depth_payload(R"([["1","1"]])", "[]"));
    g.publish("depth.X", 5, depth_payload(R"([["2","1"]])", "[]"));
    const std::string epoch = read_gap_resnapshot(c, str(*e1, "epoch"), 4);
    ASSERT_FALSE(epoch.empty());
    auto e5 = c.read_json();
    ASSERT_TRUE(e5);
    EXPECT_EQ(seq_of(*e5), 5u);
    EXPECT_EQ(str(*e5, "epoch"), epoch);
    EXPECT_EQ(g.metric("tickcast_websocket_epochs_total"), 1);
}

TEST(WebSocketGateway, an_empty_snapshot_is_not_followed_by_a_feed_that_starts_past_seq_1) {
    // The cache is empty when the client subscribes; the feed then starts at
    // seq 7 (its builder joined mid-stream). Seq 7 on top of an empty book
    // would be a gap the client cannot see: it is told to take a snapshot
    // again, and gets one once the cache has the book.
    GatewayUnderTest g;
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["depth.X"],"id":1})");
    ASSERT_TRUE(c.read_type("ack"));
    auto empty = c.read_json();
    ASSERT_TRUE(empty);
    EXPECT_EQ(str(*empty, "type"), "snapshot");
    EXPECT_EQ(seq_of(*empty), 0u);
    g.publish("depth.X", 7, depth_payload("[]", R"([["102","1"]])"));
    auto notice = c.read_json();
    ASSERT_TRUE(notice);
    EXPECT_EQ(str(*notice, "type"), "resnapshot") << json::serialize(*notice);
    EXPECT_EQ(str(*notice, "reason"), "gap");
    g.cache({"HSET", "depth:X", "seq", "7", "a:102", "1"});
    auto snap = c.read_json();
    ASSERT_TRUE(snap);
    EXPECT_EQ(str(*snap, "type"), "snapshot") << json::serialize(*snap);
    EXPECT_EQ(seq_of(*snap), 7u);
    g.publish("depth.X", 8, depth_payload("[]", R"([["103","1"]])"));
    auto e8 = c.read_json();
    ASSERT_TRUE(e8);
    EXPECT_EQ(str(*e8, "type"), "event");
    EXPECT_EQ(seq_of(*e8), 8u);
}

TEST(WebSocketGateway, a_pubsub_heartbeat_that_reveals_a_lost_tail_re_snapshots_the_subscribers) {
    GatewayUnderTest g("", "depth.X", {}, GatewayUnderTest::Feed::pubsub);
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["depth.X"],"id":1})");
    ASSERT_TRUE(c.read_type("ack"));
    ASSERT_TRUE(c.read_type("snapshot"));
    g.publish("depth.X", 1, depth_payload("[]", "[]"));
    auto e1 = c.read_json();
    ASSERT_TRUE(e1);
    EXPECT_EQ(seq_of(*e1), 1u);
    // 2 and 3 never reach the gateway and nothing follows them: only the
    // publisher's heartbeat (last seq 3) tells. The cache has them.
    g.heartbeat("depth.X", 1);  // nothing new: ignored
    g.cache({"HSET", "depth:X", "seq", "3", "b:1", "1"});
    g.heartbeat("depth.X", 3);
    const std::string epoch = read_gap_resnapshot(c, str(*e1, "epoch"), 3);
    ASSERT_FALSE(epoch.empty());
    g.publish("depth.X", 4, depth_payload(R"([["2","1"]])", "[]"));
    auto e4 = c.read_json();
    ASSERT_TRUE(e4);
    EXPECT_EQ(str(*e4, "type"), "event") << "the heartbeat itself is never sent as data";
    EXPECT_EQ(seq_of(*e4), 4u);
    EXPECT_EQ(str(*e4, "epoch"), epoch);
    EXPECT_EQ(g.metric("tickcast_websocket_epochs_total"), 1);
    EXPECT_EQ(g.daemon().metric(R"(tickcast_redis_source_missed_events_total{pipeline="gateway",plugin="redis_pubsub"})"), 2);
}

TEST(WebSocketGateway, a_quiet_channel_gets_heartbeats_with_its_last_seq_and_ping_gets_pong) {
    GatewayUnderTest g(", heartbeat: 100ms");
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["ticker.X"],"id":7})");
    ASSERT_TRUE(c.read_type("ack"));
    g.publish("ticker.X", 1, R"({"last":"1"})");
    auto e = c.read_type("event");
    ASSERT_TRUE(e);
    auto beat = c.read_type("heartbeat", std::chrono::seconds(2));
    ASSERT_TRUE(beat);
    EXPECT_EQ(str(*beat, "channel"), "ticker.X");
    EXPECT_EQ(seq_of(*beat), 1u);
    EXPECT_EQ(str(*beat, "epoch"), str(*e, "epoch"));
    c.send(R"({"op":"ping","id":9})");
    auto pong = c.read_type("pong");
    ASSERT_TRUE(pong);
    EXPECT_EQ(json::serialize(*pong), R"({"type":"pong","id":9})");
}

TEST(WebSocketGateway, malformed_messages_get_errors_and_a_huge_one_closes_only_that_connection) {
    GatewayUnderTest g(", max_message_size: 1KiB");
    WsClient c(g.address());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{not json", "bad_json"},
        {"[1,2]", "bad_request"},
        {R"({"op":"dance","id":3})", "unknown_op"},
        {R"({"op":"subscribe","id":4})", "bad_request"},
        {R"({"op":"subscribe","channels":[]})", "bad_request"},
        {R"({"op":"subscribe","channels":[5]})", "bad_request"},
        {R"({"op":"subscribe","channels":["tc:depth:X"]})", "bad_channel"},
        {R"({"op":"subscribe","channels":["nodot"]})", "bad_channel"},
        {R"({"op":"subscribe","channels":["orders.alice"],"id":8})", "auth_unavailable"},
        {R"({"op":"ping","id":{"a":1}})", "bad_request"},
    };
    for (const auto& [text, code] : cases) {
        c.send(text);
        auto m = c.read_json();
        ASSERT_TRUE(m) << text;
        EXPECT_EQ(str(*m, "type"), "error") << text;
        EXPECT_EQ(str(*m, "code"), code) << text;
        EXPECT_FALSE(str(*m, "message").empty());
    }
    c.send_binary(std::string("\x00\xff\x10junk", 7));
    auto bin = c.read_json();
    ASSERT_TRUE(bin);
    EXPECT_EQ(str(*bin, "code"), "binary_not_supported");
    c.send(R"({"op":"dance","id":3})");
    EXPECT_EQ(c.read_json()->at("id").as_int64(), 3) << "errors echo the id";

    try {
        c.send(std::string(4096, ' ') + "{}");
    } catch (const boost::system::system_error&) {
        // The gateway may close before the whole frame is written.
    }
    EXPECT_TRUE(c.wait_closed());
    // Beast sends close 1009 without reading the rest of the frame, so the
    // unread bytes may make the kernel reset the connection before the
    // client reads that close frame: the code is checked when it arrived.
    if (c.close_code() != 0) {
        EXPECT_EQ(c.close_code(), 1009);
    }

    WsClient other(g.address());  // the gateway is fine
    other.send(R"({"op":"ping","id":1})");
    EXPECT_TRUE(other.read_type("pong"));
    EXPECT_EQ(g.metric("tickcast_websocket_client_errors_total"), 12);
}

TEST(WebSocketGateway, each_limit_gives_its_documented_error_or_close_code) {
    GatewayUnderTest g(", max_connections: 2, max_subscriptions: 2, messages_per_second: 10, allowed_origins: [\"https://ok.example\"]");
    WsClient a(g.address(), "https://ok.example");
    {
        a.send(R"({"op":"subscribe","channels":["ticker.A","ticker.B","ticker.C"],"id":1})");
        auto m = a.read_json();
        ASSERT_TRUE(m);
        EXPECT_EQ(str(*m, "code"), "too_many_subscriptions");
        a.send(R"({"op":"subscribe","channels":["ticker.A","ticker.B"],"id":2})");
        EXPECT_EQ(str(*a.read_json(), "type"), "ack");
        a.send(R"({"op":"subscribe","channels":["ticker.C"],"id":3})");
        EXPECT_EQ(str(*a.read_json(), "code"), "too_many_subscriptions");
    }
    // Origin: another site's page is refused at the upgrade; a client without Origin is not a browser and may connect.
    EXPECT_THROW(WsClient(g.address(), "https://evil.example"), boost::system::system_error);
    WsClient b(g.address());
    {
        WsClient third(g.address());
        EXPECT_TRUE(third.wait_closed());
        EXPECT_EQ(third.close_code(), 1013);
    }
    // Rate: a burst beyond messages_per_second closes with 4029.
    for (int i = 0; i < 40; ++i) b.send(R"({"op":"ping"})");
    EXPECT_TRUE(b.wait_closed());
    EXPECT_EQ(b.close_code(), 4029);
    EXPECT_EQ(g.metric("tickcast_websocket_rate_limit_closes_total"), 1);
    EXPECT_EQ(g.daemon().metric(R"(tickcast_websocket_rejected_connections_total{pipeline="gateway",plugin="websocket_server",reason="origin"})"), 1);
    EXPECT_EQ(g.daemon().metric(R"(tickcast_websocket_rejected_connections_total{pipeline="gateway",plugin="websocket_server",reason="max_connections"})"), 1);
}

TEST(WebSocketGateway, a_client_that_stops_reading_is_cut_off_while_another_receives_everything) {
    GatewayUnderTest g(", send_queue_limit: 256KiB");
    WsClient slow(g.address(), "", 4096);
    WsClient fast(g.address());
    for (WsClient* c : {&slow, &fast}) {
        c->send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
        ASSERT_TRUE(c->read_type("ack"));
    }
    const int count = 600;
    std::vector<std::uint64_t> got;
    std::thread reader([&] {
        while (got.size() < std::size_t(count)) {
            auto m = fast.read_json(std::chrono::seconds(20));
            if (!m) break;
            if (str(*m, "type") == "event") got.push_back(seq_of(*m));
        }
    });
    const std::string big = "{\"pad\":\"" + std::string(16000, 'x') + "\"}";
    // At a pace a reading client follows (a burst bigger than the limit would cut off anyone).
    for (int i = 1; i <= count; ++i) {
        g.publish("ticker.X", i, big);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    reader.join();
    ASSERT_EQ(got.size(), std::size_t(count));
    for (int i = 0; i < count; ++i) ASSERT_EQ(got[i], std::uint64_t(i + 1));
    EXPECT_TRUE(eventually([&] { return g.metric("tickcast_websocket_slow_consumer_closes_total") == 1; }));
    EXPECT_TRUE(slow.wait_closed(std::chrono::seconds(20))) << "the slow client must be cut off";
    // The operator hears of it too, once (closes are rate-limited in the log).
    const std::string log = g.log();
    EXPECT_NE(log.find("closing a client with 4008, slow consumer: more than 262144 bytes queued"), std::string::npos) << log;
}

TEST(WebSocketGateway, with_conflation_a_slow_client_gets_the_latest_depth_instead_of_being_cut_off_and_every_trade) {
    GatewayUnderTest g(", send_queue_limit: 1MiB, conflate_depth: true, conflate_above: 128KiB");
    WsClient slow(g.address(), "", 4096);
    WsClient fast(g.address());
    for (WsClient* c : {&slow, &fast}) {
        c->send(R"({"op":"subscribe","channels":["depth.X","trades.X"],"id":1})");
        ASSERT_TRUE(c->read_type("ack"));
    }
    const int count = 600;
    // Each delta sets one bid level and is padded, so the slow client's queue passes the mark fast.
    const std::string pad = std::string(12000, 'p');
    auto delta = [&](int i) {
        return R"({"type":"depth","pad":")" + pad + R"(","bids":[[")" + std::to_string(1000 + i % 37) + R"(.00",")" +
               std::to_string(i) + R"("]],"asks":[]})";
    };
    std::map<std::string, std::string> expected_bids;
    for (int i = 1; i <= count; ++i) expected_bids[std::to_string(1000 + i % 37) + ".00"] = std::to_string(i);

    // The fast client reads everything, uncoalesced.
    std::vector<std::uint64_t> fast_depth;
    std::thread reader([&] {
        while (fast_depth.size() < std::size_t(count)) {
            auto m = fast.read_json(std::chrono::seconds(20));
            if (!m) break;
            if (str(*m, "type") == "event" && str(*m, "channel") == "depth.X") fast_depth.push_back(seq_of(*m));
        }
    });
    for (int i = 1; i <= count; ++i) {
        g.publish("depth.X", i, delta(i));
        if (i % 20 == 0) g.publish("trades.X", i / 20, R"({"type":"trade","n":)" + std::to_string(i / 20) + "}");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    reader.join();
    ASSERT_EQ(fast_depth.size(), std::size_t(count));
    for (int i = 0; i < count; ++i) ASSERT_EQ(fast_depth[i], std::uint64_t(i + 1));

    // The slow client now reads: its book stays exact through conflated snapshots, and no trade is missing.
    std::map<std::string, std::string> bids;
    std::uint64_t depth_seq = 0, trade_seq = 0;
    int conflated = 0;
    while (depth_seq < std::uint64_t(count) || trade_seq < std::uint64_t(count / 20)) {
        auto m = slow.read_json(std::chrono::seconds(10));
        ASSERT_TRUE(m) << "stalled at depth " << depth_seq << ", trade " << trade_seq << "; closed " << slow.close_code();
        const std::string type = str(*m, "type"), channel = m->contains("channel") ? str(*m, "channel") : "";
        if (channel == "trades.X" && type == "event") {
            ASSERT_EQ(seq_of(*m), trade_seq + 1) << "trades are never conflated";
            trade_seq = seq_of(*m);
        } else if (channel == "depth.X" && type == "snapshot") {
            if (m->contains("conflated")) {
                ++conflated;
                ASSERT_GT(seq_of(*m), depth_seq);
            }
            bids.clear();
            for (const auto& level : m->at("data").at("bids").as_array())
                bids[std::string(level.as_array()[0].as_string())] = std::string(level.as_array()[1].as_string());
            depth_seq = seq_of(*m);
        } else if (channel == "depth.X" && type == "event") {
            ASSERT_EQ(seq_of(*m), depth_seq + 1) << "deltas continue the latest state";
            const auto& level = m->at("data").at("bids").as_array()[0].as_array();
            bids[std::string(level[0].as_string())] = std::string(level[1].as_string());
            depth_seq = seq_of(*m);
        }
    }
    EXPECT_EQ(bids, expected_bids);
    EXPECT_GT(conflated, 0);
    EXPECT_GT(g.metric("tickcast_websocket_conflations_total"), 0);
    EXPECT_EQ(g.metric("tickcast_websocket_slow_consumer_closes_total"), 0);
}

TEST(WebSocketGateway, on_sigterm_every_client_is_told_it_is_draining_then_closed_with_1012_and_the_daemon_exits_0) {
    GatewayUnderTest g;
    WsClient idle(g.address());
    WsClient busy(g.address());
    busy.send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
    ASSERT_TRUE(busy.read_type("ack"));
    for (std::uint64_t i = 1; i <= 20; ++i) g.publish("ticker.X", i, R"({"n":1})");
    ASSERT_TRUE(eventually([&] { return g.metric("tickcast_websocket_deliveries_total") == 20; }));
    idle.send(R"({"op":"ping","id":1})");
    ASSERT_TRUE(idle.read_type("pong"));

    std::thread stopper([&] { EXPECT_EQ(g.stop(), 0) << g.log(); });
    for (WsClient* c : {&idle, &busy}) {
        auto notice = c->read_type("draining");
        ASSERT_TRUE(notice);
        EXPECT_EQ(json::serialize(*notice), R"({"type":"draining","reason":"shutdown"})");
        EXPECT_FALSE(c->read_json()) << "nothing after draining";
        EXPECT_TRUE(c->closed());
        EXPECT_EQ(c->close_code(), 1012);
    }
    stopper.join();
}

// Soak and security review (docs/reliability.md): a client that names
// channels nobody publishes (made-up symbols, in any number of
// subscribe/unsubscribe rounds or connections) leaves no state behind;
// channels with events keep theirs (seq, epoch) for later subscribers.
TEST(WebSocketGateway, channels_nobody_publishes_are_forgotten_when_their_last_subscriber_leaves) {
    GatewayUnderTest g;
    g.cache({"LPUSH", "trades:X", R"({"type":"trade","seq":1,"price":"1"})"});
    g.cache({"HSET", "ticker:X", "trade_seq", "1"});
    g.publish("trades.X", 1, R"({"type":"trade","price":"1"})");
    WsClient c(g.address());
    c.send(R"({"op":"subscribe","channels":["trades.X"],"id":1})");
    ASSERT_TRUE(c.read_type("snapshot"));
    ASSERT_TRUE(eventually([&] { return g.metric("tickcast_websocket_channels") == 1; })) << g.metric("tickcast_websocket_channels");
    for (int round = 0; round < 4; ++round) {
        std::string list;
        for (int i = 0; i < 50; ++i) list += (i ? ",\"" : "\"") + std::string(i % 2 ? "trades.R" : "depth.R") + std::to_string(round * 50 + i) + "\"";
        c.send(R"({"op":"subscribe","channels":[)" + list + R"(],"id":2})");
        ASSERT_TRUE(c.read_type("ack"));
        EXPECT_EQ(g.metric("tickcast_websocket_channels"), 51);
        c.send(R"({"op":"unsubscribe","channels":[)" + list + R"(],"id":3})");
        until_pong(c, 4 + round);
        EXPECT_EQ(g.metric("tickcast_websocket_channels"), 1) << "round " << round;
    }
    {
        WsClient leaving(g.address());
        leaving.send(R"({"op":"subscribe","channels":["trades.GONE","orders.nobody","trades.X"],"id":1})");
        leaving.read_type("error");  // orders.* needs a token: the whole request is refused
        leaving.send(R"({"op":"subscribe","channels":["trades.GONE","depth.GONE","trades.X"],"id":2})");
        ASSERT_TRUE(leaving.read_type("ack"));
        EXPECT_EQ(g.metric("tickcast_websocket_channels"), 3);
    }
    EXPECT_TRUE(eventually([&] { return g.metric("tickcast_websocket_channels") == 1; })) << g.metric("tickcast_websocket_channels");
    // trades.X kept its seq: the next event continues it.
    g.publish("trades.X", 2, R"({"type":"trade","price":"2"})");
    auto e = c.read_type("event");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->at("seq").as_int64(), 2);
}

TEST(WebSocketGateway, write_threads_outside_0_to_64_is_refused_at_its_line) {
    TempDir dir;
    for (const char* bad : {"-1", "65"}) {
        const std::string config = dir.write("threads.yaml",
            "pipelines:\n"
            "  gateway:\n"
            "    source: {plugin: mock_source, events: [{channel: trades.X, payload: x}]}\n"
            "    sinks: [{plugin: websocket_server, listen: \"127.0.0.1:0\", write_threads: " + std::string(bad) + "}]\n");
        Process p({TICKCAST_DAEMON, "validate", config}, {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
        EXPECT_EQ(p.wait(), 2) << bad;
        const std::string err = p.err();
        EXPECT_NE(err.find("threads.yaml:4:"), std::string::npos) << err;
        EXPECT_NE(err.find(std::string("write_threads must be 0 (one per core, at most 4) to 64, got ") + bad), std::string::npos) << err;
    }
}
