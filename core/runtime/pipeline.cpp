#include "runtime/pipeline.hpp"

#include <algorithm>
#include <bit>

#include <boost/asio/post.hpp>

namespace tickcast::core {

namespace {
// Sink tickets carry the batch id and the sink's index; flush tickets have
// the top bit set.
constexpr std::uint64_t flush_flag = 1ull << 63;
constexpr unsigned sink_bits = 8;
constexpr std::size_t max_sinks = (1u << sink_bits) - 1;

double seconds_since(std::int64_t ns, std::int64_t now) { return ns > 0 && now > ns ? double(now - ns) / 1e9 : 0.0; }

// Every event's origin-to-completion time goes into the histogram, counted
// into buckets here so that the histogram's lock is taken once per batch.
void observe_end_to_end(const EventBatch& batch, std::int64_t now, prometheus::Histogram& h) {
    const std::vector<double>& bounds = latency_buckets();
    thread_local std::vector<double> counts;
    counts.assign(bounds.size() + 1, 0.0);  // the last one is +Inf
    double sum = 0;
    bool any = false;
    for (const Event& e : batch) {
        if (e.origin_ns <= 0) continue;
        const double s = seconds_since(e.origin_ns, now);
        counts[std::size_t(std::lower_bound(bounds.begin(), bounds.end(), s) - bounds.begin())] += 1;
        sum += s;
        any = true;
    }
    if (any) h.ObserveMultiple(counts, sum);
}

// The metric names of the pipeline runtime, declared once.
namespace metric {
constexpr const char* in_flight = "tickcast_pipeline_in_flight_events";
constexpr const char* high_water = "tickcast_pipeline_in_flight_high_water_events";
constexpr const char* events_in = "tickcast_plugin_events_in_total";
constexpr const char* events_out = "tickcast_plugin_events_out_total";
constexpr const char* errors = "tickcast_plugin_errors_total";
constexpr const char* sink_write = "tickcast_sink_write_seconds";
constexpr const char* end_to_end = "tickcast_sink_end_to_end_seconds";
constexpr const char* lost = "tickcast_pipeline_lost_events_total";
}  // namespace metric
}  // namespace

class Pipeline::SourceContextImpl final : public ContextImpl<SourceContext> {
public:
    SourceContextImpl(Pipeline& p, HostServices& host, std::string name, boost::asio::any_io_executor ex, Labels labels)
        : ContextImpl(host, std::move(name), std::move(ex), std::move(labels)), pipeline_(p) {}
    std::size_t capacity() const override { return pipeline_.capacity(); }
    void emit(EventBatch batch, std::uint64_t token) override { pipeline_.emit(std::move(batch), token); }
    void when_ready(std::function<void()> resume) override { pipeline_.when_ready(std::move(resume)); }
    void done() override { pipeline_.source_done(); }
    void lost(std::uint64_t events, const std::string& why) override { pipeline_.source_lost(events, why); }

private:
    Pipeline& pipeline_;
};

// Receives sink completions from any thread and moves them onto the strand.
class Pipeline::Completions final : public CompletionTarget {
public:
    Completions(std::weak_ptr<Pipeline> p, boost::asio::any_io_executor ex) : pipeline_(std::move(p)), strand_(std::move(ex)) {}
    void complete(std::uint64_t ticket, Status status) noexcept override {
        try {
            boost::asio::post(strand_, [w = pipeline_, ticket, s = std::move(status)]() mutable {
                if (auto p = w.lock()) p->on_completion(ticket, std::move(s));
            });
        } catch (...) {
            // post only throws on allocation failure; nothing sane to do here
        }
    }

private:
    std::weak_ptr<Pipeline> pipeline_;
    boost::asio::any_io_executor strand_;
};

struct Pipeline::StageSlot {
    Instance<Stage>* instance;
    std::unique_ptr<InstanceContext> context;
    prometheus::Counter* in;
    prometheus::Counter* out;
    prometheus::Counter* errors;
};

struct Pipeline::SinkSlot {
    Instance<Sink>* instance;
    std::unique_ptr<InstanceContext> context;
    prometheus::Counter* in;
    prometheus::Counter* out;
    prometheus::Counter* errors;
    prometheus::Histogram* write_seconds;
    prometheus::Histogram* end_to_end_seconds;
};

Pipeline::Pipeline(PipelineInstances& instances, HostServices& host, boost::asio::io_context& io)
    : name_(instances.config->name), host_(host), strand_(boost::asio::make_strand(io)), instances_(instances),
      max_in_flight_(instances.config->max_in_flight) {
    auto labels = [&](const std::string& instance, const char* kind) {
        return Labels{{"pipeline", name_}, {"plugin", instance}, {"kind", kind}};
    };
    MetricsRegistry& m = host.metrics;
    in_flight_gauge_ = &m.gauge(metric::in_flight, "Events accepted from the source and not yet acknowledged", {{"pipeline", name_}});
    high_water_gauge_ = &m.gauge(metric::high_water, "The most events ever in flight at once (bounded by max_in_flight)", {{"pipeline", name_}});
    const std::string& src = instances.source.entry.name;
    source_context_ = std::make_unique<SourceContextImpl>(*this, host, name_ + "/" + src, strand_, Labels{{"pipeline", name_}, {"plugin", src}});
    source_events_ = &m.counter(metric::events_out, "Events a plugin passed on", labels(src, "source"));
    lost_events_ = &m.counter(metric::lost, "Events a sink failed that the source cannot emit again", {{"pipeline", name_}});
    for (Instance<Stage>& s : instances.stages) {
        const std::string& n = s.entry.name;
        stages_.push_back({&s, std::make_unique<InstanceContext>(host, name_ + "/" + n, strand_, Labels{{"pipeline", name_}, {"plugin", n}}),
                           &m.counter(metric::events_in, "Events a plugin received", labels(n, "stage")),
                           &m.counter(metric::events_out, "Events a plugin passed on", labels(n, "stage")),
                           &m.counter(metric::errors, "Events a plugin failed to handle", labels(n, "stage"))});
    }
    for (Instance<Sink>& s : instances.sinks) {
        const std::string& n = s.entry.name;
        const Labels l{{"pipeline", name_}, {"plugin", n}};
        sinks_.push_back({&s, std::make_unique<InstanceContext>(host, name_ + "/" + n, strand_, l),
                          &m.counter(metric::events_in, "Events a plugin received", labels(n, "sink")),
                          &m.counter(metric::events_out, "Events a plugin passed on", labels(n, "sink")),
                          &m.counter(metric::errors, "Events a plugin failed to handle", labels(n, "sink")),
                          &m.histogram(metric::sink_write, "Time from handing a batch to a sink to its completion", latency_buckets(), l),
                          &m.histogram(metric::end_to_end, "Time from an event's origin to its completion by a sink", latency_buckets(), l)});
    }
}

Pipeline::~Pipeline() = default;

template <class F>
bool Pipeline::guarded(spdlog::logger& log, const char* what, F&& call) {
    try {
        call();
        return true;
    } catch (const std::exception& e) {
        log.error("{} failed: {}", what, e.what());
    } catch (...) {
        log.error("{} failed with an unknown exception", what);
    }
    return false;
}

std::string Pipeline::start() {
    if (sinks_.size() > max_sinks) return "pipeline '" + name_ + "' has more than " + std::to_string(max_sinks) + " sinks";
    completions_ = std::make_shared<Completions>(weak_from_this(), strand_);
    for (SinkSlot& s : sinks_)
        if (!guarded(s.context->log(), "start", [&] { s.instance->object->start(*s.context); }))
            return s.context->name() + ": failed to start";
    for (StageSlot& s : stages_)
        if (!guarded(s.context->log(), "start", [&] { s.instance->object->start(*s.context); }))
            return s.context->name() + ": failed to start";
    if (!guarded(source_context_->log(), "start", [&] { instances_.source.object->start(*source_context_); }))
        return source_context_->name() + ": failed to start";
    return {};
}

void Pipeline::stop() {
    boost::asio::post(strand_, [self = shared_from_this()] {
        if (self->source_done_) return;
        self->guarded(self->source_context_->log(), "stop", [&] { self->instances_.source.object->stop(); });
    });
}

std::size_t Pipeline::capacity() const {
    const std::size_t used = in_flight_.load(std::memory_order_relaxed);
    return used >= max_in_flight_ ? 0 : max_in_flight_ - used;
}

void Pipeline::when_ready(std::function<void()> resume) {
    if (capacity() > 0)
        boost::asio::post(strand_, std::move(resume));
    else
        resume_ = std::move(resume);
}

void Pipeline::emit(EventBatch batch, std::uint64_t token) {
    const std::size_t n = batch.size();
    if (source_done_) {
        source_context_->log().warn("emitted {} events after reporting done; they are dropped", n);
        return;
    }
    if (n > capacity() && !warned_over_capacity_) {
        warned_over_capacity_ = true;
        source_context_->log().warn("emitted {} events with only {} of capacity: in-flight exceeds max_in_flight={}", n,
                                    capacity(), max_in_flight_);
    }
    const std::size_t now_in_flight = in_flight_.fetch_add(n, std::memory_order_relaxed) + n;
    in_flight_gauge_->Increment(double(n));
    if (now_in_flight > high_water_) {
        high_water_ = now_in_flight;
        high_water_gauge_->Set(double(high_water_));
    }
    source_events_->Increment(double(n));

    EventBatch current = std::move(batch);
    EventBatch next;
    for (StageSlot& s : stages_) {
        s.in->Increment(double(current.size()));
        next.clear();
        if (!guarded(s.context->log(), "process", [&] { s.instance->object->process(current, next); })) {
            s.errors->Increment(double(current.size()));
            boost::asio::post(strand_, [self = shared_from_this(), token, n, who = s.context->name()] {
                self->acknowledge(token, n, Status::failure(who + " failed to process the batch"));
            });
            return;
        }
        s.out->Increment(double(next.size()));
        std::swap(current, next);
    }
    if (current.empty()) {
        boost::asio::post(strand_, [self = shared_from_this(), token, n] { self->acknowledge(token, n, Status::success()); });
        return;
    }

    const std::uint64_t id = next_batch_++;
    BatchState& state = batches_[id];
    state.source_token = token;
    state.source_events = n;
    state.pending_sinks = sinks_.size();
    state.submitted_ns = now_ns();
    state.batch = std::make_shared<const EventBatch>(std::move(current));
    const BatchRef ref = state.batch;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkSlot& s = sinks_[i];
        s.in->Increment(double(ref->size()));
        Completion done(completions_, (id << sink_bits) | i);
        // A sink that throws has not taken the completion: report the failure.
        if (!guarded(s.context->log(), "write", [&] { s.instance->object->write(ref, std::move(done)); }) && done)
            done(Status::failure(s.context->name() + " threw from write()"));
    }
}

