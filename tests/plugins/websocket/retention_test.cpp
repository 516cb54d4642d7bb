// What the gateway keeps of the events it has delivered, hosted in-process
// (tickcast::testing) so that the test holds the very payloads it writes and
// can see who else still does. A client on a thread of its own talks to it
// over a real socket while the harness runs the gateway's handlers.
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include <tickcast/testing.hpp>

#include "support/ws_client.hpp"

using namespace std::chrono_literals;
using tickcast::testing::PluginLibrary;
using tickcast::testing::SinkHarness;

namespace {

std::string gateway_address(const SinkHarness& sink) {
    std::smatch m;
    for (const auto& line : sink.logs())
        if (std::regex_search(line.text, m, std::regex(R"(websocket gateway on ws://([0-9.]+:\d+)/)"))) return m[1];
    return {};
}

}  // namespace

// The matching stage allocates payloads in slabs of hundreds of events: a
// payload the gateway kept after delivering it (in its record of recent
// messages, for later subscribers' snapshot merges) kept the whole slab
// alive, and on a quiet channel for hours. The soak (bench/soak) saw the
// daemon's RSS grow ~70 MB a minute with 50 subscribers.
TEST(WebSocketRetention, a_delivered_payload_is_not_kept_by_the_gateway) {
    SinkHarness sink(PluginLibrary::load(TICKCAST_PLUGIN_FILE), "websocket_server", {{"listen", "127.0.0.1:0"}, {"heartbeat", "0"}});
    ASSERT_TRUE(sink.start());
    const std::string address = gateway_address(sink);
    ASSERT_FALSE(address.empty());

    std::atomic<bool> subscribed{false}, received{false}, done{false};
    std::thread client([&] {
        tickcast::test::WsClient c(address);
        c.send(R"({"op":"subscribe","channels":["trades.X"],"id":1})");
        if (c.read_type("ack")) subscribed = true;
        if (c.read_type("event")) received = true;
        while (!done) std::this_thread::sleep_for(1ms);
    });
    ASSERT_TRUE(sink.run_until([&] { return subscribed.load(); }));

    tickcast::Event e = tickcast::testing::event("trades.X", R"({"type":"trade","price":"1.00"})", 1);
    const tickcast::Payload payload = e.payload;
    ASSERT_TRUE(sink.wait_for_ack(sink.write({std::move(e)})));
    EXPECT_TRUE(sink.run_until([&] { return received.load(); }));

    // While the subscriber stays (leaving would clear what the channel
    // keeps), only the test's own reference is left once the batch is done.
    EXPECT_TRUE(sink.run_until([&] { return payload.use_count() == 1; }, 1s)) << payload.use_count() << " references";
    done = true;
    client.join();
}
