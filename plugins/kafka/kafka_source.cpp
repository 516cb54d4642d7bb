#include "kafka_source.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include <tickcast/input_position.hpp>

#include <boost/asio/post.hpp>

namespace tickcast::kafka {

namespace metric {
constexpr const char* commits = "tickcast_kafka_source_commits_total";
constexpr const char* commit_failures = "tickcast_kafka_source_commit_failures_total";
constexpr const char* rebalances = "tickcast_kafka_source_rebalances_total";
constexpr const char* redelivered = "tickcast_kafka_source_redeliveries_total";
constexpr const char* decode_errors = "tickcast_kafka_source_decode_errors_total";
constexpr const char* backpressure_pauses = "tickcast_kafka_source_backpressure_pauses_total";
constexpr const char* lag = "tickcast_kafka_consumer_lag_messages";
}  // namespace metric

namespace {
// A stall shorter than this is absorbed by librdkafka's prefetch bound;
// pausing and resuming partitions for every brief full pipeline would cost
// more than it saves.
constexpr auto pause_after = std::chrono::milliseconds(50);

PartitionList to_list(const std::vector<PartitionOffset>& offsets) {
    PartitionList list(rd_kafka_topic_partition_list_new(int(offsets.size())));
    for (const auto& [tp, offset] : offsets)
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
    return list;
}

std::string describe(const rd_kafka_topic_partition_list_t* list) {
    std::string out;
    for (int i = 0; i < list->cnt; ++i)
        out += (i ? ", " : "") + TopicPartition{list->elems[i].topic, list->elems[i].partition}.str();
    return out.empty() ? "none" : out;
}

std::chrono::milliseconds as_ms(std::chrono::nanoseconds d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }
}  // namespace

OptionSpecs KafkaSource::options() {
    return {
        {"cluster", OptionType::resource, true, "", "The `kafka` resource to read from", "kafka"},
        {"topics", OptionType::string_list, true, "", "Topics to subscribe to"},
        {"group", OptionType::string, true, "", "Consumer group id; sources sharing it split the partitions"},
        {"start", OptionType::string, false, "committed",
         "Where to start reading a partition: `committed` (the group's commit, else the earliest), or `earliest`/`latest` (ignore commits the first time this source gets the partition)"},
        {"start_from", OptionType::string, false, "",
         "Exactly-once input of matching_engine (docs/reliability.md): a positions file (matching_engine's positions_file) naming where each partition starts, else at its beginning; the group's commits are ignored and each event carries its position (header tc.in). One topic of one partition"},
        {"codec", OptionType::string, false, "json",
         "`json`: a value without tickcast headers must be JSON (else counted and skipped); `raw`: values are opaque bytes"},
        {"channel", OptionType::string, false, "",
         "Channel of messages without a tc.channel header (and no channel_field); default the topic name"},
        {"channel_field", OptionType::string, false, "", "codec json: top-level string field giving the channel of messages without a tc.channel header"},
        {"hop", OptionType::string, false, "kafka_in", "Name of the hop stamp added to each event when read; empty for none"},
        {"batch", OptionType::integer, false, "1024", "Most events per emitted batch"},
        {"commit_interval", OptionType::duration, false, "200ms", "How often acknowledged offsets are committed (also on rebalance and stop)"},
        {"revoke_timeout", OptionType::duration, false, "10s",
         "On rebalance, how long to wait for in-flight events of revoked partitions before giving them up uncommitted (they are then read again)"},
        {"close_timeout", OptionType::duration, false, "5s",
         "On stop, how long to wait for the final commit and for leaving the group; past it (no reachable coordinator) the consumer is dropped and its partitions move after session.timeout.ms"},
        {"retry_backoff", OptionType::duration, false, "500ms", "Wait before reading again a batch that a sink failed"},
        {"librdkafka", OptionType::map, false, "", "Consumer properties that override the cluster's (e.g. fetch.wait.max.ms, session.timeout.ms)"},
    };
}

const Properties& KafkaSource::default_properties() {
    // fetch.wait.max.ms: librdkafka's 500 ms default is how long a broker may
    // hold an empty fetch; librdkafka's embedded test broker always holds it
    // that long, so a message arriving meanwhile waits too. auto.offset.reset:
    // a group without a commit starts at the beginning (nothing skipped).
    // queued.min.messages: once the prefetched queue holds that many
    // messages, librdkafka 2.0 stops fetching and looks again only when its
    // broker thread next wakes, up to 1 s later (librdkafka #2879; 2.1 added
    // fetch.queue.backoff.ms for it). A consumer slower than the fetch, as
    // when a gateway catches up on a backlog, drained its 100,000 in ~0.2 s
    // and then waited: 124k events/s, against 418k/s with the count out of
    // the way and the 64 MB byte bound (queued.max.messages.kbytes) deciding
    // (bench_kafka --consume-only, docs/benchmarks.md).
    static const Properties p = {{"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"auto.offset.reset", "earliest"},
                                 {"fetch.wait.max.ms", "5"},
                                 {"queued.min.messages", "1000000"}};
    return p;
}

KafkaSource::KafkaSource(const ConfigNode& o)
    : cluster_name_(o["cluster"].as_string()), group_(o["group"].as_string()), topics_(o["topics"].as_strings()),
      hop_name_(o["hop"].as_string()), commit_interval_(o["commit_interval"].as_duration()),
      revoke_timeout_(o["revoke_timeout"].as_duration()), retry_backoff_(o["retry_backoff"].as_duration()),
      close_timeout_(std::chrono::duration_cast<std::chrono::milliseconds>(o["close_timeout"].as_duration())) {
    if (topics_.empty()) o["topics"].fail("give at least one topic");
    if (group_.empty()) o["group"].fail("group must not be empty");
    const std::string start = o["start"].as_string();
    if (start == "committed")
        start_at_ = StartAt::committed;
    else if (start == "earliest")
        start_at_ = StartAt::earliest;
    else if (start == "latest")
        start_at_ = StartAt::latest;
    else
        o["start"].fail("start must be `committed`, `earliest` or `latest`, not '" + start + "'");
    if (o.has("start_from")) start_from_ = o["start_from"].as_string();
    if (!start_from_.empty()) {
        if (start_at_ != StartAt::committed) o["start"].fail("start and start_from exclude each other: start_from names where to start");
        if (topics_.size() != 1)
            o["topics"].fail("start_from needs exactly one topic: the engine replays deterministically only from one totally ordered partition");
    }
    const std::string codec = o["codec"].as_string();
    if (codec == "json")
        rules_.codec = Codec::json;
    else if (codec == "raw")
        rules_.codec = Codec::raw;
    else
        o["codec"].fail("codec must be `json` or `raw`, not '" + codec + "'");
    if (o.has("channel")) rules_.channel = o["channel"].as_string();
    if (o.has("channel_field")) rules_.channel_field = o["channel_field"].as_string();
    if (!rules_.channel_field.empty() && rules_.codec != Codec::json)
        o["channel_field"].fail("channel_field needs codec: json");
    const std::int64_t batch = o["batch"].as_int();
    if (batch < 1) o["batch"].fail("batch must be at least 1");
    batch_max_ = std::size_t(batch);
    if (commit_interval_.count() <= 0) o["commit_interval"].fail("commit_interval must be more than 0");
    overrides_ = read_properties(o["librdkafka"]);
}

KafkaSource::~KafkaSource() {
    // Normally finish() has run. If not (the daemon gave up on the drain),
    // the strand is gone: leave the group without committing anything more.
    if (consumer_) {
        closing_ = true;
        watcher_.reset();
        queue_.reset();
        close_consumer(consumer_, close_timeout_);
    }
}

KafkaSource::PartitionState& KafkaSource::state(const TopicPartition& tp, const TopicPartition** key) {
    auto it = partitions_.try_emplace(tp).first;
    if (!it->second.lag)
        it->second.lag = &context_->metrics().gauge(metric::lag, "Messages in the partition after the last committed offset",
                                                    {{"topic", tp.topic}, {"partition", std::to_string(tp.partition)}});
    if (key) *key = &it->first;
    return it->second;
}

void KafkaSource::start(SourceContext& context) {
    context_ = &context;
    Metrics& m = context.metrics();
    commits_ = &m.counter(metric::commits, "Offset commits the group coordinator accepted");
    commit_failures_ = &m.counter(metric::commit_failures, "Offset commits that failed (retried at the next interval)");
    rebalances_ = &m.counter(metric::rebalances, "Partition assignments and revocations");
    redelivered_ = &m.counter(metric::redelivered, "Times a partition was read again from a batch a sink failed");
    decode_errors_ = &m.counter(metric::decode_errors, "Messages skipped because the codec could not read them");
    backpressure_pauses_ = &m.counter(metric::backpressure_pauses,
                                      "Times the partitions were paused because the pipeline stayed full (each resume fetches again)");
    if (!hop_name_.empty()) hop_.emplace(m, hop_name_);

    cluster_ = context.resource_as<KafkaCluster>(cluster_name_);
    if (!start_from_.empty()) {
        if (cluster_->embedded() && cluster_->embedded_partitions() != 1)
            throw std::runtime_error("start_from needs topic '" + topics_[0] + "' to have one partition, but the embedded cluster '" +
                                     cluster_name_ + "' makes " + std::to_string(cluster_->embedded_partitions()) +
                                     "; set its embedded_partitions: 1");
        read_start_positions();
    }
    for (const std::string& t : topics_) cluster_->prepare_topic(t);
    Conf conf = cluster_->client_conf(default_properties(), overrides_);
    apply_properties(conf.get(), {{"group.id", group_}});
    opaque_ = {&context.log(), this};
    attach(conf.get(), &opaque_);
    rd_kafka_conf_set_rebalance_cb(conf.get(), [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
        owner_of<KafkaSource>(opaque).on_rebalance(err, parts);
    });
    rd_kafka_conf_set_offset_commit_cb(conf.get(), [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets, void* opaque) {
        owner_of<KafkaSource>(opaque).on_commit_result(err, offsets);
    });
    rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t*, int err, const char* reason, void* opaque) {
        owner_of<KafkaSource>(opaque).on_error(rd_kafka_resp_err_t(err), reason);
    });
    consumer_ = make_client(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(consumer_.get());  // one queue for everything
    queue_.reset(rd_kafka_queue_get_consumer(consumer_.get()));

    PartitionList subscription(rd_kafka_topic_partition_list_new(int(topics_.size())));
    for (const std::string& t : topics_) rd_kafka_topic_partition_list_add(subscription.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), subscription.get()))
        throw std::runtime_error(std::string("cannot subscribe: ") + rd_kafka_err2str(err));

    const auto ex = context.executor();
    commit_timer_ = std::make_unique<boost::asio::steady_timer>(ex);
    pause_timer_ = std::make_unique<boost::asio::steady_timer>(ex);
    revoke_timer_ = std::make_unique<boost::asio::steady_timer>(ex);
    retry_timer_ = std::make_unique<boost::asio::steady_timer>(ex);
    watcher_ = std::make_unique<QueueWatcher>(ex, queue_.get(), [this] { drain(); });
    schedule_commit();
    context.log().info("consuming {} as group '{}' from {}", describe(subscription.get()), group_, cluster_->bootstrap());
    boost::asio::post(ex, [this] { drain(); });
}

