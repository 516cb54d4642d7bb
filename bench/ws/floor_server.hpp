// The floor under any WebSocket server on this machine: a bench-only server
// that does nothing per event but build the frame once and send it, with
// one non-blocking send() per subscriber, from `threads` threads (the first
// one paces and stamps; the others share each event's subscribers through
// the gateway's own WriteWorkers). No queue, no Asio, no JSON: what it cannot
// beat, no server that sends one frame per subscriber per event can.
//
// Clients connect like nchan's (GET /sub/<id_prefix><k> with a WebSocket
// upgrade; the URL is the subscription) and receive the bytes tickcast's
// gateway would send (append_bench_envelope). A send that would block is
// not retried: the frame is counted as dropped and the connection closed,
// so the load client reports the loss; at the loads measured none occurs.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tickcast::bench {

class FloorServer {
public:
    struct Spec {
        std::string id_prefix;       // connection path /sub/<id_prefix><k>
        std::string channel_prefix;  // the envelope's channel = channel_prefix + k
        std::size_t channels = 1;
        std::uint64_t rate = 1000;
        std::size_t payload_bytes = 120;
        std::size_t threads = 1;
    };
    explicit FloorServer(Spec spec);  // listens on a free loopback port and starts publishing
    ~FloorServer();
    FloorServer(const FloorServer&) = delete;
    FloorServer& operator=(const FloorServer&) = delete;

    std::uint16_t port() const { return port_; }
    void stop();
    std::uint64_t dropped() const { return dropped_.load(); }
    const std::string& error() const { return error_; }  // after stop()

private:
    void accept_loop();
    void publish_loop();

    Spec spec_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> dropped_{0};
    std::mutex mutex_;                         // subscribers_ while connections arrive
    std::vector<std::vector<int>> subscribers_;  // per channel: socket fds
    std::string error_;
    std::thread acceptor_, publisher_;
};

}  // namespace tickcast::bench
