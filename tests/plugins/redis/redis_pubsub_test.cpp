// redis_pubsub end to end through real daemons and a real redis-server:
// delivery to several subscribers in order, exact gap reports, sharded mode.
#include <gtest/gtest.h>

#include "redis_client.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"
#include "wire.hpp"

using namespace tickcast::test;

namespace {

std::string subscribers_config(const std::string& url, const std::string& prefix, const TempDir& dir, bool sharded = false) {
    std::string channels = sharded ? "[trades.S]" : "[\"trades.*\"]";
    std::string s = "resources:\n  bus: {plugin: redis, url: \"" + url + "\"}\npipelines:\n";
    for (const char* name : {"a", "b"})
        s += std::string("  ") + name + ":\n    source: {plugin: redis_pubsub, redis: bus, prefix: \"" + prefix + "\", sharded: " +
             (sharded ? "true" : "false") + ", channels: " + channels + "}\n    sinks: [{plugin: capture_sink, path: " +
             dir.file(std::string(name) + ".jsonl") + "}]\n";
    return s;
}

std::string publisher_config(const std::string& url, const std::string& prefix, int count, bool sharded = false) {
    return "resources:\n  bus: {plugin: redis, url: \"" + url + "\"}\npipelines:\n  pub:\n"
           "    source: {plugin: mock_source, repeat: " + std::to_string(count) +
           ", batch: 50, events: [{channel: trades.S, key: S, payload: {price: \"1.5\"}}]}\n"
           "    sinks: [{plugin: redis_pubsub, redis: bus, prefix: \"" + prefix + "\", sharded: " + (sharded ? "true" : "false") + "}]\n";
}

// Subscribed clients (NUMPAT counts distinct patterns, not subscribers).
long long subscriber_count(redisContext* c, bool sharded) {
    if (sharded) return command(c, {"PUBSUB", "SHARDNUMSUB", "ps3:trades.S"})->element[1]->integer;
    Reply r = command(c, {"CLIENT", "LIST", "TYPE", "pubsub"});
    const std::string list(r->str, r->len);
    return std::count(list.begin(), list.end(), '\n');
}

void check_in_order(const std::vector<boost::json::object>& events, std::uint64_t first, std::uint64_t last) {
    ASSERT_EQ(events.size(), last - first + 1);
    for (std::size_t i = 0; i < events.size(); ++i) {
        ASSERT_EQ(events[i].at("seq").to_number<std::uint64_t>(), first + i);
        EXPECT_EQ(events[i].at("channel").as_string(), "trades.S");
        EXPECT_EQ(events[i].at("key").as_string(), "S");
    }
}

void run_two_subscribers(bool sharded, const std::string& prefix) {
    RedisServer redis;  // its own: Pub/Sub counts are server-wide
    TempDir dir;
    auto c = redis.connect();
    const long long before = subscriber_count(c.get(), sharded);
    DaemonProcess subs(dir.write("subs.yaml", subscribers_config(redis.url(), prefix, dir, sharded)));
    ASSERT_TRUE(eventually([&] { return subscriber_count(c.get(), sharded) >= before + 2; })) << subs.process().err();

    Process pub({TICKCAST_DAEMON, "run", dir.write("pub.yaml", publisher_config(redis.url(), prefix, 2000, sharded))},
                {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    ASSERT_EQ(pub.wait(), 0) << pub.err();
    for (const char* f : {"a.jsonl", "b.jsonl"})
        ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file(f)).size() >= 2000; })) << f << " " << subs.process().err();
    subs.process().signal(SIGTERM);
    ASSERT_EQ(subs.process().wait(), 0) << subs.process().err();
    check_in_order(read_jsonl(dir.file("a.jsonl")), 1, 2000);
    check_in_order(read_jsonl(dir.file("b.jsonl")), 1, 2000);
}

}  // namespace

TEST(RedisPubSub, two_subscribers_receive_every_event_in_order) { run_two_subscribers(false, "ps1:"); }

TEST(RedisPubSub, sharded_pubsub_delivers_the_same_way) { run_two_subscribers(true, "ps3:"); }

TEST(RedisPubSub, a_subscriber_cut_off_for_a_while_reports_the_exact_gap) {
    RedisServer redis;  // its own: CLIENT KILL TYPE pubsub is server-wide
    TempDir dir;
    auto c = redis.connect();
    const std::string config =
        "resources:\n  bus: {plugin: redis, url: \"" + redis.url() + "\"}\npipelines:\n  sub:\n"
        "    source: {plugin: redis_pubsub, redis: bus, prefix: \"ps2:\", channels: [gap.C]}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("out.jsonl") + "}]\n";
    DaemonProcess sub(dir.write("sub.yaml", config));
    auto subscribed = [&] { return command(c.get(), {"PUBSUB", "NUMSUB", "ps2:gap.C"})->element[1]->integer == 1; };
    ASSERT_TRUE(eventually(subscribed)) << sub.process().err();

    auto publish = [&](std::uint64_t from, std::uint64_t to) {
        for (std::uint64_t seq = from; seq <= to; ++seq) {
            tickcast::Event e;
            e.seq = seq;
            e.payload = tickcast::make_payload("{}");
            command(c.get(), {"PUBLISH", "ps2:gap.C", tickcast::redis::encode_message(e)});
        }
    };
    publish(1, 100);
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("out.jsonl")).size() == 100; }));
    // Cut the subscriber off; what is published before it is back is gone.
    command(c.get(), {"CLIENT", "KILL", "TYPE", "pubsub"});
    publish(101, 150);
    ASSERT_TRUE(eventually(subscribed)) << sub.process().err();
    publish(151, 200);
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("out.jsonl")).size() >= 150; }));

    const auto events = read_jsonl(dir.file("out.jsonl"));
    ASSERT_EQ(events.size(), 150u);
    EXPECT_EQ(events[99].at("seq").to_number<int>(), 100);
    EXPECT_EQ(events[100].at("seq").to_number<int>(), 151);
    EXPECT_TRUE(events[100].contains("gap")) << "the first event after the loss carries the gap flag";
    EXPECT_FALSE(events[99].contains("gap"));
    EXPECT_EQ(sub.metric(R"(tickcast_redis_source_missed_events_total{pipeline="sub",plugin="redis_pubsub"})"), 50);
    EXPECT_EQ(sub.metric(R"(tickcast_redis_source_gaps_total{pipeline="sub",plugin="redis_pubsub"})"), 1);
    sub.process().signal(SIGTERM);
    EXPECT_EQ(sub.process().wait(), 0);
}
