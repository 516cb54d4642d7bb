// The Kafka plugins against librdkafka's embedded test broker: real TCP on
// loopback, the Kafka protocol, consumer groups and fault injection.
#include "exactly_once_scenario.hpp"
#include "kafka_scenarios.hpp"

using namespace tickcast::kafka::test;

TEST(KafkaEmbedded, round_trip_of_100k_events_through_an_embedded_resource_loses_and_reorders_nothing) {
    round_trip("embedded", 100'000);
}

TEST(KafkaEmbedded, a_consumer_killed_mid_stream_resumes_from_the_last_commit) {
    EmbeddedCluster cluster;
    crash_restart("[" + cluster.bootstrap() + "]");
}

TEST(KafkaEmbedded, two_sources_in_a_group_split_four_partitions_and_keep_per_key_order) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("group");
    cluster.create_topic(topic, 4);
    consumer_group("[" + cluster.bootstrap() + "]", topic);
}

TEST(KafkaEmbedded, kcat_reads_what_the_sink_wrote_and_the_source_reads_what_kcat_wrote) {
    EmbeddedCluster cluster;
    kcat_interop("[" + cluster.bootstrap() + "]", cluster.bootstrap());
}

TEST(KafkaEmbedded, broker_down_and_injected_request_errors_lose_nothing) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("faults"), out = TempDir().path() + ".faults.jsonl";
    cluster.create_topic(topic, 4);
    constexpr std::size_t total = 12000;
    DaemonRun run("daemon: {threads: 2}\n" + cluster_yaml("[" + cluster.bootstrap() + "]") +
                  "pipelines:\n  produce:\n    source: " + feed(total, 8, 3000) +
                  "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n"
                  "  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + unique_name("g") +
                  ", commit_interval: 50ms}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n");
    wait_for_lines(out, 1000, 30s);
    // Retriable errors on fetch and commit requests (Produce errors have a
    // test of their own below).
    rd_kafka_mock_push_request_errors(cluster.mock(), 1 /* Fetch */, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    rd_kafka_mock_push_request_errors(cluster.mock(), 8 /* OffsetCommit */, 2, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
    std::this_thread::sleep_for(1s);
    // ...then the only broker goes down for two seconds.
    rd_kafka_mock_broker_set_down(cluster.mock(), 1);
    std::this_thread::sleep_for(2s);
    rd_kafka_mock_broker_set_up(cluster.mock(), 1);
    const Captured got = wait_for({out}, total, 60s);
    const std::string m = run.metrics();
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    EXPECT_EQ(metric(m, R"(tickcast_plugin_errors_total{kind="sink",pipeline="produce",plugin="kafka_sink"})"), 0);
    EXPECT_TRUE(complete(got, 8, total / 8));
    EXPECT_TRUE(in_order_per_key(got));
    std::remove(out.c_str());
}

// A Produce request that fails with a retriable error while the next one is
// already in flight: librdkafka 2.0.2 counts the failed batch as delivered
// when the next one succeeds ("implicitly acked"), and a broker with no
// producer state for the partition accepts that next batch although its
// sequence skips the failed one. kafka_sink sends one request at a time
// (max.in.flight.requests.per.connection 1), so the failed batch is retried
// before anything after it: nothing is lost, at the start or mid-stream.
TEST(KafkaEmbedded, produce_errors_at_the_start_and_mid_stream_lose_nothing) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("produce-faults");
    cluster.create_topic(topic, 4);
    constexpr std::size_t total = 8000;
    const auto inject = [&] {
        rd_kafka_mock_push_request_errors(cluster.mock(), 0 /* Produce */, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                          RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                          RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    };
    inject();  // the first requests to every partition fail
    DaemonRun run(cluster_yaml("[" + cluster.bootstrap() + "]") + "pipelines:\n  produce:\n    source: " + feed(total, 8, 4000) +
                  "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n");
    for (int i = 0; i < 4 && !run.ended(); ++i) {
        std::this_thread::sleep_for(300ms);
        inject();
    }
    ASSERT_EQ(run.wait(), 0);
    EXPECT_EQ(delivery_failures(run), 0);
    const TopicContents contents = topic_contents(cluster.bootstrap(), topic);
    Captured in_topic;
    for (const auto& [key, places] : contents.where) in_topic.seqs[key.first].push_back(key.second);
    EXPECT_TRUE(complete(in_topic, 8, total / 8)) << contents.summary();
}

TEST(KafkaEmbedded, a_full_producer_queue_applies_backpressure_and_drops_nothing) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("full");
    TempDir dir;
    const std::string out = dir.file("out.jsonl");
    constexpr std::size_t total = 4000;
    DaemonRun run(cluster_yaml("[" + cluster.bootstrap() + "]") +
                  "pipelines:\n  produce:\n    source: " + feed(total) +
                  "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic +
                  ", librdkafka: {queue.buffering.max.messages: 50}}]\n"
                  "  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + unique_name("g") +
                  "}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n");
    const Captured got = wait_for({out}, total, 60s);
    const std::string m = run.metrics();
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    EXPECT_TRUE(complete(got, 8, total / 8));
    EXPECT_GT(metric(m, R"(tickcast_kafka_sink_queue_full_total{pipeline="produce",plugin="kafka_sink"})"), 0);
}