// "<topic> <partition> <offset>" lines; the file must exist (the stage that
// writes it starts first), an empty one means: every partition from its start.
void KafkaSource::read_start_positions() {
    std::ifstream in(start_from_);
    if (!in)
        throw std::runtime_error("cannot read start_from file '" + start_from_ +
                                 "'; matching_engine's positions_file writes it on start: do the two name the same file?");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        std::istringstream fields(line);
        TopicPartition tp;
        std::int64_t offset = -1;
        std::string extra;
        if (!(fields >> tp.topic >> tp.partition >> offset) || (fields >> extra) || tp.partition < 0 || offset < 0)
            throw std::runtime_error(start_from_ + ":" + std::to_string(number) + ": expected '<topic> <partition> <offset>', got '" + line + "'");
        start_offsets_[tp] = offset;
    }
    std::string where;
    for (const auto& [tp, offset] : start_offsets_) where += (where.empty() ? "" : ", ") + tp.str() + " at " + std::to_string(offset);
    context_->log().info("start_from {}: {}", start_from_, where.empty() ? "every partition from its beginning" : where);
}

// --- reading -----------------------------------------------------------------

void KafkaSource::drain() {
    if (!consumer_ || closing_) return;
    // Waiting for capacity: once the partitions are paused no new messages
    // come (librdkafka drops what it had fetched for them and fetches again
    // from the last message polled), but rebalances, commit results and
    // errors still arrive here and must be served, or a stalled sink would
    // stall the whole group and revoke_timeout could never apply.
    const bool events_only = waiting_;
    if (events_only && !backpressure_paused_) return;  // the pause timer calls back
    bool queue_empty = false;
    int empty_polls = 0;
    while (events_only || pending_.size() < batch_max_) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 0);
        if (!m) {
            // consumer_poll may return after serving a callback with more queued.
            if (rd_kafka_queue_length(queue_.get()) == 0 || ++empty_polls > 2) {
                queue_empty = true;
                break;
            }
            continue;
        }
        take(*m);
        rd_kafka_message_destroy(m);
        if (!consumer_ || closing_) return;
    }
    if (events_only) return;  // when_ready calls back
    emit_pending();
    if (!pending_.empty() && context_->capacity() == 0)
        wait_for_capacity();
    else if (!pending_.empty() || !queue_empty)
        boost::asio::post(context_->executor(), [this] { drain(); });  // more to read: yield to acks first
    // else the queue is empty: the watcher wakes us when it is not
}

