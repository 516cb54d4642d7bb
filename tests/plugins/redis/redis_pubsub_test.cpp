// redis_pubsub end to end through real daemons and a real redis-server:
// delivery to several subscribers in order, exact gap reports, sharded mode.
#include <gtest/gtest.h>

#include <thread>

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

    // A loss at the tail: nothing follows 201..230, so only the publisher's
    // heartbeat with its last seq can reveal it.
    command(c.get(), {"CLIENT", "KILL", "TYPE", "pubsub"});
    publish(201, 230);
    ASSERT_TRUE(eventually(subscribed)) << sub.process().err();
    auto heartbeat = [&](std::uint64_t seq) {
        tickcast::Event e;
        e.seq = seq;
        e.flags = tickcast::event_flags::heartbeat;
        command(c.get(), {"PUBLISH", "ps2:gap.C", tickcast::redis::encode_message(e)});
    };
    heartbeat(200);  // not news: nothing is emitted
    heartbeat(230);
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("out.jsonl")).size() >= 151; }));
    heartbeat(230);  // the same again: nothing
    publish(231, 231);
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("out.jsonl")).size() >= 152; }));
    const auto after = read_jsonl(dir.file("out.jsonl"));
    ASSERT_EQ(after.size(), 152u);
    EXPECT_EQ(after[150].at("seq").to_number<int>(), 230);
    EXPECT_TRUE(after[150].contains("heartbeat") && after[150].contains("gap")) << boost::json::serialize(after[150]);
    EXPECT_EQ(after[151].at("seq").to_number<int>(), 231);
    EXPECT_FALSE(after[151].contains("gap"));
    EXPECT_EQ(sub.metric(R"(tickcast_redis_source_missed_events_total{pipeline="sub",plugin="redis_pubsub"})"), 80);
    EXPECT_EQ(sub.metric(R"(tickcast_redis_source_gaps_total{pipeline="sub",plugin="redis_pubsub"})"), 2);
    sub.process().signal(SIGTERM);
    EXPECT_EQ(sub.process().wait(), 0);
}

TEST(RedisPubSub, the_sink_sends_heartbeats_with_the_last_seq_of_quiet_channels_for_heartbeat_for) {
    RedisServer redis;
    TempDir dir;
    auto sub = redis.connect();
    ASSERT_TRUE(command(sub.get(), {"SUBSCRIBE", "ps4:hb.C"}));
    // A relay that lives on after its last event: in.C (published by the
    // test) -> redis_pubsub sink -> ps4:hb.C.
    const std::string config =
        "resources:\n  bus: {plugin: redis, url: \"" + redis.url() + "\"}\npipelines:\n"
        "  pub:\n    source: {plugin: redis_pubsub, redis: bus, prefix: \"ps5:\", channels: [hb.C]}\n"
        "    sinks: [{plugin: redis_pubsub, name: relay, redis: bus, prefix: \"ps4:\", heartbeat: 100ms, heartbeat_for: 500ms}]\n";
    DaemonProcess pub(dir.write("pub.yaml", config));
    auto in = redis.connect();
    ASSERT_TRUE(eventually([&] { return command(in.get(), {"PUBSUB", "NUMSUB", "ps5:hb.C"})->element[1]->integer == 1; }));
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
        tickcast::Event e;
        e.seq = seq;
        e.payload = tickcast::make_payload("x");
        command(in.get(), {"PUBLISH", "ps5:hb.C", tickcast::redis::encode_message(e)});
    }
    // 20 events, then heartbeats: each with the last seq and no payload.
    timeval tv{10, 0};  // a read that waits this long means nothing came
    redisSetTimeout(sub.get(), tv);
    auto next = [&] {
        void* raw = nullptr;
        if (redisGetReply(sub.get(), &raw) != REDIS_OK) throw std::runtime_error("no message: " + std::string(sub.get()->errstr));
        Reply r(static_cast<redisReply*>(raw), freeReplyObject);
        tickcast::Event e;
        std::string error;
        if (!tickcast::redis::decode_message(std::string_view(r->element[2]->str, r->element[2]->len), e, error))
            throw std::runtime_error(error);
        return e;
    };
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
        const tickcast::Event e = next();
        ASSERT_EQ(e.seq, seq);
        ASSERT_EQ(e.flags & tickcast::event_flags::heartbeat, 0u);
    }
    for (int i = 0; i < 3; ++i) {
        const tickcast::Event e = next();
        EXPECT_EQ(e.seq, 20u);
        EXPECT_NE(e.flags & tickcast::event_flags::heartbeat, 0u);
        EXPECT_TRUE(e.payload_view().empty());
    }
    // heartbeat_for 500 ms at one beat per 100 ms: 5 beats after the last
    // event, then the channel is forgotten and the count stays.
    const std::string beats = R"(tickcast_redis_heartbeats_total{pipeline="pub",plugin="relay"})";
    ASSERT_TRUE(eventually([&] { return pub.metric(beats) == 5; })) << pub.metric(beats);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_EQ(pub.metric(beats), 5);
}

// Pub/Sub keeps nothing: a batch a sink fails cannot be read again, so the
// source reports it lost, and the daemon says so in its exit status.
TEST(RedisPubSub, a_batch_a_sink_fails_is_reported_lost_and_the_daemon_exits_1) {
    RedisServer& redis = shared_redis();
    TempDir dir;
    const std::string config = "resources:\n  bus: {plugin: redis, url: \"" + redis.url() + "\"}\npipelines:\n"
                               "  sub:\n    source: {plugin: redis_pubsub, redis: bus, prefix: \"ps6:\", channels: [trades.S], batch: 1}\n"
                               "    sinks: [{plugin: fail_sink, fail_every: 10}, {plugin: capture_sink, path: " + dir.file("out.jsonl") + "}]\n";
    DaemonProcess sub(dir.write("sub.yaml", config));
    auto c = redis.connect();
    ASSERT_TRUE(eventually([&] { return command(c.get(), {"PUBSUB", "NUMSUB", "ps6:trades.S"})->element[1]->integer == 1; }))
        << sub.process().err();
    Process pub({TICKCAST_DAEMON, "run", dir.write("pub.yaml", publisher_config(redis.url(), "ps6:", 30))},
                {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    ASSERT_EQ(pub.wait(), 0) << pub.err();
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("out.jsonl")).size() >= 30; })) << sub.process().err();
    // Batches of one event: events 10, 20 and 30 fail in fail_sink.
    ASSERT_TRUE(eventually([&] { return sub.metric(R"(tickcast_pipeline_lost_events_total{pipeline="sub"})") == 3; }))
        << sub.process().err();
    sub.process().signal(SIGTERM);
    EXPECT_EQ(sub.process().wait(), 1) << sub.process().err();
    EXPECT_NE(sub.process().err().find("pipeline 'sub' finished, but 3 events were lost"), std::string::npos) << sub.process().err();
}
