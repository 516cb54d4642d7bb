// tickcast/testing.hpp: host one plugin in a unit test, with no YAML and no
// daemon (library tickcast::testing; CMake helper tickcast_add_plugin_test).
//
//   auto lib = tickcast::testing::PluginLibrary::load(TICKCAST_PLUGIN_FILE);
//   tickcast::testing::SinkHarness sink(lib, "my_sink", {{"path", "/tmp/x"}});
//   ASSERT_TRUE(sink.start());
//   const auto id = sink.write({tickcast::testing::event("trades.BTC-USDT", R"({"p":"1"})")});
//   ASSERT_TRUE(sink.wait_for_ack(id));
//   EXPECT_TRUE(sink.ack(id)->ok);
//
// A harness plays the host for one plugin instance: it loads the library
// with tickcastd's own handshake (so an incompatible build is refused with
// the daemon's message), checks the options against the plugin's table and
// fills in defaults exactly as a config would, and gives the instance a
// context whose log lines, metrics and fail() calls the test can read. The
// harness is the upstream (a sink's batches come from write(), a stage's
// from process()) and the downstream (a source's emits are captured and
// acknowledged by the test).
//
// Time: plugins schedule work on their executor (timers, sockets); it is a
// single-threaded io_context that runs only inside the harness's calls:
// advance(d) runs it for d of real time, run_until(...) until a condition
// holds. Keep the durations a plugin is configured with short in tests.
//
// Threading: a harness is used from the test's thread. Completions and
// context.fail() may be called from any thread (as in the daemon); from
// another thread they are recorded on the test's the next time the
// io_context runs.
//
// Exceptions: as in tickcastd, an exception out of a plugin call does not
// escape: it is recorded in failures() ("write threw: ..."), and a batch
// whose write() threw is acknowledged with a failure. Building an instance
// with bad options throws ConfigError, as the daemon reports it.
//
// Lifetime: a PluginLibrary keeps its shared library mapped while it or any
// harness made from it lives, so a harness may outlive the PluginLibrary
// object. A harness stops its plugin on destruction if the test did not.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/common.h>

#include "tickcast/plugin.hpp"

namespace tickcast::testing {

// A plugin library that could not be used. what() names the file and gives
// tickcastd's reason: "tickcast plugin library F refused: ABI mismatch: the
// library was built for tickcast plugin ABI 0 (SDK ...), this tickcastd ..."
class TICKCAST_SDK_API LoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The plugins one library registers: loaded from its file, or collected from
// its registration function when the test links the plugin's code directly.
class PluginLibrary {
public:
    // Loads and handshakes `file` like tickcastd; throws LoadError if refused.
    static PluginLibrary load(const std::filesystem::path& file);
    // Runs a registration function (the one given to TICKCAST_PLUGIN_LIBRARY).
    static PluginLibrary from_registration(const std::function<void(PluginRegistry&)>& register_plugins);

    // What the library registered.
    std::vector<PluginInfo> plugins() const;
    // The plugin `name` of `kind`; throws std::out_of_range naming what exists.
    const PluginInfo& info(const std::string& name, PluginKind kind) const;