void KafkaSource::take(const rd_kafka_message_t& m) {
    if (m.err) {
        if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
        context_->log().warn("consumer error{}: {}",
                             m.rkt ? " on " + TopicPartition{rd_kafka_topic_name(m.rkt), m.partition}.str() : std::string(),
                             rd_kafka_message_errstr(&m));
        return;
    }
    if (m.rkt != last_rkt_ || m.partition != last_partition_) {
        state({rd_kafka_topic_name(m.rkt), m.partition}, &last_tp_);
        last_rkt_ = m.rkt;
        last_partition_ = m.partition;
    }
    PartitionState& s = partitions_.find(*last_tp_)->second;
    if (s.revoking || stopping_) return;  // not emitted, so not committed: read again later
    s.next_read = m.offset + 1;

    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) headers = nullptr;
    const MessageView view{last_tp_->topic,
                           {static_cast<const char*>(m.key), m.key ? m.key_len : 0},
                           {static_cast<const char*>(m.payload), m.payload ? m.len : 0},
                           headers,
                           rd_kafka_message_timestamp(&m, nullptr)};
    Message msg{last_tp_, m.offset, Event{}};
    std::string error;
    if (!decode_message(view, rules_, *msg.event, error, &payloads_)) {
        decode_errors_->Increment();
        if (decode_errors_logged_++ < 10)
            context_->log().warn("skipped {} offset {}: {}", last_tp_->str(), m.offset, error);
        msg.event.reset();
    } else {
        if (hop_) hop_->stamp(msg.event->hops, now_ns());
        if (!start_from_.empty())
            msg.event->headers.emplace_back(input_position::header,
                                            input_position::format(last_tp_->topic, m.partition, m.offset, tracker_.commit_point(*last_tp_)));
    }
    pending_.push_back(std::move(msg));
}

