// Coalescing (?coalesce=1): a client that asks for it gets what is queued for
// it as JSON-array frames "[m1,m2,...]" within the caps, every message once
// and in order; a client that does not ask, on the same gateway, never sees
// an array. With a slow coalescing client, depth conflation, the 4008 cut-off
// and draining behave as without coalescing.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include "gateway_fixture.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

constexpr std::size_t max_frame_bytes = 64 * 1024;  // WebSocketSession::max_coalesced_bytes

struct Received {
    std::vector<std::uint64_t> seqs;  // of the events, in arrival order
    std::size_t frames = 0, array_frames = 0, largest_array = 0, largest_array_bytes = 0;
};

// Reads frames until `count` events arrived (or 20 s pass without a frame).
Received read_events(WsClient& c, std::size_t count) {
    Received r;
    while (r.seqs.size() < count) {
        auto frame = c.read(std::chrono::seconds(20));
        if (!frame) break;
        ++r.frames;
        const json::value v = json::parse(*frame);
        auto take = [&](const json::object& m) {
            if (str(m, "type") == "event") r.seqs.push_back(seq_of(m));
        };
        if (v.is_array()) {
            ++r.array_frames;
            r.largest_array = std::max(r.largest_array, v.as_array().size());
            r.largest_array_bytes = std::max(r.largest_array_bytes, frame->size());
            EXPECT_GE(v.as_array().size(), 2u) << "a single message goes unwrapped";
            for (const json::value& m : v.as_array()) take(m.as_object());
        } else {
            take(v.as_object());
        }
    }
    return r;
}

// A coalescing client's messages one at a time: a frame "[m1,m2,...]" gives
// m1, m2, ... in order, exactly as separate frames would.
class Messages {
public:
    explicit Messages(WsClient& client) : client_(client) {}

    // The next message, or nullopt after `timeout` without a frame or when the connection ended.
    std::optional<json::object> next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        if (pending_.empty()) {
            auto frame = client_.read(timeout);
            if (!frame) return std::nullopt;
            ++frames;
            const json::value v = json::parse(*frame);
            in_array_ = v.is_array();
            if (v.is_array()) {
                ++array_frames;
                EXPECT_GE(v.as_array().size(), 2u) << "a single message goes unwrapped";
                for (const json::value& m : v.as_array()) pending_.push_back(m.as_object());
            } else {
                pending_.push_back(v.as_object());
            }
        }
        json::object m = std::move(pending_.front());
        pending_.pop_front();
        return m;
    }
    // The next message of type `type`, skipping others.
    std::optional<json::object> next_type(const std::string& type) {
        while (auto m = next())
            if (str(*m, "type") == type) return m;
        return std::nullopt;
    }
    // True when the last message returned was the last of its frame.
    bool at_frame_end() const { return pending_.empty(); }
    // True when the last message returned came in an array.
    bool in_array() const { return in_array_; }

    std::size_t frames = 0, array_frames = 0;

private:
    WsClient& client_;
    std::deque<json::object> pending_;
    bool in_array_ = false;
};

// Reads a draining client's messages: events in order from seq 1, then the
// notice, last in its frame, and nothing after it. The number of events.
std::uint64_t read_until_draining(Messages& c) {
    std::uint64_t last_seq = 0;
    while (auto m = c.next(std::chrono::seconds(5))) {
        const std::string type = str(*m, "type");
        if (type == "event") {
            EXPECT_EQ(seq_of(*m), last_seq + 1) << "events before the notice come in order";
            last_seq = seq_of(*m);
        } else if (type == "draining") {
            EXPECT_EQ(json::serialize(*m), R"({"type":"draining","reason":"shutdown"})");
            EXPECT_TRUE(c.at_frame_end()) << "nothing follows draining in its frame";
            EXPECT_FALSE(c.next(std::chrono::seconds(5))) << "nothing after draining";
            return last_seq;
        } else {
            ADD_FAILURE() << "unexpected " << json::serialize(*m);
        }
    }
    ADD_FAILURE() << "no draining notice after " << last_seq << " events";
    return last_seq;
}

std::string channel_of(const json::object& m) { return m.contains("channel") ? str(m, "channel") : ""; }

void expect_every_seq_once_in_order(const Received& r, std::size_t count) {
    ASSERT_EQ(r.seqs.size(), count);
    for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(r.seqs[i], i + 1) << "at " << i;
}

}  // namespace

