#include "write_workers.hpp"

#include <pthread.h>

namespace tickcast::websocket {

WriteWorkers::WriteWorkers(std::size_t threads) {
    for (std::size_t i = 1; i < threads; ++i) {
        helpers_.emplace_back([this] { help(); });
        pthread_setname_np(helpers_.back().native_handle(), "ws-write");
    }
}

WriteWorkers::~WriteWorkers() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : helpers_) t.join();
}

void WriteWorkers::claim() {
    for (;;) {
        const std::size_t first = next_.fetch_add(chunk, std::memory_order_relaxed);
        if (first >= n_) return;
        const std::size_t last = std::min(first + chunk, n_);
        for (std::size_t i = first; i < last; ++i) fn_(ctx_, i);
    }
}

void WriteWorkers::run(std::size_t n, Fn fn, void* ctx) {
    if (helpers_.empty() || n < min_items) {
        for (std::size_t i = 0; i < n; ++i) fn(ctx, i);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        n_ = n;
        fn_ = fn;
        ctx_ = ctx;
        next_.store(0, std::memory_order_relaxed);
        open_ = true;
        ++round_;
    }
    wake_.notify_all();
    claim();
    // Helpers that joined finish their chunks; one that wakes from now on
    // finds the round closed and sleeps again.
    std::unique_lock lock(mutex_);
    open_ = false;
    done_.wait(lock, [this] { return busy_ == 0; });
}

void WriteWorkers::help() {
    std::unique_lock lock(mutex_);
    std::uint64_t seen = 0;
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || (open_ && round_ != seen); });
        if (stopping_) return;
        seen = round_;
        ++busy_;
        lock.unlock();
        claim();
        lock.lock();
        if (--busy_ == 0) done_.notify_one();
    }
}

}  // namespace tickcast::websocket