void KafkaSource::emit_pending() {
    if (stopping_) return;
    std::size_t n = std::min({pending_.size(), context_->capacity(), batch_max_});
    if (n == 0) return;
    EventBatch batch;
    batch.reserve(n);
    // The offsets each partition contributes: one range per partition, since
    // a partition's messages arrive in offset order.
    std::map<const TopicPartition*, std::pair<std::int64_t, std::int64_t>> ranges;
    for (std::size_t i = 0; i < n; ++i) {
        Message& m = pending_[i];
        auto [it, fresh] = ranges.try_emplace(m.tp, m.offset, m.offset);
        if (!fresh) it->second.second = m.offset;
        if (m.event) batch.push_back(std::move(*m.event));
    }
    pending_.pop_front(n);
    const std::uint64_t token = next_token_++;
    for (const auto& [tp, r] : ranges) tracker_.emitted(*tp, r.first, r.second, token);
    ++outstanding_;
    context_->emit(std::move(batch), token);
    if (hop_) hop_->flush();
}

void KafkaSource::wait_for_capacity() {
    if (waiting_) return;
    waiting_ = true;
    pause_timer_->expires_after(pause_after);
    pause_timer_->async_wait([this](boost::system::error_code ec) {
        if (ec || !waiting_ || !consumer_) return;
        backpressure_paused_ = true;
        backpressure_pauses_->Increment();
        update_pauses();
        drain();  // serve what queued up meanwhile (the watcher only signals an empty queue filling)
    });
    context_->when_ready([this] {
        waiting_ = false;
        if (!consumer_) return;
        pause_timer_->cancel();
        if (backpressure_paused_) {
            backpressure_paused_ = false;
            update_pauses();
        }
        drain();
    });
}