TEST(WebSocketCoalesce, a_coalescing_client_gets_every_seq_once_in_order_in_capped_arrays_and_a_plain_one_only_single_messages) {
    GatewayUnderTest g(", coalesce_max_messages: 8, send_queue_limit: 16MiB");
    WsClient coalescing(g.address(), "", 4096, "/?coalesce=1");
    WsClient plain(g.address());
    for (WsClient* c : {&coalescing, &plain}) {
        c->send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
        ASSERT_TRUE(c->read_type("ack"));
    }
    // A fast stream, and neither client reads until the end (the coalescing
    // one with a small receive buffer): 6 MB, more than the socket buffers
    // take, so queues build whatever batches the source reads.
    const std::size_t count = 3000;
    const std::string pad(2000, 'x');
    for (std::size_t i = 1; i <= count; ++i) g.publish("ticker.X", i, R"({"pad":")" + pad + "\"}");

    const Received c = read_events(coalescing, count);
    expect_every_seq_once_in_order(c, count);
    EXPECT_GE(c.array_frames, 1u) << "a fast stream must be coalesced";
    EXPECT_LE(c.largest_array, 8u) << "coalesce_max_messages caps a frame";
    EXPECT_LT(c.frames, count);

    const Received p = read_events(plain, count);
    expect_every_seq_once_in_order(p, count);
    EXPECT_EQ(p.array_frames, 0u) << "a client that did not ask for coalescing gets one message per frame";
    EXPECT_EQ(p.frames, count);
}

TEST(WebSocketCoalesce, a_coalesced_frame_stops_at_64KiB) {
    GatewayUnderTest g(", send_queue_limit: 16MiB");  // coalesce_max_messages: 31 (the default)
    WsClient coalescing(g.address(), "", 4096, "/?coalesce=1");
    coalescing.send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
    ASSERT_TRUE(coalescing.read_type("ack"));
    // 9 KiB messages: 31 of them would make a 279 KiB frame; the byte cap allows 7.
    const std::string pad(9000, 'x');
    const std::size_t count = 600;  // 5.4 MB: more than the socket buffers take, so a queue builds
    for (std::size_t i = 1; i <= count; ++i) g.publish("ticker.X", i, R"({"pad":")" + pad + "\"}");
    const Received c = read_events(coalescing, count);
    expect_every_seq_once_in_order(c, count);
    EXPECT_GE(c.array_frames, 1u);
    EXPECT_GE(c.largest_array, 2u);
    EXPECT_LE(c.largest_array_bytes, max_frame_bytes);
    EXPECT_LE(c.largest_array, 7u);
}

TEST(WebSocketCoalesce, coalescing_keeps_the_resnapshot_notice_between_the_epochs_events) {
    GatewayUnderTest g(", coalesce_max_messages: 16");
    WsClient coalescing(g.address(), "", 4096, "/?coalesce=1");
    coalescing.send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
    ASSERT_TRUE(coalescing.read_type("ack"));
    // 1..200, then a gap (seq 300..399): a new epoch, announced in order.
    for (std::uint64_t i = 1; i <= 200; ++i) g.publish("ticker.X", i, "{}");
    for (std::uint64_t i = 300; i < 400; ++i) g.publish("ticker.X", i, "{}");
    std::vector<std::string> order;  // "e<seq>" or "resnapshot"
    std::size_t events = 0;
    while (events < 300) {
        auto frame = coalescing.read(std::chrono::seconds(20));
        ASSERT_TRUE(frame) << "after " << events << " events";
        const json::value v = json::parse(*frame);
        std::vector<json::object> messages;
        if (v.is_array())
            for (const json::value& m : v.as_array()) messages.push_back(m.as_object());
        else
            messages.push_back(v.as_object());
        for (const json::object& m : messages) {
            if (str(m, "type") == "event") {
                order.push_back("e" + std::to_string(seq_of(m)));
                ++events;
            } else if (str(m, "type") == "resnapshot") {
                order.push_back("resnapshot");
            }
        }
    }
    std::vector<std::string> expected;
    for (int i = 1; i <= 200; ++i) expected.push_back("e" + std::to_string(i));
    expected.push_back("resnapshot");
    for (int i = 300; i < 400; ++i) expected.push_back("e" + std::to_string(i));
    EXPECT_EQ(order, expected);
}

