#include "runtime/daemon.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <utility>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace tickcast::core {

namespace asio = boost::asio;

namespace {
std::vector<std::unique_ptr<asio::io_context>> make_io_contexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> ios;
    for (int i = 0; i < std::max(1, threads); ++i) ios.push_back(std::make_unique<asio::io_context>(1));
    return ios;
}

spdlog::sink_ptr shared_log_sink() {
    static spdlog::sink_ptr sink = spdlog::default_logger()->sinks().empty()
                                       ? std::make_shared<spdlog::sinks::stderr_color_sink_mt>()
                                       : spdlog::default_logger()->sinks().front();
    return sink;
}

// How long past drain_timeout a stop may take before the daemon gives up on
// its plugins and exits (see shutdown()).
constexpr auto stop_grace = std::chrono::seconds(5);
}  // namespace

Daemon::Daemon(const DaemonConfig& config, BuiltConfig& built, Options options)
    : config_(config), built_(built), options_(options), ios_(make_io_contexts(config.daemon.threads)),
      host_{metrics_, shared_log_sink(), options.log_level,
            [this](const std::string& name) -> std::shared_ptr<Resource> {
                for (ResourceInstance& r : built_.resources)
                    if (r.name == name) return r.instance.object;
                return nullptr;
            },
            [this](const std::string& who, const std::string& reason) { fail(who, reason); }},
      signals_(*ios_.front()), drain_deadline_(*ios_.front()) {
    for (auto& io : ios_) keep_running_.push_back(asio::make_work_guard(*io));
}

Daemon::~Daemon() {
    // Plugins own Asio objects bound to the io_contexts, so they must go first:
    // pipelines (which reference the instances), then the instances, then
    // the resources. Handlers still queued are destroyed with the io_contexts.
    pipelines_.clear();
    for (PipelineInstances& p : built_.pipelines) {
        p.source.object.reset();
        for (auto& s : p.stages) s.object.reset();
        for (auto& s : p.sinks) s.object.reset();
    }
    // Resources go last: a plugin may still need its connection while it is
    // destroyed (a Kafka consumer leaves its group on close).
    for (auto it = built_.resources.rbegin(); it != built_.resources.rend(); ++it) {
        try {
            it->instance.object->stop();
        } catch (const std::exception& e) {
            spdlog::error("[resource/{}] stop failed: {}", it->name, e.what());
        }
        it->instance.object.reset();
    }
    stopped_->store(true);  // the shutdown watchdog has nothing left to do
}

void Daemon::wait_for_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
        if (ec) return;
        if (shutting_down_) {
            // Tools often deliver one request twice (to the process and to
            // its group): only a second signal a moment later means "now".
            if (std::chrono::steady_clock::now() - first_signal_ < std::chrono::seconds(1)) {
                wait_for_signal();
                return;
            }
            spdlog::warn("second signal {}: exiting without draining", sig);
            exit_code_ = 1;
            forced_ = true;
            stop_everything();
            return;
        }
        first_signal_ = std::chrono::steady_clock::now();
        spdlog::info("signal {} received", sig);
        shutdown();
        wait_for_signal();
    });
}

void Daemon::fail(const std::string& who, const std::string& reason) {
    spdlog::critical("[{}] fatal: {}; stopping the daemon", who, reason);
    exit_code_ = 1;
    shutdown();
}

void Daemon::shutdown() {
    if (shutting_down_.exchange(true)) return;
    // The drain deadline stops waiting for events, but not a plugin blocked
    // inside a call (a client library waiting for a server that is gone):
    // past the deadline and a grace period, exit without further cleanup.
    // Only a daemon that owns its process (handles the signals) does that.
    if (options_.handle_signals) std::thread([limit = config_.daemon.drain_timeout + stop_grace, stopped = stopped_] {
        std::this_thread::sleep_for(limit);
        if (stopped->load()) return;
        spdlog::critical("still stopping {} ms after the shutdown began: a plugin is blocked; exiting without cleanup",
                         std::chrono::duration_cast<std::chrono::milliseconds>(limit).count());
        spdlog::default_logger()->flush();
        std::_Exit(1);
    }).detach();
    asio::post(main_io(), [this] {
        spdlog::info("shutting down: draining in-flight events (deadline {} ms)",
                     std::chrono::duration_cast<std::chrono::milliseconds>(config_.daemon.drain_timeout).count());
        for (auto& p : pipelines_) p->stop();
        drain_deadline_.expires_after(config_.daemon.drain_timeout);
        drain_deadline_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            for (auto& p : pipelines_)
                if (!p->finished())
                    spdlog::error("pipeline '{}' did not drain within the deadline: {} events still in flight", p->name(), p->in_flight());
            exit_code_ = 1;
            forced_ = true;
            stop_everything();
        });
    });
}

