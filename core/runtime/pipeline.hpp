// Pipeline: runs one source → stages → sinks chain on its own strand.
//
// Flow: the source emits a batch; the stages transform it synchronously; the
// result is shared (one BatchRef) with every sink. When every sink has
// completed it, the source's batch is acknowledged (Source::on_ack).
// Backpressure: at most max_in_flight source events are unacknowledged; the
// source sees capacity() shrink and waits in when_ready().
// Shutdown: stop() asks the source to stop; once it is done and every event
// is acknowledged, sinks are flushed, then stages and sinks are stopped (the
// reverse of the start order), then on_finished fires.
// Thread-safety: every member runs on the strand except stop() and the
// atomic in_flight(), which may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "runtime/instances.hpp"
#include "runtime/plugin_context.hpp"

namespace tickcast::core {

class Pipeline : public std::enable_shared_from_this<Pipeline> {
public:
    Pipeline(PipelineInstances& instances, HostServices& host, boost::asio::io_context& io);
    ~Pipeline();

    // Starts sinks, then stages, then the source. Call from the strand or
    // before the io_context runs. Returns an error naming the plugin, or "".
    std::string start();
    // Asks the source to stop; safe from any thread.
    void stop();
    void set_on_finished(std::function<void()> f) { on_finished_ = std::move(f); }

    const std::string& name() const { return name_; }
    std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
    bool finished() const { return finished_.load(std::memory_order_acquire); }
    // Events the source reported lost (SourceContext::lost).
    std::uint64_t lost_events() const { return lost_.load(std::memory_order_relaxed); }

private:
    class SourceContextImpl;
    class Completions;
    struct StageSlot;
    struct SinkSlot;
    struct BatchState {
        std::uint64_t source_token = 0;
        std::size_t source_events = 0;
        std::size_t pending_sinks = 0;
        std::int64_t submitted_ns = 0;
        Status status;
        BatchRef batch;
    };

    std::size_t capacity() const;
    void emit(EventBatch batch, std::uint64_t token);
    void when_ready(std::function<void()> resume);
    void source_done();
    void source_lost(std::uint64_t events, const std::string& why);
    void on_completion(std::uint64_t ticket, Status status);
    void on_sink_done(std::uint64_t batch_id, std::size_t sink, Status status);
    void on_flush_done(std::size_t sink, const Status& status);
    void acknowledge(std::uint64_t token, std::size_t events, const Status& status);
    void maybe_flush();
    void finish();
    // Runs a call into a plugin; an exception becomes a logged error. False if it threw.
    template <class F>
    bool guarded(spdlog::logger& log, const char* what, F&& call);

    std::string name_;
    HostServices& host_;
    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    PipelineInstances& instances_;
    std::size_t max_in_flight_;

    std::unique_ptr<SourceContextImpl> source_context_;
    std::vector<StageSlot> stages_;
    std::vector<SinkSlot> sinks_;
    std::shared_ptr<Completions> completions_;

    std::unordered_map<std::uint64_t, BatchState> batches_;
    std::uint64_t next_batch_ = 1;
    std::atomic<std::size_t> in_flight_{0};
    std::function<void()> resume_;
    bool source_done_ = false;
    bool flushing_ = false;
    std::size_t flushes_pending_ = 0;
    std::atomic<bool> finished_{false};
    std::function<void()> on_finished_;
    bool warned_over_capacity_ = false;

    prometheus::Gauge* in_flight_gauge_ = nullptr;
    prometheus::Gauge* high_water_gauge_ = nullptr;
    std::size_t high_water_ = 0;
    prometheus::Counter* source_events_ = nullptr;
    prometheus::Counter* lost_events_ = nullptr;
    std::atomic<std::uint64_t> lost_{0};
    std::uint64_t lost_reports_ = 0;
};

}  // namespace tickcast::core