// docs/protocol.md "Slow clients": conflation works per message, so it must
// hold when the messages travel in arrays. A coalescing client stops reading
// until its depth has been conflated, then reads again while events still
// flow: it gets the conflated snapshot and then deltas that continue its seq
// with no gap and no overlap, its book ending exact; another coalescing
// client gets every message and never a conflated snapshot.
TEST(WebSocketCoalesce, a_slow_coalescing_client_gets_a_conflated_depth_snapshot_that_its_deltas_continue_and_another_gets_everything) {
    GatewayUnderTest g(", send_queue_limit: 1MiB, conflate_depth: true, conflate_above: 128KiB");
    WsClient slow_ws(g.address(), "", 4096, "/?coalesce=1");
    WsClient normal_ws(g.address(), "", 0, "/?coalesce=1");
    Messages slow(slow_ws), normal(normal_ws);
    for (WsClient* c : {&slow_ws, &normal_ws}) c->send(R"({"op":"subscribe","channels":["depth.X","trades.X"],"id":1})");
    for (Messages* m : {&slow, &normal}) ASSERT_TRUE(m->next_type("ack"));

    // How many deltas go out depends on when the slow client's depth is
    // conflated (the kernel's socket buffers take up to ~4 MB first): the
    // readers follow `count`, which is final before the last 300 go out.
    std::atomic<int> count{1000000};
    auto trades = [&] { return count.load() / 20; };
    // Each delta sets one bid level and is padded, so the slow client's queue passes the mark fast.
    const std::string pad(12000, 'p');
    int published = 0;
    auto publish = [&](int n) {
        for (int end = published + n; published < end;) {
            const int i = ++published;
            g.publish("depth.X", i, R"({"type":"depth","pad":")" + pad + R"(","bids":[[")" + std::to_string(1000 + i % 37) + R"(.00",")" +
                                        std::to_string(i) + R"("]],"asks":[]})");
            if (i % 20 == 0) g.publish("trades.X", i / 20, R"({"type":"trade","n":)" + std::to_string(i / 20) + "}");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    };

    // The normal client reads everything while it flows.
    std::vector<std::uint64_t> normal_depth, normal_trades;
    int normal_conflated = 0;
    std::thread normal_reader([&] {
        while (normal_depth.size() < std::size_t(count) || normal_trades.size() < std::size_t(trades())) {
            auto m = normal.next(std::chrono::seconds(20));
            if (!m) break;
            if (m->contains("conflated")) ++normal_conflated;
            if (str(*m, "type") != "event") continue;
            (channel_of(*m) == "depth.X" ? normal_depth : normal_trades).push_back(seq_of(*m));
        }
    });

    // The slow client: snapshots (the subscription's, seq 0, then conflated
    // ones) replace its book; each delta continues the latest seq exactly.
    std::map<std::string, std::string> bids;
    std::uint64_t depth_seq = 0, trade_seq = 0;
    std::string epoch;
    int snapshots = 0, conflated = 0, conflated_in_array = 0, deltas_after_conflated = 0;
    auto read_slow = [&] {
        while (depth_seq < std::uint64_t(count) || trade_seq < std::uint64_t(trades())) {
            auto m = slow.next(std::chrono::seconds(10));
            ASSERT_TRUE(m) << "stalled at depth " << depth_seq << ", trade " << trade_seq << "; closed " << slow_ws.close_code();
            const std::string type = str(*m, "type"), channel = channel_of(*m);
            if (channel == "trades.X" && type == "event") {
                ASSERT_EQ(seq_of(*m), trade_seq + 1) << "trades are never conflated";
                trade_seq = seq_of(*m);
            } else if (channel == "depth.X" && type == "snapshot") {
                if (snapshots++ == 0) {
                    epoch = str(*m, "epoch");
                    EXPECT_FALSE(m->contains("conflated")) << "the subscription's snapshot is not a conflated one";
                } else {
                    ASSERT_TRUE(m->contains("conflated")) << "only conflation sends a later snapshot here";
                    EXPECT_TRUE(m->at("conflated").as_bool());
                    ASSERT_GT(seq_of(*m), depth_seq) << "a conflated snapshot is newer than what was delivered before it";
                    EXPECT_EQ(str(*m, "epoch"), epoch);
                    ++conflated;
                    conflated_in_array += slow.in_array();
                }
                bids.clear();
                for (const auto& level : m->at("data").at("bids").as_array())
                    bids[std::string(level.as_array()[0].as_string())] = std::string(level.as_array()[1].as_string());
                depth_seq = seq_of(*m);
            } else if (channel == "depth.X" && type == "event") {
                ASSERT_EQ(seq_of(*m), depth_seq + 1) << "deltas continue the latest state: no gap, no overlap";
                EXPECT_EQ(str(*m, "epoch"), epoch);
                const auto& level = m->at("data").at("bids").as_array()[0].as_array();
                bids[std::string(level[0].as_string())] = std::string(level[1].as_string());
                depth_seq = seq_of(*m);
                if (conflated > 0) ++deltas_after_conflated;
            } else if (type != "snapshot" && type != "heartbeat") {
                ADD_FAILURE() << "unexpected " << json::serialize(*m);
            }
        }
    };

    // The slow client does not read until its depth is conflated (9.6 MB at most)...
    bool conflated_early = false;
    while (!conflated_early && published < 800) {
        publish(10);
        conflated_early = g.metric("tickcast_websocket_conflations_total") > 0;
    }
    // ...then it reads while 300 more deltas flow, which follow its conflated snapshot.
    count = published + 300;
    std::thread slow_reader(read_slow);
    publish(300);
    slow_reader.join();
    normal_reader.join();
    std::map<std::string, std::string> expected_bids;
    for (int i = 1; i <= count; ++i) expected_bids[std::to_string(1000 + i % 37) + ".00"] = std::to_string(i);

    ASSERT_EQ(normal_depth.size(), std::size_t(count));
    for (int i = 0; i < count; ++i) ASSERT_EQ(normal_depth[i], std::uint64_t(i + 1)) << "at " << i;
    ASSERT_EQ(normal_trades.size(), std::size_t(trades()));
    for (int i = 0; i < trades(); ++i) ASSERT_EQ(normal_trades[i], std::uint64_t(i + 1)) << "at " << i;
    EXPECT_EQ(normal_conflated, 0) << "a client that keeps up is never conflated";

    EXPECT_TRUE(conflated_early) << "no conflation after " << published - 300 << " deltas";
    EXPECT_EQ(depth_seq, std::uint64_t(count));
    EXPECT_EQ(trade_seq, std::uint64_t(trades()));
    EXPECT_EQ(bids, expected_bids);
    EXPECT_GT(conflated, 0);
    EXPECT_GT(deltas_after_conflated, 0) << "deltas must have followed a conflated snapshot";
    EXPECT_GT(slow.array_frames, 0u) << "the slow client's backlog must have come coalesced";
    EXPECT_EQ(g.metric("tickcast_websocket_slow_consumer_closes_total"), 0);
    EXPECT_FALSE(slow_ws.closed());
    RecordProperty("deltas", count);
    RecordProperty("conflated_snapshots", conflated);
    RecordProperty("deltas_after_a_conflated_snapshot", deltas_after_conflated);
    RecordProperty("conflated_snapshots_in_arrays", conflated_in_array);
    RecordProperty("slow_frames", int(slow.frames));
    RecordProperty("slow_array_frames", int(slow.array_frames));
}

