// WsLoadClient: N WebSocket connections on one thread, cheap per frame, for
// bench_ws. Each connection subscribes to one channel (connection i to
// channel i % channels) and the client measures, for the data messages
// received inside a window, publish -> client latency (receipt time minus
// the `"ts":` origin stamp inside the message) and deliveries per second,
// and over the whole run the gaps in each connection's `seq`.
//
// Two servers speak to it:
//   - tickcast: GET /, then {"op":"subscribe","channels":[...]} and its ack;
//   - nchan:    GET /sub/<id> (the URL is the subscription); the publisher
//               posts messages in tickcast's envelope, so one parser serves.
// Data messages are read as {"type":"event","channel":"<prefix><k>","seq":S,
// ... "ts":T ...}: a fixed prefix, the channel's number, the seq digits and
// a search for "ts"; nothing else of the JSON is parsed. A frame that is a
// JSON array is read as several such messages coalesced into one frame.
//
// Receipt time: the kernel's receive stamp of each read (SO_TIMESTAMPNS),
// so that this one thread reading N sockets in turn does not add its own
// queueing to the server's latency; the time the thread read the data is
// kept beside it (latency_at_read).
//
// Cost per frame: no allocation (one read buffer per connection, carved
// from one arena, grown once if a frame does not fit; Asio recycles its
// handler memory), one clock read per socket read. The client's own
// writes (handshake, subscribe, pongs) are rare and synchronous.
//
// Threading: run() starts one thread; the window bounds are atomics; the
// results are read after stop() has joined it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "ws/latency_histogram.hpp"

namespace tickcast::bench {

struct LoadSpec {
    enum class Server { tickcast, nchan };
    Server server = Server::tickcast;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::size_t connections = 100;
    std::size_t channels = 1;
    std::string channel_prefix = "bench.";  // channel k is prefix + k (as messages name it)
    std::string nchan_id_prefix;            // nchan: connection i subscribes to /sub/<nchan_id_prefix><i % channels>
    std::size_t connect_parallel = 256;     // handshakes in flight at once
    std::size_t buffer_bytes = 16384;       // per connection; grown for a larger frame (up to max_frame)
    int source_addresses = 4;               // connect from 127.0.0.1 .. 127.0.0.N (more 4-tuples)
    bool coalesce = true;                   // tickcast: connect with ?coalesce=1 (several messages per frame under load)
    int nice = 0;                           // the client thread's nice value (setpriority on its tid); 0: unchanged
};

struct LoadResults {
    std::uint64_t window_deliveries = 0;  // data messages received inside the window
    LatencyHistogram latency;              // of those: kernel receive stamp - origin
    LatencyHistogram latency_at_read;      // of those: when this thread read them - origin
    // Fan-out spread: for each event received inside the window by every
    // connection subscribed to its channel, last receipt - first receipt.
    LatencyHistogram spread;
    std::uint64_t deliveries = 0;          // all data messages
    std::uint64_t missed = 0;              // seq gaps: messages never received
    std::uint64_t reordered = 0;           // seq not above the last one
    std::uint64_t wrong_channel = 0;
    std::uint64_t heartbeats = 0, errors = 0, other = 0, oversized = 0;
    std::uint64_t server_closes = 0, socket_errors = 0, connect_failures = 0;
    std::uint16_t first_close_code = 0;
    std::string first_error;  // text of the first error message, or of the first failure
};

class WsLoadClient {
public:
    static constexpr std::size_t max_frame = 64u << 20;

    explicit WsLoadClient(LoadSpec spec);
    ~WsLoadClient();

    void run();   // starts the thread and the connections
    void stop();  // closes every connection and joins the thread

    std::size_t subscribed() const { return subscribed_.load(std::memory_order_relaxed); }
    std::size_t failed() const { return failed_.load(std::memory_order_relaxed); }
    // Messages received with now_ns in [from, to) count in the window.
    void set_window(std::int64_t from_ns, std::int64_t to_ns);
    int thread_id() const { return tid_.load(); }

    const LoadResults& results() const { return results_; }  // after stop()

private:
    struct Connection;
    void start_next();
    void on_connect(Connection& c, const boost::system::error_code& ec);
    void read(Connection& c);
    void on_readable(Connection& c, const boost::system::error_code& ec);
    bool on_handshake(Connection& c);
    // now: the kernel's receive stamp of the read; read_ns: when this thread read it.
    void on_frames(Connection& c, std::int64_t now, std::int64_t read_ns);
    void on_message(Connection& c, const char* p, std::size_t n, std::int64_t now, std::int64_t read_ns);
    const char* on_event(Connection& c, const char* p, const char* end, std::int64_t now, std::int64_t read_ns);
    void grow(Connection& c, std::size_t from, std::size_t frame);
    void send_frame(Connection& c, std::uint8_t opcode, const char* p, std::size_t n);
    void fail(Connection& c, const std::string& why);
    void ready(Connection& c);

    LoadSpec spec_;
    boost::asio::io_context io_;
    boost::asio::ip::tcp::endpoint server_;
    std::vector<char> arena_;
    std::vector<std::unique_ptr<Connection>> conns_;
    std::size_t next_ = 0, in_flight_ = 0;
    std::atomic<std::size_t> subscribed_{0}, failed_{0};
    std::atomic<std::int64_t> window_from_{INT64_MAX}, window_to_{INT64_MAX};
    std::atomic<int> tid_{0};
    struct SpreadSlot {
        std::uint64_t tag = 0;  // channel << 40 | seq
        std::int64_t first = 0;
        std::uint32_t count = 0;
    };
    void track_spread(std::uint64_t channel, std::uint64_t seq, std::int64_t now);
    std::vector<SpreadSlot> spread_slots_;
    LoadResults results_;
    std::thread thread_;
};

}  // namespace tickcast::bench
