// What the Redis sources share: per-channel sequence checking and a small
// buffer between Redis and the pipeline.
//
// Sequence checking: each channel's seq must go up by one. A jump means
// events were lost upstream (Pub/Sub while disconnected, or a stream trimmed
// past a resuming reader): the first event after it carries
// event_flags::gap_before and the loss is counted. A seq not above the last
// one is a duplicate (a publisher's retry) and is dropped. A heartbeat
// (event_flags::heartbeat: the publisher's last seq on a quiet channel) is
// passed on only when it reveals a loss at the tail: it then carries
// gap_before and no payload, and the loss is counted.
//
// Backpressure: events wait in `pending_` until the pipeline has capacity;
// above `max_pending` the subclass stops reading (on_backlog(true)).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include <tickcast/hop_latency.hpp>
#include <tickcast/payload_slabs.hpp>
#include <tickcast/ring_queue.hpp>
#include <tickcast/tickcast.hpp>

namespace tickcast::redis {

class RedisSourceBase : public Source {
public:
    void stop() override;

protected:
    struct Pending {
        Event event;
        std::string stream, id;  // for acknowledgement in consumer-group mode
    };

    RedisSourceBase(const ConfigNode& options);
    static OptionSpecs common_options();

    void start_base(SourceContext& context);
    // Stamps the `redis_in` hop with `received_ns` (when the socket read
    // that brought the event returned), checks the sequence and queues the
    // event; false if it was a duplicate.
    bool deliver(Pending p, std::int64_t received_ns);
    // Emits what the pipeline can take now (call after a burst of deliver()).
    void pump();
    void expect_next(const std::string& channel, std::uint64_t last_seq) { last_seq_[channel] = last_seq; }
    bool backlogged() const { return pending_.size() >= max_pending_; }

    // Pause (true) or resume (false) reading from Redis.
    virtual void on_backlog(bool full) = 0;
    virtual void stop_reading() = 0;
    // The batch emitted with `ids` was acknowledged by every sink.
    virtual void acknowledged(const std::vector<std::pair<std::string, std::string>>& ids) { (void)ids; }

    void on_ack(std::uint64_t token, const Status& status) override;

    SourceContext& context() { return *context_; }
    const std::string& resource_name() const { return resource_name_; }
    const std::string& prefix() const { return prefix_; }
    std::vector<std::string> channels_;
    bool stopping_ = false;
    PayloadSlabs payloads_;  // the events' payloads, without an allocation each

private:
    // Checks the event's seq against its channel's last one (not in
    // consumer-group mode), marks and counts a gap; false if the event brings
    // nothing new (a duplicate, or a heartbeat that reveals no loss).
    bool check_sequence(Event& e);

    std::string resource_name_, prefix_;
    std::size_t max_pending_ = 4096, batch_max_ = 512;
    bool track_acks_ = false;
    SourceContext* context_ = nullptr;
    RingQueue<Pending> pending_;
    std::unordered_map<std::string, std::uint64_t> last_seq_;
    struct Unacked {
        std::size_t events = 0;
        std::vector<std::pair<std::string, std::string>> ids;  // consumer-group mode only
    };
    std::unordered_map<std::uint64_t, Unacked> unacked_;  // by batch token
    std::uint64_t next_token_ = 1;
    bool pump_posted_ = false, waiting_ = false;
    prometheus::Counter* gaps_ = nullptr;
    prometheus::Counter* missed_ = nullptr;
    prometheus::Counter* duplicates_ = nullptr;
    std::optional<HopLatency> in_hop_;

protected:
    // Consumer-group mode: acknowledge per entry, and no sequence checks
    // (each member sees only its share of a channel).
    void track_acks() { track_acks_ = true; }
};

// True if `channel` is a Redis glob pattern (*, ? or [).
bool is_pattern(const std::string& channel);

}  // namespace tickcast::redis