// Trades are never conflated: a slow coalescing client whose trades pass
// send_queue_limit is closed with 4008 even with conflate_depth on; what it
// got before is every trade from the first, in order; the other client gets all.
TEST(WebSocketCoalesce, with_conflation_a_slow_coalescing_client_whose_trades_pass_the_limit_is_closed_with_4008) {
    GatewayUnderTest g(", send_queue_limit: 256KiB, conflate_depth: true, conflate_above: 64KiB");
    WsClient slow_ws(g.address(), "", 4096, "/?coalesce=1");
    WsClient normal_ws(g.address(), "", 0, "/?coalesce=1");
    Messages slow(slow_ws), normal(normal_ws);
    for (WsClient* c : {&slow_ws, &normal_ws}) c->send(R"({"op":"subscribe","channels":["depth.X","trades.X"],"id":1})");
    for (Messages* m : {&slow, &normal}) ASSERT_TRUE(m->next_type("ack"));

    const int count = 500;  // 8 MB: more than the socket buffers (4 MB at most) and the queue hold
    std::vector<std::uint64_t> normal_trades;
    std::thread reader([&] {
        while (normal_trades.size() < std::size_t(count)) {
            auto m = normal.next(std::chrono::seconds(20));
            if (!m) break;
            if (str(*m, "type") == "event" && channel_of(*m) == "trades.X") normal_trades.push_back(seq_of(*m));
        }
    });
    std::thread publisher([&] {
        const std::string pad(16000, 't');
        for (int i = 1; i <= count; ++i) {
            g.publish("trades.X", i, R"({"type":"trade","pad":")" + pad + R"(","n":)" + std::to_string(i) + "}");
            if (i % 10 == 0)
                g.publish("depth.X", i / 10, R"({"type":"depth","bids":[["1000.00",")" + std::to_string(i) + R"("]],"asks":[]})");
            // In bursts, so that the gateway's batches hold several messages and frames are arrays.
            if (i % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(8));
        }
    });
    // The slow client reads again as soon as the gateway has given up on it,
    // well within the 2 s the close frame is given.
    const bool cut_off = eventually([&] { return g.metric("tickcast_websocket_slow_consumer_closes_total") == 1; }, std::chrono::seconds(5));
    std::vector<std::uint64_t> slow_trades;
    std::uint64_t depth_seq = 0;
    bool depth_ok = true;
    if (cut_off) {
        while (auto m = slow.next(std::chrono::seconds(5))) {
            const std::string type = str(*m, "type"), channel = channel_of(*m);
            if (channel == "trades.X" && type == "event") slow_trades.push_back(seq_of(*m));
            if (channel == "depth.X" && type == "event") depth_ok &= seq_of(*m) == ++depth_seq;
            if (channel == "depth.X" && type == "snapshot") {
                depth_ok &= seq_of(*m) >= depth_seq;
                depth_seq = seq_of(*m);
            }
        }
    }
    publisher.join();
    reader.join();
    ASSERT_TRUE(cut_off) << "the slow client was never closed";
    EXPECT_TRUE(slow_ws.closed());
    EXPECT_EQ(slow_ws.close_code(), 4008) << slow_ws.error();
    EXPECT_NE(slow_ws.close_reason().find("slow consumer"), std::string::npos) << slow_ws.close_reason();
    ASSERT_FALSE(slow_trades.empty());
    EXPECT_LT(slow_trades.size(), std::size_t(count));
    for (std::size_t i = 0; i < slow_trades.size(); ++i) ASSERT_EQ(slow_trades[i], i + 1) << "at " << i;
    EXPECT_TRUE(depth_ok) << "depth continuity before the close";
    EXPECT_GT(slow.array_frames, 0u) << "bursts must have reached the slow client coalesced";
    ASSERT_EQ(normal_trades.size(), std::size_t(count));
    for (int i = 0; i < count; ++i) ASSERT_EQ(normal_trades[i], std::uint64_t(i + 1)) << "at " << i;
    EXPECT_FALSE(normal_ws.closed());
    EXPECT_EQ(g.metric("tickcast_websocket_slow_consumer_closes_total"), 1);
    RecordProperty("slow_trades_before_close", int(slow_trades.size()));
    RecordProperty("slow_array_frames", int(slow.array_frames));
}