void KafkaSource::update_pauses() {
    if (!consumer_ || closing_) return;
    PartitionList pause(rd_kafka_topic_partition_list_new(4)), resume(rd_kafka_topic_partition_list_new(4));
    for (auto& [tp, s] : partitions_) {
        if (!s.assigned) continue;
        const bool want = backpressure_paused_ || s.held;
        if (want == s.paused) continue;
        s.paused = want;
        rd_kafka_topic_partition_list_add(want ? pause.get() : resume.get(), tp.topic.c_str(), tp.partition);
    }
    if (pause->cnt) rd_kafka_pause_partitions(consumer_.get(), pause.get());
    if (resume->cnt) rd_kafka_resume_partitions(consumer_.get(), resume.get());
}

void KafkaSource::on_ack(std::uint64_t token, const Status& status) {
    --outstanding_;
    if (status.ok) {
        tracker_.acked(token);
    } else {
        const std::vector<PartitionOffset> from = tracker_.failed(token);
        if (!stopping_ && !closing_) reread(from);
    }
    check_revoke();
    check_stopped();
}

void KafkaSource::reread(const std::vector<PartitionOffset>& from) {
    if (from.empty() || !consumer_) return;
    for (const auto& [tp, offset] : from) {
        redelivered_->Increment();
        context_->log().warn("a sink failed a batch: reading {} again from offset {} in {} ms", tp.str(), offset,
                             as_ms(retry_backoff_).count());
        pending_.erase_if([&](const Message& m) { return *m.tp == tp; });
        state(tp).held = true;
    }
    update_pauses();
    // The seek also drops what librdkafka prefetched past the offset.
    PartitionList list = to_list(from);
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer_.get(), list.get(), 2000)) {
        context_->log().error("seek failed: {}", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    retry_timer_->expires_after(retry_backoff_);
    retry_timer_->async_wait([this](boost::system::error_code ec) {
        if (!ec) release_held();
    });
}

void KafkaSource::release_held() {
    for (auto& [tp, s] : partitions_) s.held = false;
    update_pauses();
    drain();
}

// --- rebalance ---------------------------------------------------------------

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    rebalances_->Increment();
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer_.get()), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; ++i) {
            rd_kafka_topic_partition_t& p = parts->elems[i];
            PartitionState& s = state({p.topic, p.partition});
            s.assigned = true;
            s.revoking = s.held = s.paused = false;
            if (!start_from_.empty()) {
                if (p.partition != 0)
                    context_->fail("start_from needs topic '" + std::string(p.topic) + "' to have one partition, but it has partition " +
                                   std::to_string(p.partition) + " too: the engine replays deterministically only from one total order");
                if (!s.started) {
                    const auto at = start_offsets_.find({p.topic, p.partition});
                    p.offset = at == start_offsets_.end() ? RD_KAFKA_OFFSET_BEGINNING : at->second;
                }
            } else if (!s.started && start_at_ != StartAt::committed) {
                p.offset = start_at_ == StartAt::earliest ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
            }
            s.started = true;
        }
        context_->log().info("assigned {}", describe(parts));
        if (cooperative && settling_callbacks_ > 0) --settling_callbacks_;
        if (cooperative) {
            if (rd_kafka_error_t* e = rd_kafka_incremental_assign(consumer_.get(), parts)) {
                context_->log().error("incremental assign failed: {}", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(consumer_.get(), parts);
        }
        update_pauses();
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        revoking_ = true;
        revoke_cooperative_ = cooperative;
        if (cooperative) {
            // This member gives partitions up, so after this rebalance's
            // assign callback librdkafka joins again, and that join's assign
            // callback ends it. A commit sent meanwhile carries the old
            // generation; librdkafka 2.0.2 takes its ILLEGAL_GENERATION as
            // "assignment lost" and revokes everything, uncommitted
            // (librdkafka issue #4059): the partitions are read again from
            // older commits. Periodic commits wait for the two callbacks
            // (one after a lost assignment: no assign callback comes before
            // the join), or 30 s; the revoke's own commit goes out before the join.
            settling_callbacks_ = rd_kafka_assignment_lost(consumer_.get()) ? 1 : 2;
            settle_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        }
        for (int i = 0; i < parts->cnt; ++i) {
            const TopicPartition tp{parts->elems[i].topic, parts->elems[i].partition};
            state(tp).revoking = true;
            pending_.erase_if([&](const Message& m) { return *m.tp == tp; });
        }
        context_->log().info("revoking {}: finishing in-flight events first", describe(parts));
        if (!closing_ && !stopping_) {
            revoke_timer_->expires_after(revoke_timeout_);
            revoke_timer_->async_wait([this](boost::system::error_code ec) {
                if (ec || !revoking_) return;
                std::string late;
                for (const auto& [tp, s] : partitions_)
                    if (const std::size_t n = s.revoking ? tracker_.unacked(tp) : 0; n > 0) {
                        const std::int64_t c = tracker_.commit_point(tp);
                        late += (late.empty() ? "" : ", ") + tp.str() + " (" + std::to_string(n) + " batch" + (n == 1 ? "" : "es") +
                                ", committed " + (c < 0 ? std::string("nothing") : "up to offset " + std::to_string(c)) + ")";
                    }
                context_->log().warn("revoke_timeout ({} ms) passed with events of {} not acknowledged by every sink: giving the "
                                     "partitions up without committing those events; their next owner reads them again",
                                     as_ms(revoke_timeout_).count(), late);
                finish_revoke();
            });
        }
        check_revoke();
        return;
    }
    context_->log().error("rebalance failed: {}", rd_kafka_err2str(err));
    rd_kafka_assign(consumer_.get(), nullptr);
}

