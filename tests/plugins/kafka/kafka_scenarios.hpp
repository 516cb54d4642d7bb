// The Kafka test scenarios, each run against the embedded test broker
// (kafka_embedded_test.cpp) and a real Apache Kafka broker
// (kafka_broker_test.cpp). `brokers` is the YAML value of the kafka
// resource's brokers option.
#pragma once

#include <functional>

#include "kafka_test_support.hpp"

namespace tickcast::kafka::test {

// TICKCAST_TEST_RDKAFKA_DEBUG (e.g. "cgrp,topic,fetch") turns on librdkafka's
// debug contexts in every client; its lines log at debug level.
inline std::string cluster_yaml(const std::string& brokers) {
    const char* debug = std::getenv("TICKCAST_TEST_RDKAFKA_DEBUG");
    return "resources:\n  bus: {plugin: kafka, brokers: " + brokers + ", connect_timeout: 20s" +
           (debug ? std::string(", librdkafka: {debug: \"") + debug + "\"}" : std::string()) + "}\n";
}

// "[host:port]" -> "host:port", for kcat.
inline std::string bootstrap_of(const std::string& brokers) { return brokers.substr(1, brokers.size() - 2); }

// Messages librdkafka reported as not delivered by the kafka_sink of `pipeline`:
// mock_source only logs a failed batch, so a test must look here to tell a
// producer-side loss from a consumer-side one.
inline double delivery_failures(const DaemonRun& run, const std::string& pipeline = "produce") {
    return metric(run.metrics(), "tickcast_kafka_sink_delivery_failures_total{pipeline=\"" + pipeline + "\",plugin=\"kafka_sink\"}");
}

// kafka_sink -> topic -> kafka_source: every event arrives once, in order per key.
inline void round_trip(const std::string& brokers, std::size_t total) {
    TempDir dir;
    const std::string topic = unique_name("roundtrip"), out = dir.file("out.jsonl");
    DaemonRun run("daemon: {threads: 2}\n" + cluster_yaml(brokers) +
                  "pipelines:\n"
                  "  produce:\n    source: " + feed(total) + "\n"
                  "    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n"
                  "  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + unique_name("g") + "}\n"
                  "    sinks: [{plugin: capture_sink, path: " + out + "}]\n");
    const Captured got = wait_for({out}, total, 120s);
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    EXPECT_EQ(delivery_failures(run), 0);
    EXPECT_TRUE(complete_in_topic(got, 8, total / 8, bootstrap_of(brokers), topic));
    EXPECT_TRUE(in_order_per_key(got));
    EXPECT_EQ(got.duplicates(), 0u) << "a clean run delivers every event once";
    const std::string m = run.metrics();
    EXPECT_EQ(metric(m, R"(tickcast_plugin_events_out_total{kind="sink",pipeline="produce",plugin="kafka_sink"})"), double(total));
    EXPECT_GT(metric(m, R"(tickcast_kafka_source_commits_total{pipeline="consume",plugin="kafka_source"})"), 0);
}

// Writes `total` events to `topic` through kafka_sink and waits until all are delivered.
inline void produce(const std::string& brokers, const std::string& topic, std::size_t total) {
    DaemonRun run(cluster_yaml(brokers) + "pipelines:\n  produce:\n    source: " + feed(total) +
                  "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n");
    ASSERT_EQ(run.wait(), 0);
    ASSERT_EQ(delivery_failures(run), 0);
}

inline std::string write_consumer_config(const TempDir& dir, const std::string& name, const std::string& brokers,
                                         const std::string& topic, const std::string& group, const std::string& out) {
    // batch 10 and a slow sink keep the consumer busy long enough to be killed mid-stream.
    return dir.write(name, cluster_yaml(brokers) +
                               "pipelines:\n  consume:\n    max_in_flight: 200\n"
                               "    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + group +
                               ", batch: 10, commit_interval: 100ms, librdkafka: {session.timeout.ms: 6000}}\n"
                               "    sinks: [{plugin: fail_sink, delay: 1ms}, {plugin: capture_sink, path: " + out + "}]\n");
}

