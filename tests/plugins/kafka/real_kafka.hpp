// The real Apache Kafka broker (KRaft, single node) that kafka_broker_tests
// starts once with scripts/kafka.sh for all its tests and stops at the end
// (kafka_broker_test.cpp registers it); helpers for the tests that use it.
#pragma once

#include "kafka_scenarios.hpp"

namespace tickcast::kafka::test {

inline std::string trim(std::string s) {
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
        // A failed run keeps the broker's logs and data for a post-mortem.
        if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
            const std::string kept = dir.substr(0, dir.rfind('/')) + "-failed";
            std::system(("cp -a '" + dir + "' '" + kept + "'").c_str());
            std::fprintf(stderr, "the broker's logs and data are kept in %s\n", kept.c_str());
        }
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

inline std::string brokers() { return "[" + RealKafka::address + "]"; }

// The real broker auto-creates topics with one partition; the scenarios want four.
inline std::string four_partition_topic(const std::string& prefix) {
    const std::string topic = unique_name(prefix);
    create_topic(RealKafka::address, topic, 4);
    return topic;
}

}  // namespace tickcast::kafka::test