void KafkaSource::check_revoke() {
    if (!revoking_) return;
    if (!closing_)
        for (const auto& [tp, s] : partitions_)
            if (s.revoking && tracker_.unacked(tp) > 0) return;
    finish_revoke();
}

void KafkaSource::finish_revoke() {
    revoking_ = false;
    revoke_timer_->cancel();
    std::vector<TopicPartition> revoked;
    for (const auto& [tp, s] : partitions_)
        if (s.revoking) revoked.push_back(tp);
    // Synchronous: the next owner must find these commits.
    commit(tracker_.commits_for(revoked), true);
    PartitionList list(rd_kafka_topic_partition_list_new(int(revoked.size()))), paused(rd_kafka_topic_partition_list_new(1));
    for (const TopicPartition& tp : revoked) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
        if (partitions_[tp].paused) rd_kafka_topic_partition_list_add(paused.get(), tp.topic.c_str(), tp.partition);
        tracker_.forget(tp);
        PartitionState& s = partitions_[tp];
        s.assigned = s.revoking = s.held = s.paused = false;
        s.lag->Set(0);
    }
    // librdkafka keeps an application pause across unassign and assign: a
    // partition given up while paused would come back paused, and we would
    // not know. Resumed here, it comes back as our state says: not paused.
    if (paused->cnt) rd_kafka_resume_partitions(consumer_.get(), paused.get());
    if (revoke_cooperative_) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(consumer_.get(), list.get())) {
            context_->log().error("incremental unassign failed: {}", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(consumer_.get(), nullptr);
    }
    context_->log().info("gave up {}", describe(list.get()));
    if (!closing_) boost::asio::post(context_->executor(), [this] { drain(); });
}

// --- commits -----------------------------------------------------------------