void Pipeline::on_completion(std::uint64_t ticket, Status status) {
    if (ticket & flush_flag)
        on_flush_done(ticket & ~flush_flag, status);
    else
        on_sink_done(ticket >> sink_bits, ticket & max_sinks, std::move(status));
}

void Pipeline::on_sink_done(std::uint64_t batch_id, std::size_t sink, Status status) {
    auto it = batches_.find(batch_id);
    if (it == batches_.end() || sink >= sinks_.size()) return;
    BatchState& state = it->second;
    SinkSlot& s = sinks_[sink];
    const std::int64_t now = now_ns();
    s.write_seconds->Observe(seconds_since(state.submitted_ns, now));
    if (status.ok) {
        s.out->Increment(double(state.batch->size()));
        observe_end_to_end(*state.batch, now, *s.end_to_end_seconds);
    } else {
        s.errors->Increment(double(state.batch->size()));
        s.context->log().error("failed a batch of {} events: {}", state.batch->size(), status.error);
        if (state.status.ok) state.status = status;
    }
    if (--state.pending_sinks > 0) return;
    const std::uint64_t token = state.source_token;
    const std::size_t n = state.source_events;
    Status result = std::move(state.status);
    batches_.erase(it);
    acknowledge(token, n, result);
}

void Pipeline::acknowledge(std::uint64_t token, std::size_t events, const Status& status) {
    in_flight_.fetch_sub(events, std::memory_order_relaxed);
    in_flight_gauge_->Decrement(double(events));
    guarded(source_context_->log(), "on_ack", [&] { instances_.source.object->on_ack(token, status); });
    if (resume_ && capacity() > 0) boost::asio::post(strand_, std::exchange(resume_, {}));
    maybe_flush();
}

