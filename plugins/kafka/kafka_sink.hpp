// kafka_sink: writes every event to one topic with an idempotent producer
// (enable.idempotence, acks=all) and completes a batch when librdkafka has
// reported every one of its messages delivered (or one of them failed).
//
// Order: batches are produced in write() order and, per partition, the
// idempotent producer keeps that order across retries. Backpressure: when
// librdkafka's queue is full (RD_KAFKA_RESP_ERR__QUEUE_FULL) the rest of the
// batch, and every later one, waits until delivery reports free room; no
// message is dropped. A fatal producer error (the idempotence guarantee is
// lost) calls context.fail(), which stops the daemon with exit status 1.
//
// dedupe (exactly-once output of the matching engine, docs/reliability.md):
// before the first write the sink reads its topic back, since the time the
// first event's tc.replay_since header names (else from the beginning), and
// then drops each event whose seq its channel already has there
// (seq_dedupe.hpp). The read blocks the pipeline's strand once, at start.
//
// Threading: produce, delivery reports and errors all run on the pipeline's
// strand; a QueueWatcher wakes it when librdkafka has reports to serve.
#pragma once

#include <deque>
#include <memory>
#include <optional>

#include <tickcast/hop_latency.hpp>
#include <tickcast/tickcast.hpp>

#include "client.hpp"
#include "event_codec.hpp"
#include "kafka_cluster.hpp"
#include "seq_dedupe.hpp"

namespace tickcast::kafka {

class KafkaSink final : public Sink {
public:
    explicit KafkaSink(const ConfigNode& options);
    ~KafkaSink() override;
    void start(SinkContext& context) override;
    void write(BatchRef batch, Completion done) override;
    void flush(Completion done) override;
    void stop() override;

    static OptionSpecs options();
    // The producer settings kafka_sink uses unless `librdkafka:` says otherwise.
    static const Properties& default_properties();

private:
    struct Delivery;  // one batch's outstanding messages
    struct Pending {
        BatchRef batch;
        std::size_t next = 0;  // first event not yet handed to librdkafka
        Delivery* delivery;
    };

    bool load_dedupe(const Event& first);
    void produce_pending();
    bool produce(const Event& e, Delivery* d);
    void serve();
    void on_delivery(const rd_kafka_message_t& m);
    void on_error(rd_kafka_resp_err_t err, const char* reason);
    static void finish_one(Delivery* d, const char* error);

    std::string cluster_name_, topic_;
    KeyField key_ = KeyField::key;
    Properties overrides_;
    std::string hop_name_;
    std::optional<HopLatency> hop_;  // stamps hop_name_, if any
    SinkContext* context_ = nullptr;
    std::shared_ptr<KafkaCluster> cluster_;
    ClientOpaque opaque_;
    Handle producer_;
    TopicHandle topic_handle_;
    Queue main_queue_;
    std::unique_ptr<QueueWatcher> watcher_;
    std::deque<Pending> pending_;
    bool failed_ = false;
    bool dedupe_ = false, dedupe_loaded_ = false;
    std::chrono::milliseconds dedupe_timeout_{60'000};
    SeqDedupe written_;
    prometheus::Counter* deduplicated_ = nullptr;
    prometheus::Counter* dedupe_gaps_ = nullptr;
    prometheus::Counter* queue_full_ = nullptr;
    prometheus::Counter* delivery_failures_ = nullptr;
};

}  // namespace tickcast::kafka
