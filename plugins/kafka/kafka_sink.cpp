#include "kafka_sink.hpp"

#include <charconv>

#include <tickcast/input_position.hpp>

namespace tickcast::kafka {

namespace metric {
constexpr const char* queue_full = "tickcast_kafka_sink_queue_full_total";
constexpr const char* delivery_failures = "tickcast_kafka_sink_delivery_failures_total";
constexpr const char* deduplicated = "tickcast_kafka_sink_deduplicated_total";
constexpr const char* dedupe_gaps = "tickcast_kafka_sink_dedupe_gaps_total";
}  // namespace metric

// One batch in flight: completed when every message has a delivery report.
struct KafkaSink::Delivery {
    Completion done;
    BatchRef batch;              // keeps the payloads alive: they are not copied
    std::size_t remaining = 0;  // messages without a report yet
    std::string error;           // the first failure
};

OptionSpecs KafkaSink::options() {
    return {
        {"cluster", OptionType::resource, true, "", "The `kafka` resource to write to", "kafka"},
        {"topic", OptionType::string, true, "", "The topic every event is written to"},
        {"key", OptionType::string, false, "key",
         "Event field used as the message key, which picks the partition: `key` (the symbol), `channel`, or `none`"},
        {"hop", OptionType::string, false, "kafka_out", "Name of the hop stamp added to each message's headers; empty for none"},
        {"librdkafka", OptionType::map, false, "", "Producer properties that override the cluster's (e.g. linger.ms, compression.type)"},
        {"dedupe", OptionType::boolean, false, "false",
         "Exactly-once output of matching_engine (docs/reliability.md): before the first write, read the topic back (since the first event's tc.replay_since) and drop events whose channel already has their seq there"},
        {"dedupe_timeout", OptionType::duration, false, "60s", "dedupe: the longest the read-back may take before the daemon fails"},
    };
}

const Properties& KafkaSink::default_properties() {
    // linger.ms: librdkafka 2.0 waits 5 ms by default before sending a batch,
    // which every hop would pay; 1 ms still batches under load.
    //
    // max.in.flight.requests.per.connection 1: with several Produce requests
    // in flight, a batch that fails with a retriable error (NOT_LEADER while
    // a new partition's leader is still being set up, a broker restarting)
    // can be overtaken by the next batch. If that one succeeds, librdkafka
    // 2.0.2 counts the failed batch as delivered too ("implicitly acked by
    // subsequent batch success") and never retries it, and a broker with no
    // producer state for the partition accepts the skipped sequence (Kafka
    // takes any first sequence since KAFKA-7190). The batch is silently lost
    // and its delivery report says success. Measured against Kafka 4.4 with
    // topics created just before producing: a partition's first messages
    // lost in 2 of 40 runs, 0 of 80 with one request in flight.
    static const Properties p = {{"enable.idempotence", "true"},
                                 {"acks", "all"},
                                 {"linger.ms", "1"},
                                 {"max.in.flight.requests.per.connection", "1"}};
    return p;
}

KafkaSink::KafkaSink(const ConfigNode& o)
    : cluster_name_(o["cluster"].as_string()), topic_(o["topic"].as_string()), hop_name_(o["hop"].as_string()) {
    if (topic_.empty()) o["topic"].fail("topic must not be empty");
    const std::string key = o["key"].as_string();
    if (key == "key")
        key_ = KeyField::key;
    else if (key == "channel")
        key_ = KeyField::channel;
    else if (key == "none")
        key_ = KeyField::none;
    else
        o["key"].fail("key must be `key`, `channel` or `none`, not '" + key + "'");
    overrides_ = read_properties(o["librdkafka"]);
    dedupe_ = o["dedupe"].as_bool();
    if (dedupe_ && key_ == KeyField::none)
        o["key"].fail("dedupe needs key `key` or `channel`: a channel must stay in one partition for the topic to hold a prefix of its seqs");
    dedupe_timeout_ = std::chrono::duration_cast<std::chrono::milliseconds>(o["dedupe_timeout"].as_duration());
    if (dedupe_timeout_.count() <= 0) o["dedupe_timeout"].fail("dedupe_timeout must be more than 0");
}

KafkaSink::~KafkaSink() {
    // The host calls stop(); if it could not (the daemon gave up on a
    // drain), the strand is gone and only the client is torn down.
    if (producer_) {
        watcher_.reset();
        stop();
    }
}

void KafkaSink::start(SinkContext& context) {
    context_ = &context;
    queue_full_ = &context.metrics().counter(metric::queue_full, "Times librdkafka's queue was full and the sink waited");
    delivery_failures_ = &context.metrics().counter(metric::delivery_failures, "Messages librdkafka reported as not delivered");
    deduplicated_ = &context.metrics().counter(metric::deduplicated, "Events dropped by dedupe: their seq was already in the topic");
    dedupe_gaps_ = &context.metrics().counter(metric::dedupe_gaps, "Channels whose first new event after a restart skipped seqs");
    if (!hop_name_.empty()) hop_.emplace(context.metrics(), hop_name_);
    cluster_ = context.resource_as<KafkaCluster>(cluster_name_);
    cluster_->prepare_topic(topic_);

    Conf conf = cluster_->client_conf(default_properties(), overrides_);
    opaque_ = {&context.log(), this};
    attach(conf.get(), &opaque_);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        owner_of<KafkaSink>(opaque).on_delivery(*m);
    });
    rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t*, int err, const char* reason, void* opaque) {
        owner_of<KafkaSink>(opaque).on_error(rd_kafka_resp_err_t(err), reason);
    });
    producer_ = make_client(RD_KAFKA_PRODUCER, std::move(conf));
    topic_handle_.reset(rd_kafka_topic_new(producer_.get(), topic_.c_str(), nullptr));
    main_queue_.reset(rd_kafka_queue_get_main(producer_.get()));
    watcher_ = std::make_unique<QueueWatcher>(context.executor(), main_queue_.get(), [this] { serve(); });
    context.log().info("producing to topic '{}' on {}", topic_, cluster_->bootstrap());
}

