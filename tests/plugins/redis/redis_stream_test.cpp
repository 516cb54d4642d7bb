// redis_stream end to end: a reader killed mid-stream and restarted from its
// last seq misses nothing and duplicates nothing; replays are refused by
// Redis; a consumer group acknowledges what its sinks handled.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "support/daemon_process.hpp"
#include "support/in_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;

namespace {

std::string producer(const std::string& url, const std::string& prefix, int count, int rate) {
    return "resources:\n  bus: {plugin: redis, url: \"" + url + "\"}\npipelines:\n  pub:\n"
           "    source: {plugin: mock_source, repeat: " + std::to_string(count) + ", rate: " + std::to_string(rate) +
           ", events: [{channel: trades.S, key: S, payload: {price: \"2.5\"}}]}\n"
           "    sinks: [{plugin: redis_stream, redis: bus, prefix: \"" + prefix + "\", maxlen: 100000}]\n";
}

std::string reader(const std::string& url, const std::string& prefix, const std::string& out, const std::string& extra) {
    return "resources:\n  bus: {plugin: redis, url: \"" + url + "\"}\npipelines:\n  sub:\n"
           "    source: {plugin: redis_stream, redis: bus, prefix: \"" + prefix + "\", channels: [\"trades.*\"]" + extra + "}\n"
           "    sinks: [{plugin: capture_sink, path: " + out + "}]\n";
}

std::uint64_t seq_of(const boost::json::object& e) { return e.at("seq").to_number<std::uint64_t>(); }

}  // namespace

TEST(RedisStream, a_reader_restarted_mid_stream_resumes_with_no_gap_and_no_duplicate) {
    RedisServer& redis = shared_redis();
    TempDir dir;
    const int total = 3000;
    DaemonProcess first(dir.write("r1.yaml", reader(redis.url(), "st1:", dir.file("r1.jsonl"), ", start: all")));
    Process pub({TICKCAST_DAEMON, "run", dir.write("pub.yaml", producer(redis.url(), "st1:", total, 1000))},
                {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR});
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("r1.jsonl")).size() > 300; })) << first.process().err();
    first.process().signal(SIGKILL);  // no goodbye: a crash
    first.process().wait();
    const auto before = read_jsonl(dir.file("r1.jsonl"));
    ASSERT_FALSE(before.empty());
    const std::uint64_t last = seq_of(before.back());
    ASSERT_LT(last, std::uint64_t(total)) << "the producer should still be running";

    DaemonProcess second(dir.write("r2.yaml", reader(redis.url(), "st1:", dir.file("r2.jsonl"),
                                                     ", since: {trades.S: " + std::to_string(last) + "}")));
    ASSERT_EQ(pub.wait(), 0) << pub.err();
    ASSERT_TRUE(eventually([&] {
        const auto after = read_jsonl(dir.file("r2.jsonl"));
        return !after.empty() && seq_of(after.back()) == std::uint64_t(total);
    })) << second.process().err();
    second.process().signal(SIGTERM);
    EXPECT_EQ(second.process().wait(), 0);

    std::vector<std::uint64_t> seqs;
    for (const auto& e : before) seqs.push_back(seq_of(e));
    for (const auto& e : read_jsonl(dir.file("r2.jsonl"))) {
        EXPECT_FALSE(e.contains("gap"));
        seqs.push_back(seq_of(e));
    }
    ASSERT_EQ(seqs.size(), std::size_t(total));
    for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << "gap or duplicate at " << i;
}

// A stream that appears after the reader started is announced by the sink
// that creates it, and a reader with a pattern reads it at once, from its
// first entry, though its next SCAN is an hour away. A "*" reader takes the
// announcements stream itself for no data stream. Its own Redis: CLIENT
// LIST must show only this test's readers.
TEST(RedisStream, a_stream_created_after_the_reader_started_is_read_at_once) {
    RedisServer own;
    TempDir dir;
    auto config = [&](const std::string& pattern, const std::string& out) {
        return "resources:\n  bus: {plugin: redis, url: \"" + own.url() + "\"}\npipelines:\n  sub:\n"
               "    source: {plugin: redis_stream, redis: bus, prefix: \"st7:\", channels: [\"" + pattern + "\"], discover_every: 1h}\n"
               "    sinks: [{plugin: capture_sink, path: " + out + "}]\n";
    };
    DaemonProcess trades(dir.write("t.yaml", config("trades.*", dir.file("t.jsonl"))));
    DaemonProcess all(dir.write("a.yaml", config("*", dir.file("a.jsonl"))));
    // Both blocked in XREAD, on the announcements alone: no data stream exists yet.
    auto redis = own.connect();
    ASSERT_TRUE(eventually([&] {
        const Reply list = command(redis.get(), {"CLIENT", "LIST"});
        const std::string text = list && list->type == REDIS_REPLY_STRING ? std::string(list->str, list->len) : "";
        std::size_t blocked = 0;
        for (std::size_t at = 0; (at = text.find("cmd=xread", at)) != std::string::npos; at += 9) ++blocked;
        return blocked == 2;
    })) << trades.process().err() << all.process().err();
    ASSERT_EQ(command(redis.get(), {"EXISTS", "st7:trades.S"})->integer, 0);
    ASSERT_EQ(run_config(producer(own.url(), "st7:", 50, 0)).exit_code, 0);
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("t.jsonl")).size() >= 50 && read_jsonl(dir.file("a.jsonl")).size() >= 50; }))
        << trades.process().err() << all.process().err();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (DaemonProcess* d : {&trades, &all}) {
        d->process().signal(SIGTERM);
        EXPECT_EQ(d->process().wait(), 0) << d->process().err();
    }
    for (const std::string file : {"t.jsonl", "a.jsonl"}) {
        const auto events = read_jsonl(dir.file(file));
        ASSERT_EQ(events.size(), 50u) << file;
        for (std::size_t i = 0; i < events.size(); ++i) {
            EXPECT_EQ(events[i].at("channel").as_string(), "trades.S") << file;
            EXPECT_EQ(seq_of(events[i]), i + 1) << file;
        }
    }
}

