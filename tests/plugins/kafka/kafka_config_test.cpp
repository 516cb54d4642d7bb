// Configuration errors of the Kafka plugins, through the tickcastd binary.
#include "kafka_test_support.hpp"

using namespace tickcast::kafka::test;

namespace {
Process run_daemon(const std::vector<std::string>& args) {
    std::vector<std::string> argv{TICKCAST_DAEMON};
    argv.insert(argv.end(), args.begin(), args.end());
    return Process(argv);
}
}  // namespace

TEST(KafkaConfig, the_example_configs_validate) {
    for (const char* name : {"kafka-embedded.yaml", "kafka-external.yaml"}) {
        Process p = run_daemon({"validate", std::string(TICKCAST_SOURCE_DIR) + "/configs/" + name});
        EXPECT_EQ(p.wait(), 0) << name << ": " << p.err() << p.out();
    }
}

TEST(KafkaConfig, an_unknown_librdkafka_property_is_a_config_error_naming_it_and_its_place) {
    TempDir dir;
    const std::string cfg = dir.write("bad.yaml",
                                      "resources:\n  bus: {plugin: kafka, brokers: embedded, librdkafka: {linger.msx: 5}}\n"
                                      "pipelines:\n  p:\n    source: {plugin: kafka_source, cluster: bus, topics: [t], group: g}\n"
                                      "    sinks: [{plugin: kafka_sink, cluster: bus, topic: u, librdkafka: {acks: sometimes}}]\n");
    Process p = run_daemon({"validate", cfg});
    EXPECT_EQ(p.wait(), 2);
    EXPECT_NE(p.err().find("bad.yaml:2:56: error: librdkafka property 'linger.msx': No such configuration property"), std::string::npos)
        << p.err();
    EXPECT_NE(p.err().find("librdkafka property 'acks' = 'sometimes': Invalid value"), std::string::npos) << p.err();
}

TEST(KafkaConfig, bad_broker_addresses_and_options_are_config_errors) {
    TempDir dir;
    const std::string cfg = dir.write("bad.yaml",
                                      "resources:\n  bus: {plugin: kafka, brokers: [localhost]}\n"
                                      "pipelines:\n  p:\n    source: {plugin: kafka_source, cluster: bus, topics: [t], group: g, start: oldest}\n"
                                      "    sinks: [{plugin: kafka_sink, cluster: bus, topic: u, key: symbol}]\n");
    Process p = run_daemon({"validate", cfg});
    EXPECT_EQ(p.wait(), 2);
    EXPECT_NE(p.err().find("'localhost' is not host:port"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("start must be `committed`, `earliest` or `latest`, not 'oldest'"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("key must be `key`, `channel` or `none`, not 'symbol'"), std::string::npos) << p.err();
}

TEST(KafkaConfig, unreachable_brokers_fail_the_start_within_connect_timeout) {
    TempDir dir;
    const std::string cfg = dir.write("down.yaml",
                                      "resources:\n  bus: {plugin: kafka, brokers: [127.0.0.1:1], connect_timeout: 1s}\n"
                                      "pipelines:\n  p:\n    source: {plugin: kafka_source, cluster: bus, topics: [t], group: g}\n"
                                      "    sinks: [{plugin: capture_sink}]\n");
    const auto started = std::chrono::steady_clock::now();
    Process p = run_daemon({"run", cfg});
    EXPECT_EQ(p.wait(20s), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_NE(p.err().find("Kafka brokers 127.0.0.1:1 did not answer within 1000 ms (connect_timeout)"), std::string::npos) << p.err();
}

TEST(KafkaConfig, exactly_once_options_that_cannot_work_are_config_errors) {
    TempDir dir;
    const std::string cfg = dir.write(
        "bad.yaml",
        "resources:\n  bus: {plugin: kafka, brokers: embedded}\n"
        "pipelines:\n"
        "  two_topics:\n    source: {plugin: kafka_source, cluster: bus, topics: [a, b], group: g, start_from: p}\n"
        "    sinks: [{plugin: kafka_sink, cluster: bus, topic: u, key: none, dedupe: true}]\n"
        "  with_start:\n    source: {plugin: kafka_source, cluster: bus, topics: [a], group: g, start_from: p, start: earliest}\n"
        "    stages: [{plugin: matching_engine, symbols: {BTC-USDT: {tick: \"0.01\", lot: \"0.0001\"}}, positions_file: p}]\n"
        "    sinks: [{plugin: capture_sink}]\n"
        "  never_snapshots:\n    source: {plugin: kafka_source, cluster: bus, topics: [a], group: g, start_from: p}\n"
        "    stages: [{plugin: matching_engine, symbols: {BTC-USDT: {tick: \"0.01\", lot: \"0.0001\"}}, positions_file: p, snapshot_path: s}]\n"
        "    sinks: [{plugin: capture_sink}]\n");
    Process p = run_daemon({"validate", cfg});
    EXPECT_EQ(p.wait(), 2);
    EXPECT_NE(p.err().find("bad.yaml:5:58: error: start_from needs exactly one topic"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("dedupe needs key `key` or `channel`"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("start and start_from exclude each other"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("positions_file needs snapshot_path"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("positions_file needs snapshot_every > 0"), std::string::npos) << p.err();
}

TEST(KafkaConfig, start_from_on_an_embedded_cluster_of_several_partitions_fails_the_start_clearly) {
    TempDir dir;
    const std::string cfg = dir.write(
        "eo.yaml", "resources:\n  bus: {plugin: kafka, brokers: embedded, embedded_partitions: 4}\n"
                   "pipelines:\n  match:\n    source: {plugin: kafka_source, cluster: bus, topics: [orders], group: g, start_from: " +
                       dir.file("positions") + "}\n    sinks: [{plugin: capture_sink}]\n");
    Process p = run_daemon({"run", cfg});
    EXPECT_EQ(p.wait(30s), 1);
    EXPECT_NE(p.err().find("start_from needs topic 'orders' to have one partition, but the embedded cluster 'bus' makes 4; set its "
                           "embedded_partitions: 1"),
              std::string::npos)
        << p.err();
}
