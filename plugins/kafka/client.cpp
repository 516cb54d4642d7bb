#include "client.hpp"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <dlfcn.h>
#include <pthread.h>

#include <boost/asio/post.hpp>
#include <spdlog/logger.h>

namespace tickcast::kafka {

namespace {

// librdkafka's secrets (sasl.password, ssl.key.password, OAuth client
// secrets, a JAAS config, PEM private keys) usually come from ${VAR} to keep
// them out of files: an error about one names the property, never its value.
bool secret_property(std::string_view name) {
    for (std::string_view part : {"password", "secret", "jaas", "key.pem", "oauthbearer.config"})
        if (name.find(part) != std::string_view::npos) return true;
    return false;
}

// "name = 'value': error" for an error message, the value (also where
// librdkafka's own text repeats it) hidden for a secret property.
std::string describe(const std::string& name, const std::string& value, std::string error) {
    if (!secret_property(name)) return "librdkafka property '" + name + "' = '" + value + "': " + error;
    for (std::size_t at; !value.empty() && (at = error.find(value)) != std::string::npos;) error.replace(at, value.size(), "***");
    return "librdkafka property '" + name + "' (value hidden): " + error;
}

}  // namespace

Properties read_properties(const ConfigNode& map) {
    Properties out;
    if (!map.defined()) return out;
    if (!map.is_map()) map.fail("expected a map of librdkafka properties, e.g. {linger.ms: 5, security.protocol: SSL}");
    Conf probe(rd_kafka_conf_new());
    for (const auto& [name, value] : map.entries()) {
        if (!value.is_scalar()) value.fail("librdkafka property '" + name.text() + "' needs a scalar value");
        char error[512];
        switch (rd_kafka_conf_set(probe.get(), name.text().c_str(), value.text().c_str(), error, sizeof error)) {
            case RD_KAFKA_CONF_OK: break;
            case RD_KAFKA_CONF_UNKNOWN: name.fail("librdkafka property '" + name.text() + "': " + error);
            default: value.fail(describe(name.text(), value.text(), error));
        }
        out.emplace_back(name.text(), value.text());
    }
    return out;
}

void apply_properties(rd_kafka_conf_t* conf, const Properties& properties) {
    for (const auto& [name, value] : properties) {
        char error[512];
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
            throw std::runtime_error(describe(name, value, error));
    }
}

Handle make_client(rd_kafka_type_t type, Conf conf) {
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error, sizeof error);
    if (!rk) throw std::runtime_error(std::string("cannot create the Kafka client: ") + error);
    conf.release();  // rd_kafka_new took it
    return Handle(rk);
}

namespace {
void log_line(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    auto* opaque = static_cast<ClientOpaque*>(rd_kafka_opaque(rk));
    if (!opaque || !opaque->log) return;
    const auto spd = level <= 4 ? spdlog::level::warn : level <= 6 ? spdlog::level::info : spdlog::level::debug;
    opaque->log->log(spd, "librdkafka {}: {}", facility, message);
}
}  // namespace

void attach(rd_kafka_conf_t* conf, ClientOpaque* opaque) {
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_conf_set_log_cb(conf, log_line);
}

bool close_consumer(Handle& consumer, std::chrono::milliseconds timeout) {
    if (!consumer) return true;
    rd_kafka_t* rk = consumer.get();
    bool closed = false;
    {
        Queue q(rd_kafka_queue_new(rk));
        if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk, q.get())) {
            rd_kafka_error_destroy(error);  // e.g. already closed or fatal: nothing to wait for
        } else {
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            while (!(closed = rd_kafka_consumer_closed(rk) != 0)) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
                if (left.count() <= 0) break;
                // The event API, not poll_callback: fetched messages may still be
                // forwarded here, and as events they are simply dropped. Ops with a
                // configured callback (rebalance, commit result) run it as usual.
                rd_kafka_event_t* ev = rd_kafka_queue_poll(q.get(), int(std::min<std::int64_t>(left.count(), 100)));
                if (!ev) continue;
                if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE &&
                    rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {  // no rebalance_cb: give them up
                    if (std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE") {
                        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, rd_kafka_event_topic_partition_list(ev))) rd_kafka_error_destroy(e);
                    } else {
                        rd_kafka_assign(rk, nullptr);
                    }
                }
                rd_kafka_event_destroy(ev);
            }
        }
    }
    if (closed) {
        consumer.reset();
    } else {
        destroy_in_background(consumer.release());
    }
    return closed;
}

namespace {
// A thread of this plugin may outlive the host's hold on it (a destroy still
// waiting when the daemon unloads its plugins): keep the plugin mapped for the
// rest of the process. Promoting the loaded image to RTLD_NODELETE is enough;
// the handle is never closed on purpose.
void keep_plugin_loaded() {
    static std::once_flag once;
    std::call_once(once, [] {
        Dl_info self{};
        if (dladdr(reinterpret_cast<void*>(&keep_plugin_loaded), &self) && self.dli_fname)
            (void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    });
}
}  // namespace

void destroy_in_background(rd_kafka_t* consumer) {
    keep_plugin_loaded();
    // Nothing of the caller may be reached from the client once this returns:
    // no queue is forwarded anywhere and nobody polls, so no callback runs,
    // and log level 0 (emergencies, which librdkafka never logs) keeps its
    // threads away from the caller's logger.
    rd_kafka_set_log_level(consumer, 0);
    // With every signal blocked, as librdkafka's own threads are: a SIGTERM
    // must reach the daemon's handler, never this thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread([consumer] { rd_kafka_destroy_flags(consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

QueueWatcher::QueueWatcher(boost::asio::any_io_executor executor, rd_kafka_queue_t* queue, std::function<void()> on_ready)
    : executor_(std::move(executor)), queue_(queue), on_ready_(std::make_shared<std::function<void()>>(std::move(on_ready))) {
    rd_kafka_queue_cb_event_enable(queue_, &QueueWatcher::on_event, this);
}

QueueWatcher::~QueueWatcher() { close(); }

void QueueWatcher::close() {
    if (!on_ready_) return;
    // librdkafka calls on_event with the queue's lock held and this takes the
    // same lock, so no call is running or will run once it returns.
    rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
    on_ready_.reset();
}

void QueueWatcher::on_event(rd_kafka_t*, void* self) {
    // On a librdkafka thread: no librdkafka calls here, only a post.
    auto* w = static_cast<QueueWatcher*>(self);
    boost::asio::post(w->executor_, [weak = std::weak_ptr(w->on_ready_)] {
        if (auto f = weak.lock()) (*f)();
    });
}

}  // namespace tickcast::kafka
