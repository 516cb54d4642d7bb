// kafka_source: a consumer group member that turns Kafka messages into
// events, committing offsets only once every sink has acknowledged them.
//
// At-least-once: OffsetTracker moves each partition's commit point over the
// prefix of emitted messages whose batches every sink acknowledged; commits
// go out every commit_interval, on rebalance and on stop. A batch a sink
// failed is read again from its first offset (after retry_backoff); a crash
// replays from the last commit. Nothing is committed past an unacknowledged
// message, so nothing is skipped; replays may duplicate.
//
// Rebalance: on revoke the source stops emitting from the revoked
// partitions, waits (at most revoke_timeout) until their in-flight batches
// are acknowledged, commits them, and only then gives them up
// (rd_kafka_assign / incremental_unassign are called late, which librdkafka
// allows: the group waits for them).
//
// Backpressure: at most capacity() events are emitted; when the pipeline is
// full the source stops polling (librdkafka's prefetch stops at its own
// bound), and if the stall lasts it pauses its partitions until when_ready.
//
// start_from (exactly-once input for the matching engine, docs/reliability.md):
// the group's commits are ignored; each partition starts at the offset a
// positions file names (written by matching_engine's positions_file just
// before this source starts), else at its beginning, and every event carries
// its position and the partition's acknowledged point (header tc.in,
// tickcast/input_position.hpp). The input must be one topic of one
// partition: the engine's replay is deterministic only in one total order.
//
// Threading: everything runs on the pipeline's strand. A QueueWatcher wakes
// it when the consumer queue (messages, rebalances, commit results, errors:
// rd_kafka_poll_set_consumer forwards them all there) becomes non-empty.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include <boost/asio/steady_timer.hpp>
#include <tickcast/hop_latency.hpp>
#include <tickcast/ring_queue.hpp>
#include <tickcast/tickcast.hpp>

#include "client.hpp"
#include "event_codec.hpp"
#include "kafka_cluster.hpp"
#include "offset_tracker.hpp"

namespace tickcast::kafka {

class KafkaSource final : public Source {
public:
    explicit KafkaSource(const ConfigNode& options);
    ~KafkaSource() override;
    void start(SourceContext& context) override;
    void stop() override;
    void on_ack(std::uint64_t token, const Status& status) override;

    static OptionSpecs options();
    // The consumer settings kafka_source uses unless `librdkafka:` says otherwise.
    static const Properties& default_properties();

private:
    enum class StartAt { committed, earliest, latest };
    struct PartitionState {
        bool assigned = false;
        bool started = false;   // assigned once already: `start` applied
        bool revoking = false;  // revoked, waiting for its in-flight batches
        bool held = false;      // waiting retry_backoff before reading a failed batch again
        bool paused = false;    // paused in librdkafka
        std::int64_t next_read = -1;
        prometheus::Gauge* lag = nullptr;
    };
    struct Message {
        const TopicPartition* tp;  // a key of partitions_: stable
        std::int64_t offset;
        std::optional<Event> event;  // empty: could not be decoded, skipped
    };

    void drain();
    void take(const rd_kafka_message_t& m);
    void emit_pending();
    void wait_for_capacity();
    void update_pauses();

    void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
    void check_revoke();
    void finish_revoke();
    void reread(const std::vector<PartitionOffset>& from);
    void release_held();

    void commit(const std::vector<PartitionOffset>& offsets, bool sync);
    void on_commit_result(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets);
    void schedule_commit();
    void update_lag();
    void on_error(rd_kafka_resp_err_t err, const char* reason);

    void read_start_positions();
    void check_stopped();
    void finish();

    PartitionState& state(const TopicPartition& tp, const TopicPartition** key = nullptr);

    // options
    std::string cluster_name_, group_;
    std::vector<std::string> topics_;
    StartAt start_at_ = StartAt::committed;
    std::string start_from_;                            // a positions file, or empty
    std::map<TopicPartition, std::int64_t> start_offsets_;  // read from it at start
    DecodeRules rules_;
    PayloadSlabs payloads_;  // the events' payloads, without an allocation each
    std::string hop_name_;
    std::optional<HopLatency> hop_;  // stamps hop_name_, if any
    std::size_t batch_max_ = 1024;
    std::chrono::nanoseconds commit_interval_, revoke_timeout_, retry_backoff_;
    std::chrono::milliseconds close_timeout_;
    Properties overrides_;

    SourceContext* context_ = nullptr;
    std::shared_ptr<KafkaCluster> cluster_;
    ClientOpaque opaque_;
    Handle consumer_;
    Queue queue_;
    std::unique_ptr<QueueWatcher> watcher_;
    std::unique_ptr<boost::asio::steady_timer> commit_timer_, pause_timer_, revoke_timer_, retry_timer_;

    std::map<TopicPartition, PartitionState> partitions_;
    const TopicPartition* last_tp_ = nullptr;  // cache for take(): messages come in runs
    rd_kafka_topic_t* last_rkt_ = nullptr;
    std::int32_t last_partition_ = -1;
    RingQueue<Message> pending_;
    OffsetTracker tracker_;
    std::uint64_t next_token_ = 1;
    std::size_t outstanding_ = 0;  // emitted batches not yet acknowledged
    bool waiting_ = false;         // for capacity (when_ready pending)
    bool backpressure_paused_ = false;
    bool revoking_ = false, revoke_cooperative_ = false;
    // Cooperative protocol: rebalance callbacks still to come before the group
    // settles (see on_rebalance); periodic commits wait for them.
    int settling_callbacks_ = 0;
    std::chrono::steady_clock::time_point settle_deadline_;
    bool stopping_ = false, closing_ = false, finished_ = false;
    std::uint64_t decode_errors_logged_ = 0;

    prometheus::Counter* commits_ = nullptr;
    prometheus::Counter* commit_failures_ = nullptr;
    prometheus::Counter* rebalances_ = nullptr;
    prometheus::Counter* redelivered_ = nullptr;
    prometheus::Counter* backpressure_pauses_ = nullptr;
    prometheus::Counter* decode_errors_ = nullptr;
};

}  // namespace tickcast::kafka
