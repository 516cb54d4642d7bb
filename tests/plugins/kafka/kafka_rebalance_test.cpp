// Rebalances between kafka_source daemons (separate tickcastd processes in
// one consumer group) against the real broker: partitions handed over while
// events are in flight, with the cooperative protocol and with a stalled sink
// that makes the revoke time out.
#include <algorithm>
#include <cctype>

#include "real_kafka.hpp"

using namespace tickcast::kafka::test;

namespace {

// A `tickcastd run` consuming `topic` as a member of `group` into `out`;
// `source_extra` and `sinks_before` tune the source and put sinks (a slow
// fail_sink) beside the capture.
class Consumer {
public:
    Consumer(const TempDir& dir, const std::string& name, const std::string& topic, const std::string& group,
             const std::string& source_extra, const std::string& sinks_before, std::size_t max_in_flight = 400)
        : out(dir.file(name + ".jsonl")),
          process_({TICKCAST_DAEMON, "--log-level", std::getenv("TICKCAST_TEST_LOG_LEVEL") ? std::getenv("TICKCAST_TEST_LOG_LEVEL") : "info", "run",
                    dir.write(name + ".yaml", cluster_yaml(brokers()) + "pipelines:\n  consume:\n    max_in_flight: " + std::to_string(max_in_flight) + "\n"
                                                  "    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + group +
                                                  ", " + source_extra + "}\n    sinks: [" + sinks_before + "{plugin: capture_sink, path: " +
                                                  dir.file(name + ".jsonl") + "}]\n")}) {}

    const std::string out;
    Process& process() { return process_; }
    std::string log() const { return process_.err(); }

    // The partitions named by each log line of `what` ("assigned",
    // "revoking"), in order; lines naming none ("assigned none", the
    // cooperative protocol's empty steps) are left out.
    std::vector<std::set<int>> partitions_in(const std::string& what) const {
        std::vector<std::set<int>> lines;
        std::istringstream in(log());
        for (std::string line; std::getline(in, line);) {
            const auto at = line.find(" " + what + " ");
            if (at == std::string::npos) continue;
            std::set<int> parts;
            for (std::size_t open = line.find('[', at + 2); open != std::string::npos; open = line.find('[', open + 1)) {
                const std::size_t close = line.find(']', open);
                if (close == std::string::npos) break;
                const std::string n = line.substr(open + 1, close - open - 1);
                if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit)) parts.insert(std::stoi(n));
            }
            if (!parts.empty()) lines.push_back(parts);
        }
        return lines;
    }

    // Waits until a log line contains `what`.
    bool wait_for_log(const std::string& what, std::chrono::seconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (log().find(what) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(50ms);
        }
        return true;
    }

private:
    Process process_;
};

// The partition each channel's events are in (all of a channel's events share one: keyed by symbol).
std::map<std::string, int> partition_of_channels(const std::string& topic) {
    std::map<std::string, int> out;
    for (const auto& [key, places] : topic_contents(RealKafka::address, topic).where) {
        const std::string& place = places.front();  // "topic[p]@offset"
        const auto open = place.rfind('['), close = place.rfind(']');
        out[key.first] = std::stoi(place.substr(open + 1, close - open - 1));
    }
    return out;
}

std::uint64_t highest(const std::vector<std::uint64_t>& seqs) { return seqs.empty() ? 0 : *std::max_element(seqs.begin(), seqs.end()); }

}  // namespace