TEST(RedisStream, replayed_events_are_refused_by_redis_and_counted) {
    RedisServer& redis = shared_redis();
    const std::string config = producer(redis.url(), "st2:", 300, 0);
    ASSERT_EQ(run_config(config).exit_code, 0);
    const RunResult replay = run_config(config);
    ASSERT_EQ(replay.exit_code, 0);
    EXPECT_EQ(replay.metric(R"(tickcast_redis_stream_duplicates_total{pipeline="pub",plugin="redis_stream"})"), 300);
    auto c = redis.connect();
    EXPECT_EQ(command(c.get(), {"XLEN", "st2:trades.S"})->integer, 300);
    Reply last = command(c.get(), {"XREVRANGE", "st2:trades.S", "+", "-", "COUNT", "1"});
    ASSERT_EQ(last->elements, 1u);
    EXPECT_EQ(std::string(last->element[0]->element[0]->str), "300-0");
}

TEST(RedisStream, since_a_seq_reads_exactly_what_follows_it) {
    RedisServer& redis = shared_redis();
    TempDir dir;
    ASSERT_EQ(run_config(producer(redis.url(), "st3:", 100, 0)).exit_code, 0);
    DaemonProcess r(dir.write("r.yaml", reader(redis.url(), "st3:", dir.file("r.jsonl"), ", since: {trades.S: 90}")));
    ASSERT_TRUE(eventually([&] { return read_jsonl(dir.file("r.jsonl")).size() >= 10; })) << r.process().err();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    r.process().signal(SIGTERM);
    EXPECT_EQ(r.process().wait(), 0);
    const auto events = read_jsonl(dir.file("r.jsonl"));
    ASSERT_EQ(events.size(), 10u);
    EXPECT_EQ(seq_of(events.front()), 91u);
    EXPECT_EQ(seq_of(events.back()), 100u);
}

TEST(RedisStream, consumer_group_members_share_the_work_and_ack_it) {
    RedisServer& redis = shared_redis();
    TempDir dir;
    ASSERT_EQ(run_config(producer(redis.url(), "st4:", 2000, 0)).exit_code, 0);
    auto member = [&](const char* name) {
        return dir.write(std::string(name) + ".yaml",
                         reader(redis.url(), "st4:", dir.file(std::string(name) + ".jsonl"),
                                std::string(", start: all, group: workers, consumer: ") + name + ", count: 50"));
    };
    DaemonProcess a(member("a")), b(member("b"));
    ASSERT_TRUE(eventually([&] {
        return read_jsonl(dir.file("a.jsonl")).size() + read_jsonl(dir.file("b.jsonl")).size() >= 2000;
    })) << a.process().err() << b.process().err();
    auto c = redis.connect();
    ASSERT_TRUE(eventually([&] { return command(c.get(), {"XPENDING", "st4:trades.S", "workers"})->element[0]->integer == 0; }))
        << "every entry handled by the sinks is acknowledged";
    a.process().signal(SIGTERM);
    b.process().signal(SIGTERM);
    EXPECT_EQ(a.process().wait(), 0);
    EXPECT_EQ(b.process().wait(), 0);
    std::set<std::uint64_t> all;
    for (const char* f : {"a.jsonl", "b.jsonl"})
        for (const auto& e : read_jsonl(dir.file(f))) EXPECT_TRUE(all.insert(seq_of(e)).second) << "delivered twice: " << seq_of(e);
    EXPECT_EQ(all.size(), 2000u);
}