void KafkaSink::write(BatchRef batch, Completion done) {
    if (batch->empty()) {
        done();
        return;
    }
    if (dedupe_ && !dedupe_loaded_ && !load_dedupe(batch->front())) {
        done(Status::failure("dedupe: the topic could not be read back"));
        return;
    }
    auto* d = new Delivery{std::move(done), batch, batch->size(), {}};
    pending_.push_back({std::move(batch), 0, d});
    if (pending_.size() == 1) produce_pending();
}

bool KafkaSink::load_dedupe(const Event& first) {
    std::int64_t since_ns = 0;
    if (const std::string* since = first.header(input_position::replay_since_header))
        std::from_chars(since->data(), since->data() + since->size(), since_ns);
    // Message times are the producer's wall clock, as is since_ns; the margin
    // covers a small clock step between the two processes.
    constexpr std::int64_t margin_ms = 2000;
    const std::int64_t since_ms = since_ns > 0 ? std::max<std::int64_t>(1, since_ns / 1'000'000 - margin_ms) : 0;
    const auto started = std::chrono::steady_clock::now();
    const ReadBack r = read_written_seqs(*cluster_, context_->log(), topic_, since_ms, dedupe_timeout_, written_);
    if (!r.error.empty()) {
        if (!failed_) {
            failed_ = true;
            context_->fail("dedupe: " + r.error + "; without it a restarted engine would write events twice");
        }
        return false;
    }
    dedupe_loaded_ = true;
    context_->log().info("dedupe: read {} messages of '{}' back ({}; {} partitions) in {} ms; {} channels to deduplicate", r.messages,
                         topic_, since_ms > 0 ? "since " + std::to_string(since_ms) + " ms" : std::string("from the beginning"),
                         r.partitions,
                         std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
                         written_.size());
    return true;
}

