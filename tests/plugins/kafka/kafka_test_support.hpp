// What the Kafka plugin tests share: an in-process daemon run, an embedded
// test cluster owned by the test (for fault injection), captured events and
// the checks on them, and small raw-librdkafka helpers.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "config/daemon_config.hpp"
#include "loader/plugin_catalog.hpp"
#include "runtime/daemon.hpp"
#include "support/process.hpp"

namespace tickcast::kafka::test {

using namespace std::chrono_literals;
using tickcast::test::Process;
using tickcast::test::TempDir;

// A name no other test (or earlier run against the same broker) uses.
inline std::string unique_name(const std::string& prefix) {
    static std::mt19937_64 rng{std::random_device{}()};
    return prefix + "-" + std::to_string(rng() % 1'000'000'000);
}

// A config run by tickcast::core::Daemon on a thread of this process.
class DaemonRun {
public:
    explicit DaemonRun(const std::string& yaml) {
        static core::PluginCatalog& catalog = *[] {
            auto* c = new core::PluginCatalog({TICKCAST_PLUGIN_DIR});  // kept for the whole run
            c->scan();
            return c;
        }();
        core::Diagnostics d;
        core::read_config_text(yaml, "test.yaml", config_, d);
        core::check_plugins(config_, catalog, d);
        if (d.empty()) built_ = core::build_instances(config_, d);
        if (!d.empty()) throw std::runtime_error("bad test config: " + d.str());
        daemon_ = std::make_unique<core::Daemon>(config_, built_,
                                                 core::Daemon::Options{.handle_signals = false, .serve_admin = false, .log_level = log_level()});
        thread_ = std::thread([this] {
            exit_code_ = daemon_->run();
            ended_ = true;
        });
    }
    ~DaemonRun() {
        shutdown();
        if (thread_.joinable()) thread_.join();
    }
    void shutdown() { daemon_->shutdown(); }
    // Waits for the daemon to end (after shutdown() or when its sources end).
    int wait(std::chrono::seconds timeout = 60s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!ended_ && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
        if (!ended_) return -1000;
        thread_.join();
        return exit_code_;
    }
    bool ended() const { return ended_; }
    // warn, unless TICKCAST_TEST_LOG_LEVEL says otherwise (e.g. info to see
    // assignments, debug with TICKCAST_TEST_RDKAFKA_DEBUG to see librdkafka's).
    static spdlog::level::level_enum log_level() {
        const char* level = std::getenv("TICKCAST_TEST_LOG_LEVEL");
        return level ? spdlog::level::from_str(level) : spdlog::level::warn;
    }
    std::string metrics() const { return daemon_->metrics_text(); }

private:
    core::DaemonConfig config_;
    core::BuiltConfig built_;
    std::unique_ptr<core::Daemon> daemon_;
    std::thread thread_;
    std::atomic<int> exit_code_{-1};
    std::atomic<bool> ended_{false};
};

// The value of one sample in Prometheus text, -1 if absent.
inline double metric(const std::string& text, const std::string& name_and_labels) {
    const auto at = text.find(name_and_labels + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name_and_labels.size() + 1));
}

// librdkafka's test broker, owned by the test so that it can inject faults
// and outlive the daemons (in-process or child processes) that use it.
class EmbeddedCluster {
public:
    explicit EmbeddedCluster(int brokers = 1) {
        char error[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error);
        owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
        mock_ = rd_kafka_mock_cluster_new(owner_, brokers);
        bootstrap_ = rd_kafka_mock_cluster_bootstraps(mock_);
    }
    ~EmbeddedCluster() {
        rd_kafka_mock_cluster_destroy(mock_);
        rd_kafka_destroy(owner_);
    }
    const std::string& bootstrap() const { return bootstrap_; }
    rd_kafka_mock_cluster_t* mock() const { return mock_; }
    void create_topic(const std::string& topic, int partitions) {
        ASSERT_EQ(rd_kafka_mock_topic_create(mock_, topic.c_str(), partitions, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    }

private:
    rd_kafka_t* owner_;
    rd_kafka_mock_cluster_t* mock_;
    std::string bootstrap_;
};

// Creates a topic on a real broker with the admin API.
inline void create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    ASSERT_NE(rk, nullptr) << error;
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof error);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
    ASSERT_NE(ev, nullptr) << "CreateTopics timed out";
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_topic_result_error_string(results[0]);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_destroy(rk);
}

// A mock_source entry emitting `total` events over `keys` channels
// trades.K0.. with keys K0..; seq counts per channel from 1.
inline std::string feed(std::size_t total, std::size_t keys = 8, std::size_t rate = 0) {
    std::string events;
    for (std::size_t k = 0; k < keys; ++k)
        events += (k ? ", " : "") + std::string("{channel: trades.K") + std::to_string(k) + ", key: K" + std::to_string(k) +
                  ", payload: {price: \"100.5\", qty: \"2\"}}";
    return "{plugin: mock_source, repeat: " + std::to_string(total / keys) + ", rate: " + std::to_string(rate) +
           ", events: [" + events + "]}";
}

// Events read back from capture_sink files (the envelope JSON lines).
struct Captured {
    std::map<std::string, std::vector<std::uint64_t>> seqs;  // per channel, in arrival order
    std::size_t lines = 0;

    void read(const std::string& path) {
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            boost::system::error_code ec;
            const boost::json::value v = boost::json::parse(line, ec);
            if (ec) continue;  // a line being written
            const auto& o = v.as_object();
            seqs[std::string(o.at("channel").as_string())].push_back(o.at("seq").to_number<std::uint64_t>());
            ++lines;
        }
    }
    std::size_t distinct() const {
        std::size_t n = 0;
        for (const auto& [c, s] : seqs) n += std::set<std::uint64_t>(s.begin(), s.end()).size();
        return n;
    }
    std::size_t duplicates() const { return lines - distinct(); }
};

