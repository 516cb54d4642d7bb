// Coalescing (?coalesce=1): a client that asks for it gets what is queued for
// it as JSON-array frames "[m1,m2,...]" within the caps, every message once
// and in order; a client that does not ask, on the same gateway, never sees
// an array.
#include <gtest/gtest.h>

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