void KafkaSink::produce_pending() {
    while (!pending_.empty()) {
        Pending& p = pending_.front();
        const EventBatch& events = *p.batch;
        while (p.next < events.size()) {
            if (!produce(events[p.next], p.delivery)) {
                // Full: delivery reports free room and wake serve(), which resumes here.
                queue_full_->Increment();
                if (hop_) hop_->flush();
                return;
            }
            ++p.next;
        }
        pending_.pop_front();
    }
    if (hop_) hop_->flush();
}

bool KafkaSink::produce(const Event& e, Delivery* d) {
    if (e.flags & event_flags::heartbeat) {  // not data: nothing to write
        finish_one(d, nullptr);
        return true;
    }
    if (!written_.empty()) {
        switch (written_.check(e.channel, e.seq)) {
            case SeqDedupe::Verdict::drop:
                deduplicated_->Increment();
                finish_one(d, nullptr);
                return true;
            case SeqDedupe::Verdict::write_after_gap:
                dedupe_gaps_->Increment();
                context_->log().error("dedupe: {} continues at seq {} but the topic's last is lower: events between are missing",
                                      e.channel, e.seq);
                break;
            case SeqDedupe::Verdict::write: break;
        }
    }
    const std::string_view key = message_key(e, key_);
    const std::string_view value = e.payload_view();
    Hops hops = e.hops;
    if (hop_) hop_->stamp(hops, now_ns());
    rd_kafka_headers_t* headers = encode_headers(e, hops);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_RKT(topic_handle_.get()),
        // Not copied: d->batch keeps the payload alive until its report.
        RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
    rd_kafka_headers_destroy(headers);  // not taken on failure
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer_.get(), 0);  // serve reports now; the caller retries on the next wake-up
        return false;
    }
    delivery_failures_->Increment();
    finish_one(d, rd_kafka_err2str(err));
    return true;
}

void KafkaSink::serve() {
    if (!producer_) return;
    rd_kafka_poll(producer_.get(), 0);
    produce_pending();
}

void KafkaSink::on_delivery(const rd_kafka_message_t& m) {
    if (m.err) {
        delivery_failures_->Increment();
        finish_one(static_cast<Delivery*>(m._private), rd_kafka_err2str(m.err));
    } else {
        finish_one(static_cast<Delivery*>(m._private), nullptr);
    }
}

void KafkaSink::finish_one(Delivery* d, const char* error) {
    if (error && d->error.empty()) d->error = std::string("a message was not delivered: ") + error;
    if (--d->remaining > 0) return;
    d->done(d->error.empty() ? Status::success() : Status::failure(d->error));
    delete d;
}

void KafkaSink::on_error(rd_kafka_resp_err_t err, const char* reason) {
    if (err != RD_KAFKA_RESP_ERR__FATAL) {
        context_->log().warn("Kafka producer: {}", reason);
        return;
    }
    if (failed_) return;
    failed_ = true;
    char why[512];
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(producer_.get(), why, sizeof why);
    context_->fail("Kafka producer for topic '" + topic_ + "' hit a fatal error (" + rd_kafka_err2name(cause) + "): " + why +
                   "; the idempotent producer cannot go on without risking duplicates or gaps");
}

void KafkaSink::flush(Completion done) {
    // Every write has completed when the host calls flush, so nothing is queued.
    done();
}

void KafkaSink::stop() {
    if (!producer_) return;
    if (watcher_) watcher_->close();
    // Normally nothing is in flight here; after a failed drain, wait a little,
    // then fail what is left so that every batch gets its completion.
    rd_kafka_flush(producer_.get(), 5000);
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer_.get(), 1000);  // serves the purged messages' reports
    for (Pending& p : pending_) {
        const std::size_t unsent = p.batch->size() - p.next;
        for (std::size_t i = 0; i < unsent; ++i) finish_one(p.delivery, "the sink stopped before producing it");
    }
    pending_.clear();
    main_queue_.reset();
    topic_handle_.reset();
    producer_.reset();
}

}  // namespace tickcast::kafka
