// The plugin interfaces: Source, Stage, Sink and Resource, the contexts the
// host gives them, and acknowledgement.
//
// Threading: every call the host makes into a pipeline's source, stages and
// sinks runs on that pipeline's executor (an Asio strand), one at a time, so
// a plugin needs no locks for its own state. Completions and when_ready
// callbacks may be invoked from any thread; the host moves them back onto
// the strand. Resources are shared between pipelines and get an executor of
// their own.
//
// Start order: the host starts a pipeline's sinks, then its stages in
// order, then its source, so what a stage prepares in start() (e.g.
// matching_engine's positions_file, read by kafka_source's start_from) is
// there when the source starts.
//
// Errors: a plugin reports a bad batch through Completion (the source is told
// through on_ack) and an unrecoverable condition through context.fail(). The
// host catches every exception thrown out of a plugin call and turns it into
// an error naming the plugin; nothing a plugin throws kills the daemon.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/logger.h>

#include "tickcast/abi.hpp"
#include "tickcast/config.hpp"
#include "tickcast/event.hpp"
#include "tickcast/metrics.hpp"

namespace tickcast {

// The outcome of handling a batch.
struct Status {
    bool ok = true;
    std::string error;

    static Status success() { return {}; }
    static Status failure(std::string why) { return {false, std::move(why)}; }
};

// Host side of a Completion; plugins never implement it.
class TICKCAST_SDK_API CompletionTarget {
public:
    virtual ~CompletionTarget() = default;
    virtual void complete(std::uint64_t ticket, Status status) noexcept = 0;
};

// Tells the host that a sink has finished with a batch. Call it exactly once,
// from any thread. Move-only; dropping it uncalled reports a failure rather
// than leaving the source waiting forever.
class Completion {
public:
    Completion() = default;
    Completion(std::shared_ptr<CompletionTarget> target, std::uint64_t ticket)
        : target_(std::move(target)), ticket_(ticket) {}
    Completion(Completion&&) noexcept = default;
    Completion& operator=(Completion&& other) noexcept {
        if (this != &other) {
            drop();
            target_ = std::move(other.target_);
            ticket_ = other.ticket_;
        }
        return *this;
    }
    Completion(const Completion&) = delete;
    Completion& operator=(const Completion&) = delete;
    ~Completion() { drop(); }

    void operator()(Status status = Status::success()) {
        if (auto t = std::exchange(target_, nullptr)) t->complete(ticket_, std::move(status));
    }
    explicit operator bool() const noexcept { return target_ != nullptr; }

private:
    void drop() {
        if (target_) (*this)(Status::failure("completion dropped without being called"));
    }
    std::shared_ptr<CompletionTarget> target_;
    std::uint64_t ticket_ = 0;
};

class Resource;

// What every plugin instance gets from the host.
class TICKCAST_SDK_API PluginContext {
public:
    virtual ~PluginContext() = default;
    // "pipeline/plugin", or "resource/name" for resources.
    virtual const std::string& name() const = 0;
    // Logger whose lines are already prefixed with name().
    virtual spdlog::logger& log() = 0;
    virtual Metrics& metrics() = 0;
    // The executor every call into this plugin runs on.
    virtual boost::asio::any_io_executor executor() = 0;
    // A started resource declared under `resources:`; throws ConfigError if absent.
    virtual std::shared_ptr<Resource> resource(const std::string& name) = 0;
    // An unrecoverable error: the daemon logs it, stops every pipeline
    // (draining what it can) and exits with status 1.
    virtual void fail(const std::string& reason) = 0;