void KafkaSource::commit(const std::vector<PartitionOffset>& offsets, bool sync) {
    if (offsets.empty() || !consumer_) return;
    PartitionList list = to_list(offsets);
    if (!sync) {  // the result arrives in on_commit_result
        rd_kafka_commit(consumer_.get(), list.get(), 1);
        return;
    }
    // Synchronous, but for at most close_timeout: with the coordinator gone a
    // plain synchronous commit would hold the strand (and the daemon's stop)
    // for good.
    Queue results(rd_kafka_queue_new(consumer_.get()));
    const rd_kafka_resp_err_t err = rd_kafka_commit_queue(consumer_.get(), list.get(), results.get(), nullptr, nullptr);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {  // the request never left
        if (err != RD_KAFKA_RESP_ERR__NO_OFFSET) context_->log().warn("commit of {} failed: {}", describe(list.get()), rd_kafka_err2str(err));
        return;
    }
    rd_kafka_event_t* result = rd_kafka_queue_poll(results.get(), int(close_timeout_.count()));
    if (!result) {
        commit_failures_->Increment();
        context_->log().warn("commit of {} got no answer within close_timeout ({} ms); its events will be read again", describe(list.get()),
                             close_timeout_.count());
        return;
    }
    on_commit_result(rd_kafka_event_error(result), rd_kafka_event_topic_partition_list(result));
    rd_kafka_event_destroy(result);
}

void KafkaSource::on_commit_result(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets) {
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    bool failed = err != RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; offsets && i < offsets->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = offsets->elems[i];
        if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && !failed) continue;
        failed = true;
        if (!closing_) tracker_.commit_failed({p.topic, p.partition});
    }
    if (!failed) {
        commits_->Increment();
        return;
    }
    commit_failures_->Increment();
    context_->log().warn("offset commit failed: {}", rd_kafka_err2str(err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : offsets->elems[0].err));
}

void KafkaSource::schedule_commit() {
    commit_timer_->expires_after(commit_interval_);
    commit_timer_->async_wait([this](boost::system::error_code ec) {
        if (ec || closing_ || !consumer_) return;
        if (settling_callbacks_ > 0 && std::chrono::steady_clock::now() > settle_deadline_) settling_callbacks_ = 0;
        if (settling_callbacks_ == 0) commit(tracker_.take_commits(), false);  // else offered again next time
        update_lag();
        schedule_commit();
    });
}

void KafkaSource::update_lag() {
    for (auto& [tp, s] : partitions_) {
        if (!s.assigned) continue;
        std::int64_t low = -1, high = -1;
        if (rd_kafka_get_watermark_offsets(consumer_.get(), tp.topic.c_str(), tp.partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0)
            continue;
        std::int64_t done = tracker_.commit_point(tp);
        if (done < 0) done = s.next_read;
        if (done >= 0) s.lag->Set(double(std::max<std::int64_t>(0, high - done)));
    }
}

void KafkaSource::on_error(rd_kafka_resp_err_t err, const char* reason) {
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(consumer_.get(), why, sizeof why);
        context_->fail("Kafka consumer of group '" + group_ + "' hit a fatal error (" + rd_kafka_err2name(cause) + "): " + why);
        return;
    }
    context_->log().warn("Kafka consumer: {}", reason);
}

// --- stopping ----------------------------------------------------------------

void KafkaSource::stop() {
    if (stopping_) return;
    stopping_ = true;
    pending_.clear();  // never emitted, never committed: read again next time
    check_stopped();
}

void KafkaSource::check_stopped() {
    if (stopping_ && !finished_ && outstanding_ == 0) finish();
}

void KafkaSource::finish() {
    finished_ = true;
    for (auto* t : {&commit_timer_, &pause_timer_, &revoke_timer_, &retry_timer_}) (*t)->cancel();
    // Asynchronous: leaving the group waits for it, within close_timeout.
    commit(tracker_.take_commits(), false);
    closing_ = true;  // the revoke that close() triggers gives partitions up at once
    watcher_->close();
    queue_.reset();
    if (close_consumer(consumer_, close_timeout_))
        context_->log().info("left group '{}'", group_);
    else
        context_->log().warn("could not leave group '{}' within close_timeout ({} ms): the coordinator does not answer, so the "
                             "client is destroyed in the background; the last commit may be lost (those events are read again) "
                             "and the partitions move on after session.timeout.ms",
                             group_, close_timeout_.count());
    // Destroyed here, on the strand, while the io_context surely lives; their
    // cancelled handlers see operation_aborted and touch nothing.
    for (auto* t : {&commit_timer_, &pause_timer_, &revoke_timer_, &retry_timer_}) t->reset();
    watcher_.reset();
    context_->done();
}

}  // namespace tickcast::kafka
