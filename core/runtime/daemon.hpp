// Daemon: runs the resources and pipelines of a built config, serves the
// admin endpoint, and turns SIGINT/SIGTERM into a draining shutdown.
//
// Threads: daemon.threads threads, each running an io_context of its own;
// pipelines are spread over them round-robin and each stays on its thread,
// so an event goes from source to sinks without waking another core (a
// shared io_context let a pipeline's handlers hop between threads, which on
// two cores cost more than a Redis hop). The first io_context also carries
// the admin endpoint, signals and the resources.
//
// run() returns the process exit status: 0 when every pipeline finished (all
// sources finite and done, sinks flushed) or drained within drain_timeout
// after a signal; 1 when a plugin failed to start, reported fail(), or the
// drain deadline passed with events still in flight.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "admin/admin_server.hpp"
#include "config/daemon_config.hpp"
#include "runtime/instances.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/pipeline.hpp"
#include "runtime/plugin_context.hpp"

namespace tickcast::core {

class Daemon {
public:
    struct Options {
        bool handle_signals = true;
        bool serve_admin = true;
        spdlog::level::level_enum log_level = spdlog::level::info;
    };

    Daemon(const DaemonConfig& config, BuiltConfig& built, Options options);
    ~Daemon();

    int run();
    // Starts the draining shutdown; safe from any thread and repeatable.
    void shutdown();
    // The admin endpoint's bound address ("" if none), valid once run() started it.
    std::string admin_address() const;
    // True when run() ended without draining (drain deadline or a second
    // signal): plugins may then be stuck, so the caller may skip cleanup.
    bool forced() const { return forced_; }
    // The /metrics text, for tests that run a daemon in-process.
    std::string metrics_text() const { return metrics_.serialize(); }

private:
    boost::asio::io_context& main_io() { return *ios_.front(); }
    void fail(const std::string& who, const std::string& reason);
    void wait_for_signal();
    void on_pipeline_finished();
    void stop_everything();
    std::string health_json() const;

    const DaemonConfig& config_;
    BuiltConfig& built_;
    Options options_;
    std::vector<std::unique_ptr<boost::asio::io_context>> ios_;  // one per thread; [0] is the main one
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep_running_;
    MetricsRegistry metrics_;
    HostServices host_;
    std::unique_ptr<AdminServer> admin_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer drain_deadline_;
    std::vector<std::unique_ptr<InstanceContext>> resource_contexts_;
    std::vector<std::shared_ptr<Pipeline>> pipelines_;
    std::atomic<int> exit_code_{0};
    std::atomic<bool> shutting_down_{false};
    std::atomic<bool> forced_{false};
    // Set once everything is destroyed; shared with the shutdown watchdog.
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
    std::chrono::steady_clock::time_point first_signal_;
    std::atomic<std::size_t> finished_{0};
    mutable std::mutex admin_mutex_;
    std::string admin_address_;
};

}  // namespace tickcast::core
