// The Kafka plugins against a real Apache Kafka broker (KRaft, single node)
// that this binary starts once with scripts/kafka.sh and stops at the end.
// If the broker cannot start, every test fails: nothing is skipped.
#include "real_kafka.hpp"

using namespace tickcast::kafka::test;

namespace {
const auto* const kafka_environment = ::testing::AddGlobalTestEnvironment(new RealKafka);
}  // namespace

TEST(KafkaBroker, round_trip_of_100k_events_loses_and_reorders_nothing) { round_trip(brokers(), 100'000); }

TEST(KafkaBroker, a_consumer_killed_mid_stream_resumes_from_the_last_commit) { crash_restart(brokers()); }

TEST(KafkaBroker, two_sources_in_a_group_split_four_partitions_and_keep_per_key_order) {
    consumer_group(brokers(), four_partition_topic("group"));
}

// Real broker only: on the embedded one the four group joins take ~90 s.
TEST(KafkaBroker, start_committed_earliest_and_latest_read_what_they_say) {
    start_positions(brokers(), four_partition_topic("start"));
}

TEST(KafkaBroker, kcat_reads_what_the_sink_wrote_and_the_source_reads_what_kcat_wrote) {
    kcat_interop(brokers(), RealKafka::address);
}

TEST(KafkaBroker, the_broker_stopped_and_restarted_mid_stream_loses_nothing) {
    TempDir dir;
    const std::string topic = four_partition_topic("restart"), out = dir.file("out.jsonl");
    constexpr std::size_t total = 24000;
    DaemonRun run("daemon: {threads: 2}\n" + cluster_yaml(brokers()) +
                  "pipelines:\n  produce:\n    source: " + feed(total, 8, 3000) +
                  "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n"
                  "  consume:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + unique_name("g") +
                  "}\n    sinks: [{plugin: capture_sink, path: " + out + "}]\n");
    wait_for_lines(out, 2000, 30s);
    RealKafka::restart(1s);
    const Captured got = wait_for({out}, total, 120s);
    run.shutdown();
    EXPECT_EQ(run.wait(), 0);
    EXPECT_EQ(delivery_failures(run), 0);
    EXPECT_TRUE(complete_in_topic(got, 8, total / 8, RealKafka::address, topic));
    EXPECT_TRUE(in_order_per_key(got));
}

// For the tests of this binary in other files (exactly_once_test.cpp).
std::string real_kafka_address() { return RealKafka::address; }

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    (void)kafka_environment;
    return RUN_ALL_TESTS();
}