// A batch's entries for one stream go to Redis in one transaction. Within it,
// a replayed entry is refused and counted while the new ones after it are
// added, and each stream keeps its order when a batch interleaves streams.
TEST(RedisStream, one_batch_over_two_streams_adds_new_entries_in_order_and_counts_replays) {
    RedisServer& redis = shared_redis();
    auto config = [&](const std::vector<std::pair<std::string, int>>& events, int batch = 100) {
        std::string yaml = "resources:\n  bus: {plugin: redis, url: \"" + redis.url() + "\"}\npipelines:\n  pub:\n"
                           "    source:\n      plugin: mock_source\n      batch: " + std::to_string(batch) + "\n      events:\n";
        for (const auto& [channel, seq] : events)
            yaml += "        - {channel: " + channel + ", key: K, seq: " + std::to_string(seq) + ", payload: '{\"n\":\"" + channel +
                    std::to_string(seq) + "\"}'}\n";
        return yaml + "    sinks: [{plugin: redis_stream, redis: bus, prefix: \"st5:\", maxlen: 1000}]\n";
    };
    auto c = redis.connect();
    command(c.get(), {"DEL", "st5:a", "st5:b"});
    ASSERT_EQ(run_config(config({{"a", 1}, {"b", 1}, {"a", 2}, {"b", 2}, {"a", 3}})).exit_code, 0);
    const RunResult second = run_config(config({{"b", 2}, {"a", 2}, {"a", 3}, {"b", 3}, {"a", 4}, {"b", 4}, {"a", 5}}));
    ASSERT_EQ(second.exit_code, 0);
    EXPECT_EQ(second.metric(R"(tickcast_redis_stream_duplicates_total{pipeline="pub",plugin="redis_stream"})"), 3);
    EXPECT_EQ(second.metric(R"(tickcast_plugin_events_out_total{kind="sink",pipeline="pub",plugin="redis_stream"})"), 7);
    EXPECT_EQ(second.metric(R"(tickcast_plugin_errors_total{kind="sink",pipeline="pub",plugin="redis_stream"})"), 0);
    // Batches of one take a plain XADD: handled alike.
    const RunResult single = run_config(config({{"b", 4}, {"b", 5}}, 1));
    ASSERT_EQ(single.exit_code, 0);
    EXPECT_EQ(single.metric(R"(tickcast_redis_stream_duplicates_total{pipeline="pub",plugin="redis_stream"})"), 1);
    EXPECT_EQ(single.metric(R"(tickcast_plugin_events_out_total{kind="sink",pipeline="pub",plugin="redis_stream"})"), 2);
    EXPECT_EQ(single.metric(R"(tickcast_plugin_errors_total{kind="sink",pipeline="pub",plugin="redis_stream"})"), 0);
    auto entries = [&](const std::string& key) {
        std::vector<std::string> out;
        Reply r = command(c.get(), {"XRANGE", key, "-", "+"});
        for (std::size_t i = 0; i < r->elements; ++i) {
            const redisReply* fields = r->element[i]->element[1];
            std::string payload;
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
                if (std::string(fields->element[f]->str) == "payload") payload = fields->element[f + 1]->str;
            out.push_back(std::string(r->element[i]->element[0]->str) + " " + payload);
        }
        return out;
    };
    EXPECT_EQ(entries("st5:a"), (std::vector<std::string>{R"(1-0 {"n":"a1"})", R"(2-0 {"n":"a2"})", R"(3-0 {"n":"a3"})",
                                                          R"(4-0 {"n":"a4"})", R"(5-0 {"n":"a5"})"}));
    EXPECT_EQ(entries("st5:b"), (std::vector<std::string>{R"(1-0 {"n":"b1"})", R"(2-0 {"n":"b2"})", R"(3-0 {"n":"b3"})",
                                                          R"(4-0 {"n":"b4"})", R"(5-0 {"n":"b5"})"}));
}

// capture_sink's `format: stamps`, what bench/ reads: one line per event with
// its channel, seq, origin and every hop's stamp, in the order they were
// stamped, each no earlier than the origin.
TEST(RedisStream, a_stamps_capture_has_the_origin_and_both_redis_hops_per_event) {
    RedisServer& redis = shared_redis();
    TempDir dir;
    std::string out = reader(redis.url(), "st6:", dir.file("stamps.txt"), ", start: all");
    out.replace(out.find("capture_sink, path:"), 19, "capture_sink, format: stamps, path:");
    DaemonProcess sub(dir.write("sub.yaml", out));
    ASSERT_EQ(run_config(producer(redis.url(), "st6:", 20, 0)).exit_code, 0);
    std::vector<std::string> lines;
    ASSERT_TRUE(eventually([&] {
        lines.clear();
        std::ifstream in(dir.file("stamps.txt"));
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines.size() >= 20;
    })) << sub.process().err();
    ASSERT_EQ(lines.size(), 20u);
    const std::regex shape(R"(^trades\.S (\d+) (\d+) redis_out=(\d+) redis_in=(\d+)$)");
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(lines[i], m, shape)) << lines[i];
        EXPECT_EQ(std::stoull(m[1]), i + 1);
        EXPECT_LE(std::stoll(m[2]), std::stoll(m[3])) << lines[i];
        EXPECT_LE(std::stoll(m[3]), std::stoll(m[4])) << lines[i];
    }
}