// A consumer killed with SIGKILL mid-stream and restarted resumes from the
// last commit: everything arrives at least once, nothing is skipped.
inline void crash_restart(const std::string& brokers) {
    TempDir dir;
    const std::string topic = unique_name("crash"), group = unique_name("g");
    constexpr std::size_t total = 8000;
    produce(brokers, topic, total);
    const std::string out1 = dir.file("out1.jsonl"), out2 = dir.file("out2.jsonl");
    {
        Process first({TICKCAST_DAEMON, "--log-level", "warn", "run", write_consumer_config(dir, "c1.yaml", brokers, topic, group, out1)});
        wait_for_lines(out1, total / 4);
        first.signal(SIGKILL);
        EXPECT_EQ(first.wait(), -SIGKILL);
    }
    Captured before;
    before.read(out1);
    ASSERT_GE(before.lines, total / 4) << "the first consumer did not get going";
    ASSERT_LT(before.distinct(), total) << "the first consumer finished before it could be killed";

    Process second({TICKCAST_DAEMON, "--log-level", "warn", "run", write_consumer_config(dir, "c2.yaml", brokers, topic, group, out2)});
    Captured after = wait_for({out1, out2}, total, 90s);
    second.signal(SIGTERM);
    EXPECT_EQ(second.wait(), 0) << second.err();
    EXPECT_TRUE(complete_in_topic(after, 8, total / 8, bootstrap_of(brokers), topic));
    Captured resumed;
    resumed.read(out2);
    EXPECT_TRUE(in_order_per_key(resumed));
    EXPECT_LT(resumed.lines, total) << "the restarted consumer re-read everything instead of resuming from the commit";
    // It resumed at or before where the first one got to on every key: no gap.
    for (const auto& [channel, seqs] : resumed.seqs) {
        const auto& first_seqs = before.seqs[channel];
        const std::uint64_t reached = first_seqs.empty() ? 0 : *std::max_element(first_seqs.begin(), first_seqs.end());
        EXPECT_LE(seqs.front(), reached + 1) << channel;
    }
}

// Two sources in one group on a 4-partition topic split the partitions and
// keep per-key order; a rebalance in the middle loses nothing.
inline void consumer_group(const std::string& brokers, const std::string& topic) {
    TempDir dir;
    constexpr std::size_t total = 16000;
    const std::string group = unique_name("g"), a = dir.file("a.jsonl"), b = dir.file("b.jsonl");
    auto consumer = [&](const std::string& name, const std::string& out) {
        return "  " + name + ":\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + group +
               ", batch: 50}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n";
    };
    DaemonRun run("daemon: {threads: 2}\n" + cluster_yaml(brokers) + "pipelines:\n  produce:\n    source: " + feed(total, 8, 4000) +
                  "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n" + consumer("a", a) + consumer("b", b));
    const Captured both = wait_for({a, b}, total, 90s);
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    EXPECT_EQ(delivery_failures(run), 0);
    EXPECT_TRUE(complete_in_topic(both, 8, total / 8, bootstrap_of(brokers), topic));
    Captured ca, cb;
    ca.read(a);
    cb.read(b);
    EXPECT_GT(ca.lines, 0u) << "source a got no partition";
    EXPECT_GT(cb.lines, 0u) << "source b got no partition";
    EXPECT_TRUE(in_order_per_key(ca));
    EXPECT_TRUE(in_order_per_key(cb));
    const std::string m = run.metrics();
    EXPECT_GT(metric(m, R"(tickcast_kafka_source_rebalances_total{pipeline="a",plugin="kafka_source"})"), 0);
}

