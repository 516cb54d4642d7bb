// ChurnClient: WebSocket connection cycles against a gateway, from a few
// threads at once, each cycle ending in one of the ways real clients leave:
//
//   clean      connect, subscribe, receive some, close handshake (1000)
//   reset      connect, subscribe, receive some, TCP reset (SO_LINGER 0):
//              the server learns of it on its next read or write
//   half_fin   TCP connect, half an upgrade request, FIN
//   half_rst   TCP connect, half an upgrade request, reset
//   no_bytes   TCP connect, nothing sent, FIN
//
// Cycle i's kind is fixed by i (kinds() gives the mix), so two runs churn
// alike. "Receive some": after the ack, up to `messages` more messages
// (snapshot, events, heartbeats) within `receive_for`.
//
// Threading: run() blocks until every cycle is done; progress counters are
// atomics, readable from another thread meanwhile.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace tickcast::bench {

struct ChurnSpec {
    std::string address;                  // host:port of the gateway
    std::string channel_prefix = "depth.S";  // cycle i subscribes to prefix + (i % channels)
    std::size_t channels = 1;
    std::size_t cycles = 10000;
    std::size_t threads = 8;
    std::size_t messages = 3;
    std::chrono::milliseconds receive_for{300};
};

class ChurnClient {
public:
    enum Kind { clean, reset, half_fin, half_rst, no_bytes, kind_count };
    static const char* name(Kind k);
    static Kind kind_of(std::size_t cycle);

    explicit ChurnClient(ChurnSpec spec) : spec_(std::move(spec)) {}

    // Runs cycles [first, last) on spec.threads threads; returns when done.
    void run(std::size_t first, std::size_t last);

    std::size_t done() const { return done_.load(); }
    std::size_t failures() const { return failures_.load(); }        // a cycle that could not do its part
    std::size_t with_events() const { return with_events_.load(); }  // subscribed cycles that got an event
    std::size_t of_kind(Kind k) const { return per_kind_[k].load(); }
    std::string first_failure() const;

private:
    void cycle(std::size_t i);
    void subscribed_cycle(std::size_t i, bool reset_at_end);
    void half_handshake(bool reset_at_end, bool send_nothing);
    void fail(const std::string& why);

    ChurnSpec spec_;
    std::atomic<std::size_t> next_{0}, last_{0}, done_{0}, failures_{0}, with_events_{0};
    std::array<std::atomic<std::size_t>, kind_count> per_kind_{};
    mutable std::mutex mutex_;
    std::string first_failure_;
};

}  // namespace tickcast::bench
