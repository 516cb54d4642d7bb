// The Kafka plugins against a real Apache Kafka broker (KRaft, single node)
// that this binary starts once with scripts/kafka.sh and stops at the end.
// If the broker cannot start, every test fails: nothing is skipped.
#include <sys/stat.h>

#include "kafka_scenarios.hpp"

using namespace tickcast::kafka::test;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

class RealKafka : public ::testing::Environment {
public:
    static inline std::string address;
    static inline std::string dir;

    void SetUp() override {
        char tmpl[] = "/tmp/tickcast-kafka-test-XXXXXX";
        dir = std::string(::mkdtemp(tmpl)) + "/broker";
        Process start({"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/kafka.sh", "start", "--dir", dir});
        const int rc = start.wait(180s);
        address = trim(start.out());
        ASSERT_EQ(rc, 0) << "scripts/kafka.sh start failed:\n" << start.err();
        ASSERT_FALSE(address.empty());
        std::fprintf(stderr, "real Kafka broker on %s\n", address.c_str());
    }
    void TearDown() override {
        Process stop({"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/kafka.sh", "stop", "--dir", dir});
        stop.wait(60s);
        std::system(("rm -rf '" + dir.substr(0, dir.rfind('/')) + "'").c_str());
    }

    // Stops the broker cleanly (SIGTERM) and starts the same command line again
    // on the same address and log dirs, so the data survives. scripts/kafka.sh
    // stop/start would wipe the state dir; this keeps it.
    static void restart(std::chrono::milliseconds down_for) {
        const std::string pid_text = trim(Process::slurp(dir + "/pid"));
        const pid_t pid = std::stoi(pid_text);
        std::string cmdline = Process::slurp("/proc/" + pid_text + "/cmdline");
        std::vector<std::string> argv;
        for (std::size_t at = 0; at < cmdline.size();) {
            const std::size_t end = cmdline.find('\0', at);
            argv.push_back(cmdline.substr(at, end - at));
            at = end == std::string::npos ? cmdline.size() : end + 1;
        }
        ASSERT_FALSE(argv.empty());
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 600 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(50ms);
        ASSERT_NE(::kill(pid, 0), 0) << "the broker did not stop";
        std::this_thread::sleep_for(down_for);
        std::string shell = "cd / && setsid";
        for (const std::string& a : argv) shell += " '" + a + "'";
        shell += " </dev/null >>'" + dir + "/logs/stdout.log' 2>&1 & echo $! >'" + dir + "/pid'";
        ASSERT_EQ(std::system(shell.c_str()), 0);
        for (int i = 0; i < 240; ++i) {
            Process probe({"/usr/bin/kcat", "-L", "-b", address, "-m", "2"});
            if (probe.wait(10s) == 0 && probe.out().find("broker 1 at " + address) != std::string::npos) return;
            std::this_thread::sleep_for(250ms);
        }
        FAIL() << "the broker did not come back on " << address;
    }
};

const auto* const kafka_environment = ::testing::AddGlobalTestEnvironment(new RealKafka);

std::string brokers() { return "[" + RealKafka::address + "]"; }

// The real broker auto-creates topics with one partition; the scenarios want four.
std::string four_partition_topic(const std::string& prefix) {
    const std::string topic = unique_name(prefix);
    create_topic(RealKafka::address, topic, 4);
    return topic;
}

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
    EXPECT_TRUE(complete(got, 8, total / 8));
    EXPECT_TRUE(in_order_per_key(got));
}

// For the tests of this binary in other files (exactly_once_test.cpp).
std::string real_kafka_address() { return RealKafka::address; }

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    (void)kafka_environment;
    return RUN_ALL_TESTS();
}
