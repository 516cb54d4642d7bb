// configs/exchange.yaml in a real daemon: orders placed from outside with
// scripts/order.sh (kcat into the embedded Kafka cluster) meet the makers'
// book, and their outcome reaches the private channel orders.<user> with a
// gap-free seq of its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "feed.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

struct StreamEntry {
    std::uint64_t seq;
    json::object payload;
};

// Every entry of the stream redis_stream keeps for `channel`.
std::vector<StreamEntry> stream(redisContext* c, const std::string& channel) {
    std::vector<StreamEntry> out;
    Reply r = command(c, {"XRANGE", "tc:" + channel, "-", "+"});
    for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* entry = r->element[i];
        StreamEntry e{std::stoull(std::string(entry->element[0]->str)), {}};
        const redisReply* fields = entry->element[1];
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
            if (std::string_view(fields->element[f]->str) == "payload")
                e.payload = json::parse(fields->element[f + 1]->str).as_object();
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace

TEST(Exchange, orders_from_outside_trade_against_the_makers_and_reach_the_private_channel) {
    RedisServer redis;
    TempDir dir;
    std::string config = Process::slurp(TICKCAST_SOURCE_DIR "/configs/exchange.yaml");
    config = std::regex_replace(config, std::regex("rate: 20"), "rate: 300");  // a deeper book sooner
    const std::string bootstrap = dir.file("kafka.bootstrap"), ws = free_address();
    const std::string secret = "exchange-test-secret-0123456789";
    DaemonProcess daemon(dir.write("exchange.yaml", config),
                         {"TICKCAST_REDIS_URL=" + redis.url(), "TICKCAST_WS_LISTEN=" + ws,
                          "TICKCAST_KAFKA_BOOTSTRAP_FILE=" + bootstrap, "TICKCAST_AUTH_SECRET=" + secret});
    auto c = redis.connect();
    // The makers' orders went through Kafka and the engine: the book is live.
    ASSERT_TRUE(eventually([&] { return stream(c.get(), "trades.BTC-USDT").size() > 20; }, std::chrono::seconds(40)))
        << daemon.process().err();
    ASSERT_TRUE(std::filesystem::exists(bootstrap));

    // alice follows her private channel with a token from scripts/token.sh.
    Process mint({"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/token.sh", "alice", "600"}, {"TICKCAST_AUTH_SECRET=" + secret});
    ASSERT_EQ(mint.wait(), 0) << mint.err();
    std::string token = mint.out();
    token.erase(token.find_last_not_of("\n") + 1);
    WsClient alice(ws, "", 0, "/?token=" + token);
    alice.send(R"({"op":"subscribe","channels":["orders.alice"],"id":1})");

    auto order = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/order.sh"});
        Process p(args, {"TICKCAST_KAFKA_BOOTSTRAP_FILE=" + bootstrap});
        EXPECT_EQ(p.wait(), 0) << p.err();
        return std::stoull(p.out());
    };
    // A bid far below the touch rests, then is cancelled; a market buy takes liquidity.
    const auto resting = order({"buy", "BTC-USDT", "0.0002", "950.00", "--user", "alice"});
    order({"cancel", "BTC-USDT", std::to_string(resting), "--user", "alice"});
    const auto taker = order({"buy", "BTC-USDT", "0.0001", "--user", "alice", "--id", std::to_string(resting + 1)});

    std::vector<StreamEntry> mine;
    ASSERT_TRUE(eventually([&] {
        mine = stream(c.get(), "orders.alice");
        return mine.size() >= 4;
    })) << daemon.process().err();
    std::vector<std::string> statuses;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        EXPECT_EQ(mine[i].seq, i + 1) << "orders.alice counts its own events from 1, without a gap";
        statuses.push_back(std::string(mine[i].payload.at("status").as_string()) + ":" +
                           std::to_string(mine[i].payload.at("order_id").to_number<std::uint64_t>() - resting));
    }
    EXPECT_EQ(statuses, (std::vector<std::string>{"accepted:0", "cancelled:0", "accepted:1", "filled:1"}));
    // The fill is a trade on the public channel with alice as the taker.
    bool traded = false;
    for (const auto& t : stream(c.get(), "trades.BTC-USDT"))
        traded |= t.payload.at("taker_order_id").to_number<std::uint64_t>() == taker &&
                  t.payload.at("taker_user").as_string() == "alice";
    EXPECT_TRUE(traded);

    // The same four events reached alice over the WebSocket, in seq order.
    std::vector<std::string> pushed;
    std::uint64_t last_seq = 0;
    while (pushed.size() < 4) {
        auto text = alice.read(std::chrono::seconds(10));
        ASSERT_TRUE(text) << "alice got only " << pushed.size() << " order events";
        const json::object m = json::parse(*text).as_object();
        if (m.at("type") != "event") continue;
        EXPECT_EQ(m.at("channel"), "orders.alice");
        const auto seq = m.at("seq").to_number<std::uint64_t>();
        if (last_seq) {
            EXPECT_EQ(seq, last_seq + 1);
        }
        last_seq = seq;
        pushed.push_back(std::string(m.at("data").at("status").as_string()));
    }
    EXPECT_EQ(pushed, (std::vector<std::string>{"accepted", "cancelled", "accepted", "filled"}));
    // Bob's token does not open alice's channel.
    Process mint_bob({"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/token.sh", "bob", "600"}, {"TICKCAST_AUTH_SECRET=" + secret});
    ASSERT_EQ(mint_bob.wait(), 0);
    std::string bob_token = mint_bob.out();
    bob_token.erase(bob_token.find_last_not_of("\n") + 1);
    WsClient bob(ws, "", 0, "/?token=" + bob_token);
    bob.send(R"({"op":"subscribe","channels":["orders.alice"],"id":1})");
    std::optional<std::string> refused;
    do refused = bob.read(std::chrono::seconds(5));  // past the ack of the token in the URL
    while (refused && json::parse(*refused).at("type") == "ack" && json::parse(*refused).at("op") == "auth");
    ASSERT_TRUE(refused);
    EXPECT_EQ(json::parse(*refused).at("type"), "error") << *refused;

    daemon.process().signal(SIGTERM);
    EXPECT_EQ(daemon.process().wait(), 0) << daemon.process().err();
    EXPECT_FALSE(std::filesystem::exists(bootstrap)) << "the bootstrap file is removed at stop";
}
