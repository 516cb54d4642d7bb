// What kafka_source and kafka_sink share about a librdkafka client: raw
// client properties, owning handles, log forwarding, and QueueWatcher, which
// wakes a plugin's strand when a librdkafka queue has something to serve.
//
// Why a queue watcher and no poll thread: librdkafka calls back (from its
// own thread) when one of its queues goes from empty to non-empty
// (rd_kafka_queue_cb_event_enable); the callback only posts a wake-up to the
// plugin's strand, where messages, delivery reports and rebalances are then
// served. No thread of ours, no polling while idle, one post per burst.
//
// Not rd_kafka_queue_io_event_enable with an Asio stream_descriptor: a
// plugin is built with hidden visibility, so it carries its own copy of
// Asio's header-only reactor code, whose thread-local bookkeeping differs
// from the host's; reactor operations created in a plugin and completed by
// the host's io_context threads can crash (seen). Posting is safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <librdkafka/rdkafka.h>
#include <tickcast/config.hpp>

namespace spdlog {
class logger;
}

namespace tickcast::kafka {

// librdkafka client properties ("linger.ms" = "2"), applied in order.
using Properties = std::vector<std::pair<std::string, std::string>>;

// Reads a `librdkafka:` option (a map of scalar values) and checks every
// name and value with librdkafka itself, so that a misspelt property is a
// config error at its file:line:column, with librdkafka's own explanation.
Properties read_properties(const ConfigNode& map);

// Sets each property on `conf`; throws std::runtime_error naming the
// property and quoting librdkafka's error.
void apply_properties(rd_kafka_conf_t* conf, const Properties& properties);

struct ConfDeleter {
    void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
struct HandleDeleter {
    void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
struct QueueDeleter {
    void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct TopicDeleter {
    void operator()(rd_kafka_topic_t* t) const noexcept { rd_kafka_topic_destroy(t); }
};
struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* l) const noexcept { rd_kafka_topic_partition_list_destroy(l); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Creates a client from `conf` (consumed even on failure); throws with
// librdkafka's reason (e.g. a property that conflicts with another).
Handle make_client(rd_kafka_type_t type, Conf conf);

// Leaves the consumer group (rd_kafka_consumer_close: waits for outstanding
// commits, serves the final revoke through the consumer's callbacks) for at
// most `timeout`, then lets the client go either way: without a reachable
// coordinator the close would wait for good. Returns whether it closed; if
// not, the client is destroyed by destroy_in_background.
bool close_consumer(Handle& consumer, std::chrono::milliseconds timeout);

// Destroys a consumer that could not leave its group, without waiting for it.
// librdkafka 2.0.2's destroy waits for the group to terminate, and a group
// whose coordinator does not answer (a coordinator connection that never gets
// past its ApiVersion request, as after a broker restart) never does
// (librdkafka issues #3740, #4519): blocking there would hold the caller's
// strand, and the daemon's stop, past every deadline. The destroy runs on a
// detached thread of its own instead, and the plugin stays loaded for it. The
// client's queues must not be forwarded to anything the caller owns; its log
// lines are silenced.
void destroy_in_background(rd_kafka_t* consumer);

// The opaque of every client the plugins create (rd_kafka_conf_set_opaque):
// callbacks find their plugin through `owner`, and librdkafka's log lines,
// written from its own threads, go to `log`. Both must outlive the client.
struct ClientOpaque {
    spdlog::logger* log = nullptr;
    void* owner = nullptr;
};

// Sets `opaque` on `conf` and routes librdkafka's log lines to opaque.log:
// syslog levels 0-4 become warnings (librdkafka retries what it reports,
// so nothing it logs is fatal by itself), 5-6 info, 7 debug.
void attach(rd_kafka_conf_t* conf, ClientOpaque* opaque);

template <class T>
T& owner_of(void* opaque) {
    return *static_cast<T*>(static_cast<ClientOpaque*>(opaque)->owner);
}

// Calls on_ready on `executor` (the plugin's strand) whenever a librdkafka
// queue becomes non-empty. Owned by one plugin; close() and the destructor
// run on its strand. After close() no new wake-up is posted and one already
// posted does nothing.
class QueueWatcher {
public:
    QueueWatcher(boost::asio::any_io_executor executor, rd_kafka_queue_t* queue, std::function<void()> on_ready);
    ~QueueWatcher();
    QueueWatcher(const QueueWatcher&) = delete;
    QueueWatcher& operator=(const QueueWatcher&) = delete;

    void close();

private:
    static void on_event(rd_kafka_t* rk, void* self);

    boost::asio::any_io_executor executor_;
    rd_kafka_queue_t* queue_;
    std::shared_ptr<std::function<void()>> on_ready_;  // reset by close()
};

}  // namespace tickcast::kafka