// Draining (docs/protocol.md): a coalescing client, idle or with a backlog,
// gets what was being written, then {"type":"draining"} as the last message
// (alone or ending an array), then close 1012.
TEST(WebSocketCoalesce, on_sigterm_a_coalescing_client_gets_draining_last_then_close_1012) {
    GatewayUnderTest g(", send_queue_limit: 16MiB");
    WsClient idle_ws(g.address(), "", 0, "/?coalesce=1");
    WsClient backlog_ws(g.address(), "", 4096, "/?coalesce=1");
    Messages idle(idle_ws), backlog(backlog_ws);
    backlog_ws.send(R"({"op":"subscribe","channels":["ticker.X"],"id":1})");
    ASSERT_TRUE(backlog.next_type("ack"));
    idle_ws.send(R"({"op":"ping","id":1})");
    ASSERT_TRUE(idle.next_type("pong"));
    // 6 MB the backlogged client does not read: more than the socket buffers hold (4 MB at most).
    const std::size_t count = 3000;
    const std::string pad(2000, 'x');
    for (std::size_t i = 1; i <= count; ++i) g.publish("ticker.X", i, R"({"pad":")" + pad + "\"}");
    ASSERT_TRUE(eventually([&] { return g.metric("tickcast_websocket_deliveries_total") == double(count); }));

    std::thread stopper([&] { EXPECT_EQ(g.stop(), 0) << g.log(); });
    const std::uint64_t idle_events = read_until_draining(idle), backlog_events = read_until_draining(backlog);
    stopper.join();
    EXPECT_EQ(idle_events, 0u);
    EXPECT_LT(backlog_events, count) << "what was queued behind the frame being written is dropped";
    EXPECT_TRUE(idle_ws.closed());
    EXPECT_EQ(idle_ws.close_code(), 1012);
    EXPECT_TRUE(backlog_ws.closed());
    EXPECT_EQ(backlog_ws.close_code(), 1012);
    RecordProperty("backlog_events_before_draining", int(backlog_events));
    RecordProperty("backlog_array_frames", int(backlog.array_frames));
}