// A pipeline `consume` reading `topic` through `first_sink`, then a
// capture_sink writing `out`; the options go inside its map and its source's.
namespace {
std::string consume_yaml(const EmbeddedCluster& cluster, const std::string& topic, const std::string& pipeline_options,
                         const std::string& source_options, const std::string& first_sink, const std::string& out) {
    return cluster_yaml("[" + cluster.bootstrap() + "]") + "pipelines:\n  consume:\n" + pipeline_options +
           "    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + unique_name("g") + source_options +
           "}\n    sinks: [" + first_sink + ", {plugin: capture_sink, path: " + out + "}]\n";
}
}  // namespace

TEST(KafkaEmbedded, a_failed_batch_is_read_again_and_never_committed_past) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("redeliver");
    TempDir dir;
    const std::string out = dir.file("out.jsonl");
    constexpr std::size_t total = 2000;
    produce("[" + cluster.bootstrap() + "]", topic, total);
    DaemonRun run(consume_yaml(cluster, topic, "", ", batch: 100, retry_backoff: 10ms", "{plugin: fail_sink, fail_every: 700}", out));
    // capture_sink sees failed batches too; wait until redelivery covered everything.
    wait_for({out}, total, 60s);
    std::this_thread::sleep_for(500ms);
    const std::string m = run.metrics();
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    Captured got;
    got.read(out);
    EXPECT_TRUE(complete(got, 8, total / 8));
    EXPECT_GT(got.duplicates(), 0u) << "failed batches are delivered again";
    EXPECT_GT(metric(m, R"(tickcast_kafka_source_redeliveries_total{pipeline="consume",plugin="kafka_source"})"), 0);
}

// A pipeline that stays full pauses the partitions (so librdkafka stops
// fetching what cannot be taken) and resumes them once the sink catches up;
// resuming fetches again from the last message taken: nothing is lost,
// repeated or reordered.
TEST(KafkaEmbedded, a_full_pipeline_pauses_the_partitions_and_resumes_them_losing_nothing) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("pause");
    TempDir dir;
    const std::string out = dir.file("out.jsonl");
    constexpr std::size_t total = 2000;
    produce("[" + cluster.bootstrap() + "]", topic, total);
    // 200 events in flight and 80 ms per batch of 100: once full, the
    // pipeline stays full past the 50 ms after which the source pauses.
    DaemonRun run(consume_yaml(cluster, topic, "    max_in_flight: 200\n", ", batch: 100", "{plugin: fail_sink, delay: 80ms}", out));
    const std::string pauses = R"(tickcast_kafka_source_backpressure_pauses_total{pipeline="consume",plugin="kafka_source"})";
    EXPECT_TRUE(tickcast::test::eventually([&] { return metric(run.metrics(), pauses) >= 1; }, 30s))
        << "the pipeline stayed full but the partitions were never paused";
    wait_for({out}, total, 90s);
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    Captured got;
    got.read(out);
    EXPECT_TRUE(complete(got, 8, total / 8));
    EXPECT_EQ(got.duplicates(), 0u) << "a resume read again what was already taken";
    EXPECT_TRUE(in_order_per_key(got));
}

// The exactly-once match role against librdkafka's embedded test broker,
// owned by this test so that it outlives the killed daemons (a cluster a
// daemon embeds dies with it). Smaller and slower: the test broker has no
// static membership, so a restart waits out the killed member's session (6 s).
TEST(KafkaEmbedded, a_match_daemon_killed_at_random_moments_writes_every_engine_event_once) {
    EmbeddedCluster cluster;
    kill_and_restart_match(cluster.bootstrap(), [&](const std::string& topic, int partitions) { cluster.create_topic(topic, partitions); },
                           {.orders = 2400, .rate = 200, .kills = 2, .out_partitions = 2});
}

// Under start_from a sink's failed batch is not read again into the engine
// (its books are past it): the daemon stops with a reason, and a restart
// recovers from the last durable snapshot.
TEST(KafkaEmbedded, a_failed_batch_under_start_from_stops_the_daemon_instead_of_matching_orders_twice) {
    TempDir dir;
    const std::string config = dir.write(
        "eo.yaml", "resources:\n  bus: {plugin: kafka, brokers: embedded, embedded_partitions: 1}\n"
                   "pipelines:\n"
                   "  feed:\n    source: {plugin: orderflow, symbols: [BTC-USDT], count: 400, seed: 5}\n"
                   "    sinks: [{plugin: kafka_sink, cluster: bus, topic: orders}]\n"
                   "  match:\n    source: {plugin: kafka_source, cluster: bus, topics: [orders], group: m, retry_backoff: 10ms, start_from: " +
                       dir.file("positions") + "}\n"
                   "    stages: [{plugin: matching_engine, symbols: {BTC-USDT: {tick: \"0.01\", lot: \"0.0001\"}}, snapshot_every: 50, "
                   "snapshot_path: " + dir.file("snapshot") + ", positions_file: " + dir.file("positions") + "}]\n"
                   "    sinks: [{plugin: fail_sink, fail_every: 300}]\n");
    Process p({TICKCAST_DAEMON, "run", config});
    EXPECT_EQ(p.wait(60s), 1) << p.err();
    EXPECT_NE(p.err().find("positions_file: the input went back to orders/0/"), std::string::npos) << p.err();
}

