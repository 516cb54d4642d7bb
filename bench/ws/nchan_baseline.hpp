// The baseline bench_ws measures the gateway against: nginx with the nchan
// module (bench/ws/nchan.sh installs them), one worker process on a private
// prefix, with a publisher that POSTs messages at a fixed rate.
//
// nchan's locations: POST /pub/<id> publishes, GET /sub/<id> with a
// WebSocket upgrade subscribes. Ids are `<run prefix><k>`, fresh in every
// run, so that no run sees messages a previous one left buffered.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "support/process.hpp"

namespace tickcast::bench {

// Appends the bytes tickcast's gateway sends for an event of stamped_source
// (its data envelope around a `payload_bytes` payload whose first field is
// the origin time, stamped now), for the servers tickcast is compared with.
void append_bench_envelope(std::string& out, std::string_view channel, std::uint64_t seq, std::size_t k, std::size_t payload_bytes);

class NchanServer {
public:
    // Starts nginx (`nginx` on PATH, `module` the nchan .so) with `workers`
    // worker processes on a free loopback port.
    NchanServer(const std::string& module, int workers);
    ~NchanServer();
    NchanServer(const NchanServer&) = delete;
    NchanServer& operator=(const NchanServer&) = delete;

    std::uint16_t port() const { return port_; }
    // The worker processes (children of the master), whose CPU and RSS count.
    std::vector<int> worker_pids() const;
    void stop();

private:
    test::TempDir dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<test::Process> master_;
};

// Publishes `rate` messages per second round-robin on `channels` nchan ids
// over one keep-alive connection, pipelining what is due each wake-up (at
// most 256, wakes at least 1 ms apart: the pacing of tickcast's
// GeneratorSource). Each message is tickcast's data envelope with the
// origin time first in `data`, built (and stamped) just before it is sent.
class NchanPublisher {
public:
    struct Spec {
        std::uint16_t port = 0;
        std::string id_prefix;       // nchan channel id = id_prefix + k
        std::string channel_prefix;  // the envelope's channel = channel_prefix + k
        std::size_t channels = 1;
        std::uint64_t rate = 1000;
        std::size_t payload_bytes = 120;
    };
    explicit NchanPublisher(Spec spec);
    ~NchanPublisher();
    void stop();
    std::uint64_t published() const { return published_.load(); }
    std::uint64_t refused() const { return refused_.load(); }
    const std::string& error() const { return error_; }  // after stop()
    int thread_id() const { return tid_.load(); }

private:
    void run();
    Spec spec_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> published_{0}, refused_{0};
    std::atomic<int> tid_{0};
    std::string error_;
    std::thread thread_;
};

}  // namespace tickcast::bench