// cooperative-sticky: when B joins mid-stream, A gives up only the partitions
// B gets (one revoke naming them, not all four), after the events it had in
// flight from them were acknowledged and committed; B starts exactly where A
// stopped on each moved key: nothing lost, nothing read twice, order kept.
TEST(KafkaRebalance, cooperative_handover_moves_only_the_new_members_partitions_without_loss_or_repeats) {
    TempDir dir;
    const std::string topic = four_partition_topic("coop"), group = unique_name("g");
    constexpr std::size_t total = 12000;
    DaemonRun producer(cluster_yaml(brokers()) + "pipelines:\n  produce:\n    source: " + feed(total, 8, 2000) +
                       "\n    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + "}]\n");
    const std::string source = "batch: 20, librdkafka: {partition.assignment.strategy: cooperative-sticky}";
    // A slow sink keeps batches in flight, so the revoke has work to finish.
    const std::string slow = "{plugin: fail_sink, delay: 5ms}, ";
    Consumer a(dir, "a", topic, group, source, slow);
    wait_for_lines(a.out, 1500, 60s);
    ASSERT_GE(count_lines(a.out), 1500u) << "A did not get going:\n" << a.log();
    Consumer b(dir, "b", topic, group, source, slow);
    ASSERT_TRUE(b.wait_for_log(" assigned " + topic, 60s)) << "B never got partitions:\n" << b.log();

    const Captured both = wait_for({a.out, b.out}, total, 90s);
    ASSERT_EQ(producer.wait(), 0);
    EXPECT_EQ(delivery_failures(producer), 0);
    // The logs before shutdown (which revokes everything).
    const auto a_assigned = a.partitions_in("assigned"), a_revoked = a.partitions_in("revoking");
    const auto b_assigned = b.partitions_in("assigned"), b_revoked = b.partitions_in("revoking");
    b.process().signal(SIGTERM);
    EXPECT_EQ(b.process().wait(), 0) << b.log();
    a.process().signal(SIGTERM);
    EXPECT_EQ(a.process().wait(), 0) << a.log();

    EXPECT_TRUE(complete_in_topic(both, 8, total / 8, RealKafka::address, topic));
    EXPECT_EQ(both.duplicates(), 0u) << "an event was read by both: a partition changed hands before its in-flight events were committed";
    Captured ca, cb;
    ca.read(a.out);
    cb.read(b.out);
    EXPECT_TRUE(in_order_per_key(ca));
    EXPECT_TRUE(in_order_per_key(cb));

    // Incremental: A got all four, then gave up exactly B's partitions, once.
    ASSERT_FALSE(a_assigned.empty());
    EXPECT_EQ(a_assigned.front(), (std::set<int>{0, 1, 2, 3})) << a.log();
    ASSERT_EQ(b_assigned.size(), 1u) << b.log();
    const std::set<int> moved = b_assigned.front();
    EXPECT_EQ(moved.size(), 2u) << b.log();
    ASSERT_EQ(a_revoked.size(), 1u) << "cooperative: one incremental revoke, not revoke-all and reassign\n" << a.log();
    EXPECT_EQ(a_revoked.front(), moved) << a.log();
    EXPECT_TRUE(b_revoked.empty()) << b.log();
    EXPECT_NE(a.log().find("gave up"), std::string::npos) << a.log();

    // The hand-over per moved key: B's first event follows A's last one.
    std::size_t moved_keys = 0;
    for (const auto& [channel, partition] : partition_of_channels(topic)) {
        if (!moved.count(partition)) continue;
        ++moved_keys;
        ASSERT_FALSE(cb.seqs[channel].empty()) << channel;
        EXPECT_EQ(cb.seqs[channel].front(), highest(ca.seqs[channel]) + 1) << channel << ": B resumed where A's commit was";
    }
    EXPECT_GT(moved_keys, 0u);
}

// A's sink stalls (30 s per batch), so when B joins, the events A has in
// flight cannot be acknowledged: after revoke_timeout A gives the partitions
// up without committing them, says so, and B reads those events again from
// the start (at least once), losing nothing. A's pipeline is full meanwhile:
// it must still serve the rebalance, or B would wait out the stall.
TEST(KafkaRebalance, a_revoke_timeout_with_a_stalled_sink_commits_nothing_unacknowledged_and_the_next_owner_reads_it_again) {
    TempDir dir;
    const std::string topic = four_partition_topic("stall"), group = unique_name("g");
    constexpr std::size_t total = 4000;
    produce(brokers(), topic, total);
    const std::string source = "batch: 50, revoke_timeout: 500ms, librdkafka: {session.timeout.ms: 6000}";
    // A may hold the whole topic in flight, so every partition has events in
    // flight when B joins, none acknowledged.
    Consumer a(dir, "a", topic, group, source, "{plugin: fail_sink, delay: 30s}, ", total);
    const Captured a_early = [&] {
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        Captured c;
        while (std::chrono::steady_clock::now() < deadline) {
            c = Captured{};
            c.read(a.out);
            if (c.seqs.size() == 8) break;
            std::this_thread::sleep_for(50ms);
        }
        return c;
    }();
    ASSERT_EQ(a_early.seqs.size(), 8u) << "A did not read every partition:\n" << a.log();
    Consumer b(dir, "b", topic, group, source, "");
    ASSERT_TRUE(b.wait_for_log(" assigned " + topic, 20s)) << "B got no partitions before A's stall ended: A did not serve the revoke\n"
                                                           << a.log() << "\n" << b.log();
    const std::set<int> taken = b.partitions_in("assigned").front();
    ASSERT_FALSE(taken.empty());
    const auto where = partition_of_channels(topic);
    std::size_t b_keys = 0;
    for (const auto& [channel, partition] : where) b_keys += taken.count(partition);
    const Captured b_got = wait_for({b.out}, b_keys * (total / 8), 60s);
    const std::string a_log = a.log();
    a.process().signal(SIGKILL);  // stalled for good: no clean stop to wait for
    a.process().wait();
    b.process().signal(SIGTERM);
    EXPECT_EQ(b.process().wait(), 0) << b.log();

    EXPECT_NE(a_log.find("revoke_timeout"), std::string::npos) << a_log;
    Captured a_got;
    a_got.read(a.out);
    std::size_t read_again = 0;
    for (const auto& [channel, partition] : where) {
        if (!taken.count(partition)) continue;
        const std::vector<std::uint64_t>& seqs = b_got.seqs.at(channel);
        ASSERT_FALSE(seqs.empty()) << channel;
        // A acknowledged nothing, so it committed nothing: B starts at the beginning.
        EXPECT_EQ(seqs.front(), 1u) << channel << ": A committed past events no sink had acknowledged";
        EXPECT_EQ(std::set<std::uint64_t>(seqs.begin(), seqs.end()).size(), total / 8) << channel << ": B missed events";
        read_again += a_got.seqs[channel].size();
    }
    EXPECT_TRUE(in_order_per_key(b_got));
    EXPECT_GT(read_again, 0u) << "A had events of B's partitions in flight; B read them again";
}