// kcat reads what kafka_sink wrote (value, key and tickcast headers), and
// kafka_source reads what kcat wrote (plain JSON, routed by a field).
inline void kcat_interop(const std::string& brokers, const std::string& bootstrap) {
    TempDir dir;
    const std::string topic_out = unique_name("tokcat"), topic_in = unique_name("fromkcat");
    produce(brokers, topic_out, 80);
    Process read({"/usr/bin/kcat", "-C", "-b", bootstrap, "-t", topic_out, "-o", "beginning", "-e", "-q", "-f", "%k|%s|%h\n"});
    ASSERT_EQ(read.wait(30s), 0) << read.err();
    const std::string text = read.out();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 80);
    EXPECT_NE(text.find(R"(K3|{"price":"100.5","qty":"2"}|tc.channel=trades.K3,tc.seq=)"), std::string::npos) << text.substr(0, 400);

    std::string lines;
    for (int i = 1; i <= 50; ++i) lines += "K" + std::to_string(i % 5) + ":{\"ch\":\"trades.K" + std::to_string(i % 5) + "\",\"n\":" + std::to_string(i) + "}\n";
    lines += "K9:not json\n";
    const std::string input = dir.write("in.txt", lines);
    Process write({"/usr/bin/kcat", "-P", "-b", bootstrap, "-t", topic_in, "-K:", "-l", input});
    ASSERT_EQ(write.wait(30s), 0) << write.err();

    const std::string out = dir.file("in.jsonl");
    DaemonRun run(cluster_yaml(brokers) + "pipelines:\n  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic_in +
                  "], group: " + unique_name("g") + ", channel_field: ch}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n");
    wait_for_lines(out, 50, 60s);
    const std::string m = [&] {
        // the skipped line is counted once it was read; it comes last
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        std::string text;
        while (std::chrono::steady_clock::now() < deadline) {
            text = run.metrics();
            if (metric(text, R"(tickcast_kafka_source_decode_errors_total{pipeline="consume",plugin="kafka_source"})") >= 1) break;
            std::this_thread::sleep_for(50ms);
        }
        return text;
    }();
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    Captured got;
    got.read(out);
    EXPECT_EQ(got.lines, 50u);
    EXPECT_EQ(got.seqs["trades.K1"].size(), 10u);
    EXPECT_EQ(metric(m, R"(tickcast_kafka_source_decode_errors_total{pipeline="consume",plugin="kafka_source"})"), 1);
}

// Runs one kafka_source (`group`, `start`) on `topic`; once it has its
// partitions, calls `once_assigned`, then waits for `expected` events and a
// second more for any extra one. Returns what the source delivered.
inline Captured read_from(const std::string& brokers, const std::string& topic, const std::string& group, const std::string& start,
                          std::size_t expected, const std::function<void()>& once_assigned = {}) {
    TempDir dir;
    const std::string out = dir.file("out.jsonl");
    DaemonRun run(cluster_yaml(brokers) + "pipelines:\n  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic +
                  "], group: " + group + ", start: " + start + ", commit_interval: 50ms}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n");
    const std::string assigned = R"(tickcast_kafka_source_rebalances_total{pipeline="consume",plugin="kafka_source"})";
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (metric(run.metrics(), assigned) < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    EXPECT_GE(metric(run.metrics(), assigned), 1) << "the source never got its partitions";
    if (once_assigned) {
        std::this_thread::sleep_for(2s);  // the `latest` position is fetched after the assignment
        once_assigned();
    }
    if (expected > 0) wait_for_lines(out, expected);
    std::this_thread::sleep_for(1s);
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    Captured got;
    got.read(out);
    return got;
}

// The three start positions: `committed` resumes after the group's commit
// (from the earliest offset when there is none), `earliest` and `latest`
// ignore the group's commits the first time a partition is assigned.
inline void start_positions(const std::string& brokers, const std::string& topic) {
    produce(brokers, topic, 80);
    const std::string group = unique_name("g");
    EXPECT_EQ(read_from(brokers, topic, group, "committed", 80).lines, 80u) << "no commit yet: from the earliest";
    produce(brokers, topic, 40);
    const Captured resumed = read_from(brokers, topic, group, "committed", 40);
    EXPECT_EQ(resumed.lines, 40u) << "after the commit: only what is new";
    for (const auto& [channel, seqs] : resumed.seqs)
        EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 4, 5})) << channel << ": the second run's events, in order";
    EXPECT_EQ(read_from(brokers, topic, unique_name("g"), "latest", 40, [&] { produce(brokers, topic, 40); }).lines, 40u)
        << "latest: only what was written after the source started";
    EXPECT_EQ(read_from(brokers, topic, group, "earliest", 160).lines, 160u) << "earliest: everything, the commits ignored";
}


}  // namespace tickcast::kafka::test
