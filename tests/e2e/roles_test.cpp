// configs/roles as separate daemons, as scripts/cluster-demo.sh runs them:
// one match daemon (hosting the embedded Kafka cluster), one fanout daemon
// and two gateways on their own ports, against one Redis. A client on each
// gateway gets the same stream: the same seqs with the same payloads.
#include <gtest/gtest.h>

#include <map>

#include "feed.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;
namespace json = boost::json;

TEST(Roles, two_gateways_deliver_identical_streams) {
    RedisServer redis;
    TempDir dir;
    const std::string roles = TICKCAST_SOURCE_DIR "/configs/roles/";
    const std::string bootstrap = dir.file("kafka.bootstrap");
    DaemonProcess match(roles + "match.yaml", {"TICKCAST_KAFKA_BOOTSTRAP_FILE=" + bootstrap, "TICKCAST_ORDER_RATE=400"});
    ASSERT_TRUE(eventually([&] { return !Process::slurp(bootstrap).empty(); })) << match.process().err();
    std::string brokers = Process::slurp(bootstrap);
    brokers.pop_back();  // the newline
    DaemonProcess fanout(roles + "fanout.yaml", {"TICKCAST_KAFKA_BROKERS=" + brokers, "TICKCAST_REDIS_URL=" + redis.url()});
    const std::string ws1 = free_address(), ws2 = free_address();
    DaemonProcess gateway1(roles + "gateway.yaml", {"TICKCAST_REDIS_URL=" + redis.url(), "TICKCAST_WS_LISTEN=" + ws1});
    DaemonProcess gateway2(roles + "gateway.yaml", {"TICKCAST_REDIS_URL=" + redis.url(), "TICKCAST_WS_LISTEN=" + ws2});
    auto c = redis.connect();
    ASSERT_TRUE(eventually([&] { return command(c.get(), {"XLEN", "tc:trades.BTC-USDT"})->integer > 20; },
                           std::chrono::seconds(40)))
        << fanout.process().err();
    (void)gateway1.admin();  // both gateways are up and listening
    (void)gateway2.admin();

    WsClient client1(ws1), client2(ws2);
    // Read both at once: each client's reads are bounded, so alternate.
    Feed feeds[2];
    std::thread second([&] { feeds[1] = read_feed(client2, "trades.BTC-USDT", std::chrono::seconds(5)); });
    feeds[0] = read_feed(client1, "trades.BTC-USDT", std::chrono::seconds(5));
    second.join();
    ASSERT_FALSE(::testing::Test::HasFailure());

    std::map<std::uint64_t, std::string> seen[2];
    for (int i = 0; i < 2; ++i)
        for (const auto& m : feeds[i].live) seen[i][m.at("seq").to_number<std::uint64_t>()] = json::serialize(m.at("data"));
    std::size_t common = 0;
    for (const auto& [seq, payload] : seen[0])
        if (auto it = seen[1].find(seq); it != seen[1].end()) {
            EXPECT_EQ(it->second, payload) << "trade " << seq << " differs between the gateways";
            ++common;
        }
    EXPECT_GT(common, 10u) << "both clients should see the trades of the same seconds";

    for (DaemonProcess* d : {&gateway1, &gateway2, &fanout, &match}) {
        d->process().signal(SIGTERM);
        EXPECT_EQ(d->process().wait(), 0) << d->process().err();
    }
}
