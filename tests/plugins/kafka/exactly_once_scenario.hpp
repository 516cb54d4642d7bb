// Exactly-once engine output on a real Apache Kafka broker (started once by
// kafka_broker_test.cpp for this binary): the `match` daemon (kafka_source
// start_from -> matching_engine positions_file -> kafka_sink dedupe) is
// SIGKILLed at random moments while it works and restarted each time; in the
// end the output topic holds every engine event exactly once, with gap-free
// seqs per channel, and the same events as one uninterrupted run of the
// engine over the same input. docs/reliability.md has the design.

#include <regex>

#include "codec.hpp"
#include "engine.hpp"
#include "kafka_scenarios.hpp"
#include "support/daemon_process.hpp"

namespace tickcast::kafka::test {

struct Message {
    std::int32_t partition = 0;
    std::string channel;
    std::uint64_t seq = 0;
    std::string payload;
};

// A plain consumer (no group) for what the test reads from the broker.
class TopicReader {
public:
    explicit TopicReader(const std::string& bootstrap) {
        char error[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
        rd_kafka_conf_set(conf, "group.id", "exactly-once-test-reader", error, sizeof error);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", error, sizeof error);
        rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
        if (!rk_) throw std::runtime_error(error);
    }
    ~TopicReader() {
        rd_kafka_consumer_close(rk_);
        rd_kafka_destroy(rk_);
    }

    // Messages in the topic now (the sum of its partitions' end offsets).
    std::int64_t size(const std::string& topic, int partitions) {
        std::int64_t total = 0;
        for (int p = 0; p < partitions; ++p) {
            std::int64_t low = 0, high = 0;
            if (rd_kafka_query_watermark_offsets(rk_, topic.c_str(), p, &low, &high, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
                total += high;
        }
        return total;
    }

    // Every message of the topic, partition by partition in offset order.
    std::vector<Message> read_all(const std::string& topic, int partitions) {
        std::vector<Message> out;
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk_, list);
        rd_kafka_topic_partition_list_destroy(list);
        std::set<std::int32_t> at_end;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (at_end.size() < std::size_t(partitions) && std::chrono::steady_clock::now() < deadline) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
            if (!m) continue;
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                at_end.insert(m->partition);
            } else if (!m->err) {
                Message& msg = out.emplace_back();
                msg.partition = m->partition;
                msg.payload.assign(static_cast<const char*>(m->payload), m->len);
                rd_kafka_headers_t* headers = nullptr;
                if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    const void* v = nullptr;
                    std::size_t n = 0;
                    if (rd_kafka_header_get_last(headers, "tc.channel", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
                        msg.channel.assign(static_cast<const char*>(v), n);
                    if (rd_kafka_header_get_last(headers, "tc.seq", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR)
                        msg.seq = std::stoull(std::string(static_cast<const char*>(v), n));
                }
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_assign(rk_, nullptr);
        EXPECT_EQ(at_end.size(), std::size_t(partitions)) << "could not read " << topic << " to its end";
        return out;
    }

private:
    rd_kafka_t* rk_ = nullptr;
};

// The engine's timestamps come from the wall clock, so a replayed event
// differs from the original only there; everything else must be equal.
inline std::string without_ts(const std::string& payload) {
    static const std::regex ts(R"("ts":[0-9]+)");
    return std::regex_replace(payload, ts, R"("ts":_)");
}

// One uninterrupted run of the engine (as the stage configures it) over `orders`.
inline std::map<std::string, std::vector<std::string>> reference_run(const std::vector<Message>& orders) {
    using namespace tickcast::matching;
    EngineConfig config;
    // As configs/roles/match-exactly-once.yaml has them.
    for (const char* name : {"BTC-USDT", "ETH-USDT", "SOL-USDT"})
        config.symbols.push_back(*make_symbol_spec(name, "0.01", "0.0001", "10").spec);
    config.stp = SelfTradePrevention::cancel_taker;
    Engine engine(std::move(config));
    JsonOrderProcessor processor(engine);
    struct Collect final : EncodedEventSink {
        std::map<std::string, std::vector<std::string>> by_channel;
        void on_event(const EncodedEvent& e) override {
            auto& events = by_channel[e.channel];
            EXPECT_EQ(e.seq, events.size() + 1) << e.channel;
            events.push_back(without_ts(e.payload));
        }
    } collect;
    for (const Message& order : orders) processor.process(order.payload, collect);
    return std::move(collect.by_channel);
}

struct KillPlan {
    std::size_t orders = 12000;  // fed at `rate` per second while the daemon is killed
    std::size_t rate = 1500;
    int kills = 4;
    int out_partitions = 3;
};

// `create_topic(name, partitions)` makes a topic on the cluster at `bootstrap`.
inline void kill_and_restart_match(const std::string& bootstrap, const std::function<void(const std::string&, int)>& create_topic,
                                   const KillPlan& plan) {
    const std::uint64_t seed = [] {
        if (const char* s = std::getenv("TICKCAST_TEST_SEED")) return std::uint64_t(std::stoull(s));
        return std::uint64_t(std::random_device{}());
    }();
    std::fprintf(stderr, "exactly-once kill test: seed %llu (TICKCAST_TEST_SEED=%llu repeats it)\n", (unsigned long long)seed,
                 (unsigned long long)seed);
    std::mt19937_64 rng(seed);

    TempDir dir;
    const int kOutPartitions = plan.out_partitions;
    const std::size_t kOrders = plan.orders;
    const std::string orders = unique_name("orders"), events = unique_name("market-events");
    create_topic(orders, 1);
    create_topic(events, kOutPartitions);

    // The order stream, paced so that the engine is busy while it is killed.
    DaemonRun feed(cluster_yaml("[" + bootstrap + "]") + "pipelines:\n  feed:\n    source: {plugin: orderflow, symbols: [BTC-USDT, ETH-USDT, SOL-USDT], rate: " + std::to_string(plan.rate) + ", count: " +
                   std::to_string(kOrders) + ", seed: " + std::to_string(seed % 1000 + 1) + "}\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " +
                   orders + "}]\n");

    // The match role as shipped, on this test's broker, topics and state dir.
    const std::string config = TICKCAST_SOURCE_DIR "/configs/roles/match-exactly-once.yaml";
    const std::vector<std::string> env = {"TICKCAST_KAFKA_BROKERS=" + bootstrap, "TICKCAST_ORDERS_TOPIC=" + orders,
                                          "TICKCAST_EVENTS_TOPIC=" + events, "TICKCAST_STATE_DIR=" + dir.path()};

    TopicReader reader(bootstrap);
    std::string logs;
    // Up to kKills kills while orders still arrive (so that there is work).
    const int kKills = plan.kills;
    int kills = 0;
    for (int kill = 0; kill < kKills && !feed.ended(); ++kill, ++kills) {
        tickcast::test::DaemonProcess match(config, env);
        // Killed while it works: once it has written something since its start,
        // after a random further moment.
        const std::int64_t before = reader.size(events, kOutPartitions);
        ASSERT_TRUE(tickcast::test::eventually([&] { return reader.size(events, kOutPartitions) > before; }, 30s))
            << "run " << kill << " wrote nothing\n" << match.process().err();
        const auto extra = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 700)(rng));
        std::this_thread::sleep_for(extra);
        match.process().signal(SIGKILL);
        EXPECT_EQ(match.process().wait(), -SIGKILL);
        std::fprintf(stderr, "kill %d: %lld ms after its first output; %lld events in the topic\n", kill + 1, (long long)extra.count(),
                     (long long)reader.size(events, kOutPartitions));
        logs += match.process().err();
    }
    EXPECT_GE(kills, std::min(2, kKills)) << "the feed ended before the daemon could be killed twice";
    ASSERT_EQ(feed.wait(), 0) << "the order feed did not finish";
    const std::vector<Message> input = reader.read_all(orders, 1);
    ASSERT_EQ(input.size(), kOrders);
    const auto expected = reference_run(input);
    std::size_t expected_total = 0;
    for (const auto& [channel, list] : expected) expected_total += list.size();

    {
        // The last run finishes the input, then runs a second more (anything
        // more it wrote would be a duplicate).
        tickcast::test::DaemonProcess match(config, env);
        // Caught up: it has written (the dedupe read-back is logged before
        // the first write) and its source has every order acknowledged.
        EXPECT_TRUE(tickcast::test::eventually([&] { return match.process().err().find("dedupe: read") != std::string::npos; }, 60s))
            << match.process().err();
        const std::regex lag("tickcast_kafka_consumer_lag_messages\\{[^}]*topic=\"" + orders + "\"[^}]*\\} ([0-9.e+]+)");
        EXPECT_TRUE(tickcast::test::eventually([&] {
            std::this_thread::sleep_for(200ms);  // lag is measured every commit_interval
            const std::string text = tickcast::test::http_get(match.admin(), "/metrics");
            std::smatch m;
            return std::regex_search(text, m, lag) && std::stod(m[1]) == 0;
        }, 60s)) << match.process().err();
        std::this_thread::sleep_for(1s);
        match.process().signal(SIGTERM);
        EXPECT_EQ(match.process().wait(), 0) << match.process().err();
        logs += match.process().err();
    }

    const std::vector<Message> written = reader.read_all(events, kOutPartitions);
    std::map<std::string, std::vector<const Message*>> by_channel;
    for (const Message& m : written) by_channel[m.channel].push_back(&m);
    EXPECT_EQ(written.size(), expected_total);
    EXPECT_EQ(by_channel.size(), expected.size());
    std::size_t trades = 0;
    for (const auto& [channel, list] : by_channel) {
        const auto want = expected.find(channel);
        ASSERT_NE(want, expected.end()) << "unexpected channel " << channel;
        ASSERT_EQ(list.size(), want->second.size()) << channel;
        for (std::size_t i = 0; i < list.size(); ++i) {
            ASSERT_EQ(list[i]->seq, i + 1) << channel << ": a gap, a duplicate or a reordering at its " << i + 1 << "th event";
            ASSERT_EQ(without_ts(list[i]->payload), want->second[i]) << channel << " seq " << i + 1 << " differs from the uninterrupted run";
        }
        if (channel.starts_with("trades.")) trades += list.size();
    }
    EXPECT_GT(trades, 100u) << "the stream should trade";
    EXPECT_EQ(logs.find("events between are missing"), std::string::npos) << logs;
    // What each restart did, from the daemons' logs.
    std::istringstream lines(logs);
    for (std::string line; std::getline(lines, line);)
        if (line.find("restored the books") != std::string::npos || line.find("dedupe: read") != std::string::npos)
            std::fprintf(stderr, "  %s\n", line.c_str());
    std::fprintf(stderr, "%zu events (%zu trades) on %zu channels after %d kills\n", written.size(), trades, by_channel.size(), kills);
}

}  // namespace tickcast::kafka::test
