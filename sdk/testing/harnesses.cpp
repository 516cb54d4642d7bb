// SinkHarness, SourceHarness and StageHarness: the test as upstream and
// downstream of one plugin instance.
#include "harness_state.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>

namespace tickcast::testing {

// ---- SinkHarness -----------------------------------------------------------

namespace {
constexpr std::uint64_t flush_ticket = ~std::uint64_t{0};
}

// Receives the sink's completions from any thread. On the test's own thread
// they are recorded at once; from others they are posted to the io_context,
// as long as the harness lives.
class SinkHarness::Target final : public CompletionTarget {
public:
    Target(SinkHarness& h) : harness_(&h), owner_(std::this_thread::get_id()) {}

    void complete(std::uint64_t ticket, Status status) noexcept override {
        std::lock_guard lock(mutex_);
        if (!harness_) return;
        if (std::this_thread::get_id() == owner_) {
            harness_->record(ticket, std::move(status));
            return;
        }
        try {
            boost::asio::post(harness_->io(), [h = harness_, ticket, s = std::move(status)]() mutable { h->record(ticket, std::move(s)); });
        } catch (...) {
            // post throws only on allocation failure
        }
    }
    void detach() {
        std::lock_guard lock(mutex_);
        harness_ = nullptr;
    }

private:
    std::mutex mutex_;
    SinkHarness* harness_;
    std::thread::id owner_;
};

SinkHarness::SinkHarness(const PluginLibrary& library, const std::string& plugin, const Options& options,
                         std::vector<TestResource> resources)
    : Host(library, plugin, PluginKind::sink, options, std::move(resources)), sink_(build<Sink>()),
      target_(std::make_shared<Target>(*this)) {}

SinkHarness::~SinkHarness() {
    if (started_ && !stopped_) stop();
    target_->detach();
    sink_.reset();
}

void SinkHarness::record(std::uint64_t ticket, Status status) {
    if (ticket == flush_ticket) {
        flushed_ = std::move(status);
        return;
    }
    acks_.push_back({ticket, std::move(status)});
}

bool SinkHarness::start() {
    started_ = true;
    return guarded("start", [&] { sink_->start(plugin_context()); });
}

std::uint64_t SinkHarness::write(EventBatch batch) {
    const std::uint64_t id = next_id_++;
    auto ref = std::make_shared<const EventBatch>(std::move(batch));
    Completion done(target_, id);
    if (!guarded("write", [&] { sink_->write(std::move(ref), std::move(done)); }) && done)
        done(Status::failure(name() + " threw from write()"));
    return id;
}

std::optional<Status> SinkHarness::ack(std::uint64_t id) const {
    for (const Ack& a : acks_)
        if (a.id == id) return a.status;
    return std::nullopt;
}

std::size_t SinkHarness::pending() const { return std::size_t(next_id_ - 1) - acks_.size(); }

bool SinkHarness::wait_for_ack(std::uint64_t id, std::chrono::nanoseconds timeout) {
    return run_until([&] { return ack(id).has_value(); }, timeout);
}

bool SinkHarness::wait_for_all_acks(std::chrono::nanoseconds timeout) {
    return run_until([&] { return pending() == 0; }, timeout);
}

Status SinkHarness::flush(std::chrono::nanoseconds timeout) {
    flushed_.reset();
    Completion done(target_, flush_ticket);
    if (!guarded("flush", [&] { sink_->flush(std::move(done)); }) && done) done(Status::failure(name() + " threw from flush()"));
    if (!run_until([&] { return flushed_.has_value(); }, timeout)) return Status::failure("flush did not complete in time");
    return *flushed_;
}

void SinkHarness::stop() {
    stopped_ = true;
    guarded("stop", [&] { sink_->stop(); });
    poll();
}

// ---- SourceHarness ---------------------------------------------------------

class SourceHarness::Context final : public core::ContextImpl<SourceContext> {
public:
    Context(SourceHarness& h, core::HostServices& services, const std::string& name, boost::asio::any_io_executor ex,
            const std::string& plugin)
        : ContextImpl(services, name, std::move(ex), Labels{{"plugin", plugin}}), h_(h) {}