// SIGTERM while the only broker is gone: the consumer can neither commit nor
// leave its group, and librdkafka 2.0.2's close then waits for good. The
// source bounds its final commit and its close by close_timeout, and the
// daemon exits (status 1, the drain failed) at the latest drain_timeout plus
// its 5 s grace after the signal, instead of hanging until killed.
TEST(KafkaEmbedded, sigterm_with_the_broker_gone_ends_the_daemon_within_drain_timeout_and_grace) {
    EmbeddedCluster cluster;
    const std::string topic = unique_name("gone");
    cluster.create_topic(topic, 4);
    TempDir dir;
    const std::string out = dir.file("out.jsonl");
    tickcast::test::DaemonProcess run(
        dir.write("gone.yaml", "daemon: {threads: 2, drain_timeout: 2s}\n" + cluster_yaml("[" + cluster.bootstrap() + "]") +
                                   "pipelines:\n  produce:\n    source: " + feed(1000000, 8, 500) +
                                   "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n"
                                   "  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " +
                                   unique_name("g") + ", close_timeout: 1s}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n"));
    wait_for_lines(out, 200, 30s);
    rd_kafka_mock_broker_set_down(cluster.mock(), 1);
    std::this_thread::sleep_for(500ms);
    const auto signalled = std::chrono::steady_clock::now();
    run.process().signal(SIGTERM);
    const int status = run.process().wait(std::chrono::seconds(30));
    const auto took = std::chrono::steady_clock::now() - signalled;
    EXPECT_EQ(status, 1) << run.process().err();
    EXPECT_LT(took, 2s + 5s + 3s) << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

// Two embedded brokers: `topic` (one partition) is led by broker 1, and
// `group` is coordinated by broker 1 until mute() hands the group to broker 2,
// which accepts connections but answers nothing for a minute.
struct MutableCoordinator {
    EmbeddedCluster cluster{2};
    std::string topic, group = unique_name("g");

    explicit MutableCoordinator(const std::string& prefix) : topic(unique_name(prefix)) {
        cluster.create_topic(topic, 1);
        EXPECT_EQ(rd_kafka_mock_partition_set_leader(cluster.mock(), topic.c_str(), 0, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
        coordinate_on(1);
    }
    void coordinate_on(int broker) {
        EXPECT_EQ(rd_kafka_mock_coordinator_set(cluster.mock(), "group", group.c_str(), broker), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    void mute() {
        EXPECT_EQ(rd_kafka_mock_broker_set_rtt(cluster.mock(), 2, 60'000), RD_KAFKA_RESP_ERR_NO_ERROR);
        coordinate_on(2);
    }
};

// The coordinator moves to a broker that accepts connections but answers
// nothing for a minute: the consumer's new coordinator connection never gets
// past its ApiVersion request, as seen on a real broker after a restart. Then
// librdkafka 2.0.2 can neither close the consumer nor destroy it (the destroy
// waits for the group to end, for good). The source gives the close
// close_timeout, destroys the client on a thread of its own and finishes, so
// a daemon with nothing in flight stops cleanly (status 0) soon after
// close_timeout, not after drain_timeout and the grace (status 1).
TEST(KafkaEmbedded, a_coordinator_that_never_answers_does_not_hold_up_the_stop) {
    MutableCoordinator c("mute");
    const std::string &topic = c.topic, &group = c.group;
    TempDir dir;
    tickcast::test::DaemonProcess run(
        dir.write("mute.yaml", "daemon: {threads: 2, drain_timeout: 4s}\n" + cluster_yaml("[" + c.cluster.bootstrap() + "]") +
                                   "pipelines:\n  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic +
                                   "], group: " + group + ", close_timeout: 1s, librdkafka: {heartbeat.interval.ms: 200}}\n"
                                   "    sinks: [{plugin: capture_sink, path: " + dir.file("out.jsonl") + "}]\n"));
    ASSERT_TRUE(tickcast::test::eventually([&] { return run.process().err().find("assigned " + topic) != std::string::npos; }, 30s))
        << run.process().err();
    c.mute();
    std::this_thread::sleep_for(1500ms);  // heartbeats meet NOT_COORDINATOR and look for the new one
    const auto signalled = std::chrono::steady_clock::now();
    run.process().signal(SIGTERM);
    const int status = run.process().wait(std::chrono::seconds(30));
    const auto took = std::chrono::steady_clock::now() - signalled;
    EXPECT_EQ(status, 0) << run.process().err();
    EXPECT_LT(took, 1s + 2s) << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    EXPECT_NE(run.process().err().find("could not leave group '" + group + "' within close_timeout"), std::string::npos)
        << run.process().err();
}

