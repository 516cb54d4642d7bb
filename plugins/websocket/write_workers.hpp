// WriteWorkers: helper threads that share one batch's fan-out with the
// pipeline thread. Starting a socket write is mostly the kernel's work (the
// loopback or NIC send path costs several microseconds per connection), so
// one thread writing to a thousand subscribers is the fan-out's latency; a
// second thread cut it by ~40% on two cores (docs/benchmarks.md).
//
// for_each(n, f) is a fork-join inside the caller's handler: the caller and
// the helpers claim indices in small chunks from one counter, and the call
// returns only once every f(i) has returned. So the gateway's one-strand
// model holds: no other handler of the strand runs meanwhile, and each f(i)
// must touch only state that belongs to item i (a session and its socket),
// plus what is thread-safe (the io_context, atomic counters).
//
// Idle helpers block on a condition variable: no spinning, no cost between
// batches. Below `min_items`, or with no helper, the caller does it all.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace tickcast::websocket {

class WriteWorkers {
public:
    // Items claimed at a time: enough to keep the shared counter cold, few
    // enough that a helper waking late still finds work.
    static constexpr std::size_t chunk = 4;
    static constexpr std::size_t min_items = 16;

    // `threads` counts the caller's: 1 (or 0) starts no helper.
    explicit WriteWorkers(std::size_t threads);
    ~WriteWorkers();
    WriteWorkers(const WriteWorkers&) = delete;
    WriteWorkers& operator=(const WriteWorkers&) = delete;

    std::size_t threads() const { return helpers_.size() + 1; }

    template <class F>
    void for_each(std::size_t n, F& f) {
        run(n, [](void* fn, std::size_t i) { (*static_cast<F*>(fn))(i); }, &f);
    }

private:
    using Fn = void (*)(void*, std::size_t);
    void run(std::size_t n, Fn fn, void* ctx);
    void help();
    void claim();  // runs items until none is left

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::uint64_t round_ = 0;  // for_each calls that used the helpers
    bool open_ = false;        // a round is on: helpers that wake may join it
    bool stopping_ = false;
    std::size_t busy_ = 0;     // helpers inside the current round
    std::size_t n_ = 0;
    Fn fn_ = nullptr;
    void* ctx_ = nullptr;
    std::atomic<std::size_t> next_{0};
    std::vector<std::thread> helpers_;
};

}  // namespace tickcast::websocket