void Daemon::on_pipeline_finished() {
    // Called on a pipeline's strand; the last one out stops the daemon.
    if (finished_.fetch_add(1) + 1 == pipelines_.size()) asio::post(main_io(), [this] { stop_everything(); });
}

void Daemon::stop_everything() {
    drain_deadline_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    if (admin_) admin_->close();
    keep_running_.clear();
    for (auto& io : ios_) io->stop();
}

std::string Daemon::health_json() const {
    boost::json::object pipelines;
    for (const auto& p : pipelines_) {
        boost::json::object o;
        o["state"] = p->finished() ? "finished" : "running";
        o["in_flight"] = p->in_flight();
        pipelines[p->name()] = std::move(o);
    }
    boost::json::object root;
    root["status"] = shutting_down_ ? "draining" : "ok";
    root["pipelines"] = std::move(pipelines);
    return boost::json::serialize(root);
}

std::string Daemon::admin_address() const {
    std::lock_guard lock(admin_mutex_);
    return admin_address_;
}

int Daemon::run() {
    // Starting can take seconds (brokers, Redis). A SIGINT/SIGTERM meanwhile
    // must not kill the process with the default action: keep them pending
    // (threads the plugins start meanwhile inherit the mask, so they never
    // take them) until the signal set is listening, then drain as usual.
    struct PendingStopSignals {
        sigset_t set;
        bool blocked;
        explicit PendingStopSignals(bool block) : blocked(block) {
            sigemptyset(&set);
            sigaddset(&set, SIGINT);
            sigaddset(&set, SIGTERM);
            if (blocked) pthread_sigmask(SIG_BLOCK, &set, nullptr);
        }
        void release() {
            if (std::exchange(blocked, false)) pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
        }
        ~PendingStopSignals() { release(); }
    } stop_signals(options_.handle_signals);
    if (options_.serve_admin && !config_.daemon.admin.empty()) {
        admin_ = std::make_unique<AdminServer>(main_io(), AdminServer::Handlers{[this] { return metrics_.serialize(); },
                                                                          [this] { return health_json(); }});
        try {
            admin_->listen(config_.daemon.admin);
        } catch (const std::exception& e) {
            spdlog::error("{} ({})", e.what(), config_.daemon.admin_where.str());
            return 1;
        }
        const auto ep = admin_->endpoint();
        {
            std::lock_guard lock(admin_mutex_);
            admin_address_ = ep.address().to_string() + ":" + std::to_string(ep.port());
        }
        spdlog::info("admin endpoint on http://{}/ (/health, /metrics)", admin_address());
    }

    // Everything starts from this thread before any io thread runs, so the
    // start calls cannot race with handlers: resources, then each pipeline's
    // sinks, stages and source.
    for (ResourceInstance& r : built_.resources) {
        auto ctx = std::make_unique<InstanceContext>(host_, "resource/" + r.name, asio::make_strand(main_io()), Labels{{"resource", r.name}});
        try {
            r.instance.object->start(*ctx);
        } catch (const std::exception& e) {
            spdlog::error("[resource/{}] failed to start: {} ({})", r.name, e.what(), r.instance.entry.where().str());
            stop_everything();
            return 1;
        }
        resource_contexts_.push_back(std::move(ctx));
    }
    for (PipelineInstances& pi : built_.pipelines) {
        auto& io = *ios_[pipelines_.size() % ios_.size()];  // round-robin: each pipeline stays on one thread
        auto p = std::make_shared<Pipeline>(pi, host_, io);
        p->set_on_finished([this, pipeline = p.get()] {
            if (const std::uint64_t lost = pipeline->lost_events()) {
                spdlog::error("pipeline '{}' finished, but {} events were lost: a sink failed them and the source cannot emit them again",
                              pipeline->name(), lost);
                exit_code_ = 1;
            } else {
                spdlog::info("pipeline '{}' finished", pipeline->name());
            }
            on_pipeline_finished();
        });
        if (std::string error = p->start(); !error.empty()) {
            // Pipelines started so far drain as on a signal; the rest never run.
            spdlog::error("{}", error);
            exit_code_ = 1;
            shutdown();
            break;
        }
        pipelines_.push_back(std::move(p));
    }
    if (pipelines_.empty()) {
        stop_everything();
        return exit_code_;
    }

    if (options_.handle_signals) {
        signals_.add(SIGINT);
        signals_.add(SIGTERM);
        wait_for_signal();
        stop_signals.release();  // one that came while starting is handled now
    }

    auto run_loop = [](asio::io_context& io) {
        // A handler that throws must not take the daemon down: log and go on.
        for (;;) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {
                spdlog::error("unhandled exception in an event handler: {}", e.what());
            } catch (...) {
                spdlog::error("unhandled unknown exception in an event handler");
            }
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < ios_.size(); ++i) threads.emplace_back(run_loop, std::ref(*ios_[i]));
    run_loop(main_io());
    for (std::thread& t : threads) t.join();
    return exit_code_;
}

}  // namespace tickcast::core