// Per channel, every event that is new (above the highest seen) is exactly
// the next one: nothing skipped or reordered; replays (at-least-once) allowed.
// A channel may start anywhere (a consumer resuming from a commit).
inline ::testing::AssertionResult in_order_per_key(const Captured& c) {
    for (const auto& [channel, seqs] : c.seqs) {
        std::uint64_t high = seqs.empty() ? 0 : seqs.front() - 1;
        for (std::size_t i = 0; i < seqs.size(); ++i) {
            if (seqs[i] > high + 1)
                return ::testing::AssertionFailure() << channel << ": seq " << seqs[i] << " after " << high << " (line " << i << ")";
            high = std::max(high, seqs[i]);
        }
    }
    return ::testing::AssertionSuccess();
}

// Every channel trades.K0..K{keys-1} has every seq 1..per_key.
inline ::testing::AssertionResult complete(const Captured& c, std::size_t keys, std::size_t per_key) {
    for (std::size_t k = 0; k < keys; ++k) {
        const std::string ch = "trades.K" + std::to_string(k);
        const auto it = c.seqs.find(ch);
        if (it == c.seqs.end()) return ::testing::AssertionFailure() << ch << ": nothing received";
        const std::set<std::uint64_t> got(it->second.begin(), it->second.end());
        for (std::uint64_t s = 1; s <= per_key; ++s)
            if (!got.count(s)) return ::testing::AssertionFailure() << ch << ": seq " << s << " missing";
    }
    return ::testing::AssertionSuccess();
}

// What `topic` holds, read with kcat from the start: where each (channel,
// seq) sits ("topic[p]@offset" per copy) and each partition's first and last
// offset and count. Tells a producer-side loss (not in the topic) from a
// consumer-side one (in the topic, not delivered).
struct TopicContents {
    bool read = false;  // kcat read the topic
    std::map<std::pair<std::string, std::uint64_t>, std::vector<std::string>> where;
    struct Span {
        std::int64_t first = -1, last = -1;
        std::size_t count = 0;
    };
    std::map<int, Span> partitions;

    std::string summary() const {
        if (!read) return "kcat could not read the topic";
        std::string out = "the topic holds";
        for (const auto& [p, s] : partitions)
            out += " [" + std::to_string(p) + "] offsets " + std::to_string(s.first) + ".." + std::to_string(s.last) + " (" +
                   std::to_string(s.count) + ")";
        return out;
    }
};

inline TopicContents topic_contents(const std::string& bootstrap, const std::string& topic) {
    TopicContents c;
    Process read({"/usr/bin/kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p %o %h\n"});
    if (read.wait(30s) != 0) return c;
    c.read = true;
    std::istringstream lines(read.out());
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        int partition = -1;
        std::int64_t offset = -1;
        std::string headers;
        fields >> partition >> offset >> headers;
        TopicContents::Span& span = c.partitions[partition];
        if (span.count++ == 0) span.first = offset;
        span.last = offset;
        std::string channel;
        std::uint64_t seq = 0;
        for (std::size_t at = 0; at < headers.size();) {
            const std::size_t end = std::min(headers.find(',', at), headers.size());
            const std::string h = headers.substr(at, end - at);
            if (h.rfind("tc.channel=", 0) == 0) channel = h.substr(11);
            if (h.rfind("tc.seq=", 0) == 0) seq = std::stoull(h.substr(7));
            at = end + 1;
        }
        c.where[{channel, seq}].push_back(topic + "[" + std::to_string(partition) + "]@" + std::to_string(offset));
    }
    return c;
}

// complete(), and on failure where each missing event is in the topic.
inline ::testing::AssertionResult complete_in_topic(const Captured& c, std::size_t keys, std::size_t per_key,
                                                    const std::string& bootstrap, const std::string& topic) {
    ::testing::AssertionResult result = complete(c, keys, per_key);
    if (result) return result;
    const TopicContents contents = topic_contents(bootstrap, topic);
    result << "\n  " << contents.summary();
    std::size_t shown = 0;
    for (std::size_t k = 0; k < keys && shown < 10; ++k) {
        const std::string ch = "trades.K" + std::to_string(k);
        const auto it = c.seqs.find(ch);
        const std::set<std::uint64_t> got = it == c.seqs.end() ? std::set<std::uint64_t>{} : std::set<std::uint64_t>(it->second.begin(), it->second.end());
        for (std::uint64_t s = 1; s <= per_key && shown < 10; ++s) {
            if (got.count(s)) continue;
            ++shown;
            const auto at = contents.where.find({ch, s});
            result << "\n  " << ch << " seq " << s << ": "
                   << (at == contents.where.end() ? "not in the topic (lost before the consumer)"
                                                  : "in the topic at " + at->second.front() + ", not delivered");
        }
    }
    return result;
}

// Waits until the capture files together hold `distinct` distinct events.
inline Captured wait_for(const std::vector<std::string>& paths, std::size_t distinct, std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        Captured c;
        for (const std::string& p : paths) c.read(p);
        if (c.distinct() >= distinct || std::chrono::steady_clock::now() > deadline) return c;
        std::this_thread::sleep_for(100ms);
    }
}

inline std::size_t count_lines(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

inline void wait_for_lines(const std::string& path, std::size_t n, std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count_lines(path) < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
}

}  // namespace tickcast::kafka::test