void Pipeline::source_done() {
    if (source_done_) return;
    source_done_ = true;
    resume_ = {};
    boost::asio::post(strand_, [self = shared_from_this()] { self->maybe_flush(); });
}

void Pipeline::source_lost(std::uint64_t events, const std::string& why) {
    if (events == 0) return;
    lost_events_->Increment(double(events));
    const std::uint64_t total = lost_.fetch_add(events, std::memory_order_relaxed) + events;
    // Every report would flood the log when a sink fails every batch: the
    // first few, then each time the total doubles.
    if (lost_reports_ < 5 || std::bit_width(total) > std::bit_width(total - events))
        source_context_->log().error("lost {} events ({} so far): {}", events, total, why);
    ++lost_reports_;
}

void Pipeline::maybe_flush() {
    if (!source_done_ || flushing_ || in_flight() > 0) return;
    flushing_ = true;
    flushes_pending_ = sinks_.size();
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkSlot& s = sinks_[i];
        Completion done(completions_, flush_flag | i);
        if (!guarded(s.context->log(), "flush", [&] { s.instance->object->flush(std::move(done)); }) && done)
            done(Status::failure("flush threw"));
    }
    if (sinks_.empty()) finish();
}

void Pipeline::on_flush_done(std::size_t sink, const Status& status) {
    if (!status.ok && sink < sinks_.size()) sinks_[sink].context->log().error("flush failed: {}", status.error);
    if (flushes_pending_ > 0 && --flushes_pending_ == 0) finish();
}

void Pipeline::finish() {
    for (StageSlot& s : stages_) guarded(s.context->log(), "stop", [&] { s.instance->object->stop(); });
    for (SinkSlot& s : sinks_) guarded(s.context->log(), "stop", [&] { s.instance->object->stop(); });
    finished_.store(true, std::memory_order_release);
    if (on_finished_) on_finished_();
}

}  // namespace tickcast::core