    // The loaded library and its plugins; used by the harnesses.
    struct Impl;
    const std::shared_ptr<const Impl>& impl() const { return impl_; }

private:
    explicit PluginLibrary(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// Option values as YAML text, as they would appear in a config: "64KiB",
// "250ms", "true", "[a, b]", "{k: v}". A value starting with '[' or '{' is
// parsed as YAML; anything else is a plain string (a path may hold ':').
using Options = std::vector<std::pair<std::string, std::string>>;

// A resource the plugin may look up by name; `plugin` is the resource
// plugin's name, checked against options that demand one.
struct TestResource {
    std::string name;
    std::string plugin;
    std::shared_ptr<Resource> resource;
};

struct LogLine {
    spdlog::level::level_enum level;
    std::string text;
};

// An event for tests: channel, payload bytes, optional seq and key;
// origin_ns is now.
Event event(std::string channel, std::string payload, std::uint64_t seq = 0, std::string key = {});

// The host side every harness shares: the executor, time, log, metrics and
// failures of the one plugin instance.
class Host {
public:
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    boost::asio::io_context& io() { return *io_; }
    // Runs the plugin's handlers for `duration` of real time (timers fire).
    void advance(std::chrono::nanoseconds duration);
    // Runs handlers until `condition` holds (checked after each handler and
    // at least every millisecond) or `timeout` passes; returns the condition.
    bool run_until(const std::function<bool()>& condition, std::chrono::nanoseconds timeout = std::chrono::seconds(5));
    // Runs the handlers that are ready now, without waiting.
    void poll();

    // context.fail() reasons and exceptions thrown out of plugin calls, in order.
    const std::vector<std::string>& failures() const { return failures_; }
    // Every line the plugin logged through its context (all levels).
    std::vector<LogLine> logs() const;
    bool logged(std::string_view substring) const;

    // The value of a counter or gauge (a histogram: its sample count) the
    // plugin registered, with at least `labels`; nullopt if none matches.
    std::optional<double> metric(std::string_view name, const Labels& labels = {}) const;
    // Prometheus text of everything the plugin registered.
    std::string metrics_text() const;

    // The instance's name as its log lines carry it: "test/<plugin>".
    const std::string& name() const;

protected:
    Host(const PluginLibrary& library, const std::string& plugin, PluginKind kind, const Options& options,
         std::vector<TestResource> resources);
    ~Host();

    // Runs a call into the plugin like the daemon does; false if it threw.
    bool guarded(const char* what, const std::function<void()>& call);
    template <class T>
    std::unique_ptr<T> build();
    PluginContext& plugin_context();
    void note_failure(std::string what) { failures_.push_back(std::move(what)); }

    struct State;
    std::unique_ptr<boost::asio::io_context> io_;
    std::shared_ptr<State> state_;
    std::vector<std::string> failures_;
};

// Hosts a sink: the test is its upstream (write) and sees its completions.
class SinkHarness final : public Host {
public:
    struct Ack {
        std::uint64_t id;  // what write() returned
        Status status;
    };

    SinkHarness(const PluginLibrary& library, const std::string& plugin, const Options& options = {},
                std::vector<TestResource> resources = {});
    ~SinkHarness();

    // Sink::start; false (and a failures() entry) if it threw.
    bool start();
    // Hands a batch to the sink and returns its id; does not wait.
    std::uint64_t write(EventBatch batch);
    // The batch's completion, once the sink has called it.
    std::optional<Status> ack(std::uint64_t id) const;
    // Completions in the order they arrived.
    const std::vector<Ack>& acks() const { return acks_; }
    // Batches written and not completed yet.
    std::size_t pending() const;
    // Runs the io_context until batch `id` (default: every batch written) completes.
    bool wait_for_ack(std::uint64_t id, std::chrono::nanoseconds timeout = std::chrono::seconds(5));
    bool wait_for_all_acks(std::chrono::nanoseconds timeout = std::chrono::seconds(5));
    // Sink::flush, waiting for its completion; a timeout is a failure Status.
    Status flush(std::chrono::nanoseconds timeout = std::chrono::seconds(5));
    // Sink::stop (the destructor calls it if the test did not).
    void stop();

    Sink& sink() { return *sink_; }
    SinkContext& context() { return plugin_context(); }

private:
    class Target;
    void record(std::uint64_t ticket, Status status);

    std::unique_ptr<Sink> sink_;
    std::shared_ptr<Target> target_;
    std::vector<Ack> acks_;
    std::optional<Status> flushed_;
    std::uint64_t next_id_ = 1;
    bool started_ = false, stopped_ = false;
};

// Hosts a source: the test is its downstream. Emitted batches are captured;
// the test sets the capacity the source sees and acknowledges batches.
class SourceHarness final : public Host {
public:
    struct Emitted {
        EventBatch events;
        std::uint64_t token;
        bool acknowledged;
    };

    SourceHarness(const PluginLibrary& library, const std::string& plugin, const Options& options = {},
                  std::vector<TestResource> resources = {});
    ~SourceHarness();

    // With auto_ack (the default) every batch is acknowledged as ok as soon
    // as it is emitted, like a pipeline whose sinks succeed at once.
    void set_auto_ack(bool on) { auto_ack_ = on; }
    // What capacity() answers (default: unbounded); raising it from 0
    // fires a pending when_ready().
    void set_capacity(std::size_t events);

    bool start();
    // Source::stop; the source should then call done().
    void stop();
    // Calls Source::on_ack for a captured batch's token.
    void ack(std::uint64_t token, const Status& status = Status::success());

    const std::vector<Emitted>& emitted() const { return emitted_; }
    // Every event emitted so far, in order.
    std::vector<Event> events() const;
    bool done() const { return done_; }
    // Events the source reported lost (SourceContext::lost), and each report's reason.
    std::uint64_t lost() const { return lost_; }
    const std::vector<std::string>& lost_reasons() const { return lost_reasons_; }
    bool run_until_done(std::chrono::nanoseconds timeout = std::chrono::seconds(5));
    bool run_until_events(std::size_t count, std::chrono::nanoseconds timeout = std::chrono::seconds(5));

    Source& source() { return *source_; }

private:
    class Context;
    void on_emit(EventBatch batch, std::uint64_t token);
    void maybe_resume();
    std::size_t event_count() const;

    std::unique_ptr<Context> context_;
    std::unique_ptr<Source> source_;
    std::vector<Emitted> emitted_;
    std::size_t capacity_ = std::numeric_limits<std::size_t>::max();
    std::size_t in_flight_ = 0;  // events emitted and not acknowledged
    std::uint64_t lost_ = 0;
    std::vector<std::string> lost_reasons_;
    std::function<void()> resume_;
    bool auto_ack_ = true, started_ = false, stopped_ = false, done_ = false;
};

// Hosts a stage: process() is synchronous, so the test calls it directly.
class StageHarness final : public Host {
public:
    StageHarness(const PluginLibrary& library, const std::string& plugin, const Options& options = {},
                 std::vector<TestResource> resources = {});
    ~StageHarness();

    bool start();
    // Stage::process; an exception is recorded in failures() and yields nullopt.
    std::optional<EventBatch> process(const EventBatch& in);
    void stop();

    Stage& stage() { return *stage_; }

private:
    std::unique_ptr<Stage> stage_;
    bool started_ = false, stopped_ = false;
};

}  // namespace tickcast::testing