    template <class T>
    std::shared_ptr<T> resource_as(const std::string& name) {
        auto r = std::dynamic_pointer_cast<T>(resource(name));
        if (!r) throw std::runtime_error("resource '" + name + "' is not of the expected kind");
        return r;
    }
};

// The source's handle on its pipeline. Backpressure: emit at most capacity()
// events; when capacity() is 0, call when_ready() and stop until it fires.
class TICKCAST_SDK_API SourceContext : public PluginContext {
public:
    // Events the pipeline accepts now without exceeding its in-flight bound.
    virtual std::size_t capacity() const = 0;
    // Hands a batch to the pipeline. `token` comes back in Source::on_ack once
    // every sink has handled every event produced from this batch.
    virtual void emit(EventBatch batch, std::uint64_t token = 0) = 0;
    // Calls `resume` once (on the strand) when capacity() becomes non-zero.
    virtual void when_ready(std::function<void()> resume) = 0;
    // This source will emit nothing more (a finite source reached its end, or
    // it finished stopping). The pipeline drains, flushes its sinks and ends.
    virtual void done() = 0;
    // `events` that a sink failed (on_ack with an error) and that this source
    // will not emit again: a generator, a file read once, Pub/Sub. A source
    // that re-reads failed events (Kafka, a Redis consumer group) does not
    // call it. The pipeline counts them on /metrics and logs them, and the
    // daemon exits with status 1 once it ends, so a replay or a test run
    // that lost events does not pass for complete.
    virtual void lost(std::uint64_t events, const std::string& why) { (void)events, (void)why; }
};

using StageContext = PluginContext;
using SinkContext = PluginContext;
using ResourceContext = PluginContext;

class TICKCAST_SDK_API Source {
public:
    virtual ~Source() = default;
    // Begin producing. Keep `context`; it outlives the source.
    virtual void start(SourceContext& context) = 0;
    // Stop producing soon and then call context.done(). Batches already
    // emitted are still acknowledged after this.
    virtual void stop() = 0;
    // Every sink has handled the batch emitted with `token`. Acks may arrive
    // out of order when sinks finish batches out of order.
    virtual void on_ack(std::uint64_t token, const Status& status) { (void)token, (void)status; }
};

// A synchronous transform, e.g. the matching engine: turns each input batch
// into zero or more output events. Acknowledgement of the input happens when
// the sinks have handled the outputs (immediately if there are none).
class TICKCAST_SDK_API Stage {
public:
    virtual ~Stage() = default;
    virtual void start(StageContext& context) { (void)context; }
    virtual void process(const EventBatch& in, EventBatch& out) = 0;
    virtual void stop() {}
};

// A sink writes batches. The host owns acknowledgement, metrics, logging
// prefixes and threading: a sink implements write() and, if it buffers, flush().
class TICKCAST_SDK_API Sink {
public:
    virtual ~Sink() = default;
    virtual void start(SinkContext& context) { (void)context; }
    // Handle `batch` and call `done` once it is durably handled (or failed).
    // The host may call write() again before `done` fires; keep order.
    virtual void write(BatchRef batch, Completion done) = 0;
    // Called once during shutdown after every write has completed.
    virtual void flush(Completion done) { done(); }
    virtual void stop() {}
};

// A shared connection (a Kafka cluster, a Redis server) declared once under
// `resources:` and looked up by name by the plugins that use it. Started
// before any pipeline, stopped after all of them.
class TICKCAST_SDK_API Resource {
public:
    virtual ~Resource() = default;
    virtual void start(ResourceContext& context) { (void)context; }
    virtual void stop() {}
};

enum class PluginKind { source, stage, sink, resource };

inline std::string_view to_string(PluginKind k) noexcept {
    switch (k) {
        case PluginKind::source: return "source";
        case PluginKind::stage: return "stage";
        case PluginKind::sink: return "sink";
        case PluginKind::resource: return "resource";
    }
    return "?";
}

// Factories build an instance from its validated options. They must not
// connect or start threads (the daemon builds every instance during
// `validate`); do that in start(). Throw ConfigError for a bad option value.
template <class T>
using Factory = std::function<std::unique_ptr<T>(const ConfigNode& options)>;

struct PluginInfo {
    std::string name;
    PluginKind kind = PluginKind::sink;
    std::string summary;
    OptionSpecs options;
};

// Filled by a library's registration function; implemented by the host.
class TICKCAST_SDK_API PluginRegistry {
public:
    virtual ~PluginRegistry() = default;
    virtual void add_source(PluginInfo info, Factory<Source> make) = 0;
    virtual void add_stage(PluginInfo info, Factory<Stage> make) = 0;
    virtual void add_sink(PluginInfo info, Factory<Sink> make) = 0;
    virtual void add_resource(PluginInfo info, Factory<Resource> make) = 0;
};

inline AbiInfo make_abi_info(const char* library_name, const char* library_version) noexcept {
    return AbiInfo{abi_magic,
                   TICKCAST_ABI_VERSION,
                   __GNUC__,
                   _GLIBCXX_USE_CXX11_ABI,
                   BOOST_VERSION,
                   sizeof(Event),
                   TICKCAST_SDK_VERSION,
                   library_name,
                   library_version};
}

}  // namespace tickcast