    std::size_t capacity() const override { return h_.capacity_ > h_.in_flight_ ? h_.capacity_ - h_.in_flight_ : 0; }
    void emit(EventBatch batch, std::uint64_t token) override { h_.on_emit(std::move(batch), token); }
    void when_ready(std::function<void()> resume) override {
        h_.resume_ = std::move(resume);
        h_.maybe_resume();
    }
    void done() override { h_.done_ = true; }
    void lost(std::uint64_t events, const std::string& why) override {
        h_.lost_ += events;
        h_.lost_reasons_.push_back(why);
    }

private:
    SourceHarness& h_;
};

SourceHarness::SourceHarness(const PluginLibrary& library, const std::string& plugin, const Options& options,
                             std::vector<TestResource> resources)
    : Host(library, plugin, PluginKind::source, options, std::move(resources)),
      context_(std::make_unique<Context>(*this, state_->services, state_->name, io().get_executor(), plugin)),
      source_(build<Source>()) {}

SourceHarness::~SourceHarness() {
    if (started_ && !stopped_) stop();
    source_.reset();
}

bool SourceHarness::start() {
    started_ = true;
    return guarded("start", [&] { source_->start(*context_); });
}

void SourceHarness::stop() {
    stopped_ = true;
    guarded("stop", [&] { source_->stop(); });
    poll();
}

void SourceHarness::set_capacity(std::size_t events) {
    capacity_ = events;
    maybe_resume();
}

void SourceHarness::on_emit(EventBatch batch, std::uint64_t token) {
    const std::size_t n = batch.size();
    in_flight_ += n;
    emitted_.push_back({std::move(batch), token, false});
    if (auto_ack_)
        // In a pipeline the ack comes later, never from inside emit().
        boost::asio::post(io(), [this, token] { ack(token); });
}

void SourceHarness::ack(std::uint64_t token, const Status& status) {
    auto it = std::find_if(emitted_.begin(), emitted_.end(), [&](const Emitted& e) { return e.token == token && !e.acknowledged; });
    if (it == emitted_.end()) {
        note_failure(name() + ": the test acknowledged token " + std::to_string(token) + ", which no unacknowledged batch carries");
        return;
    }
    it->acknowledged = true;
    in_flight_ -= it->events.size();
    guarded("on_ack", [&] { source_->on_ack(token, status); });
    maybe_resume();
}

void SourceHarness::maybe_resume() {
    if (!resume_ || context_->capacity() == 0) return;
    boost::asio::post(io(), [this, resume = std::exchange(resume_, nullptr)] { guarded("when_ready callback", resume); });
}

std::vector<Event> SourceHarness::events() const {
    std::vector<Event> out;
    for (const Emitted& e : emitted_) out.insert(out.end(), e.events.begin(), e.events.end());
    return out;
}

std::size_t SourceHarness::event_count() const {
    std::size_t n = 0;
    for (const Emitted& e : emitted_) n += e.events.size();
    return n;
}

bool SourceHarness::run_until_done(std::chrono::nanoseconds timeout) {
    return run_until([&] { return done_; }, timeout);
}

bool SourceHarness::run_until_events(std::size_t count, std::chrono::nanoseconds timeout) {
    return run_until([&] { return event_count() >= count; }, timeout);
}

// ---- StageHarness ----------------------------------------------------------

StageHarness::StageHarness(const PluginLibrary& library, const std::string& plugin, const Options& options,
                           std::vector<TestResource> resources)
    : Host(library, plugin, PluginKind::stage, options, std::move(resources)), stage_(build<Stage>()) {}

StageHarness::~StageHarness() {
    if (started_ && !stopped_) stop();
    stage_.reset();
}

bool StageHarness::start() {
    started_ = true;
    return guarded("start", [&] { stage_->start(plugin_context()); });
}

std::optional<EventBatch> StageHarness::process(const EventBatch& in) {
    EventBatch out;
    if (!guarded("process", [&] { stage_->process(in, out); })) return std::nullopt;
    return out;
}

void StageHarness::stop() {
    stopped_ = true;
    guarded("stop", [&] { stage_->stop(); });
}

}  // namespace tickcast::testing
