// WriteWorkers, the fork-join that shares a batch's socket writes between
// the pipeline thread and helpers: every item runs exactly once, the call
// returns only when all have run, and the helpers really take part.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "write_workers.hpp"

using tickcast::websocket::WriteWorkers;

namespace {

// Runs one round of n items and returns how often each ran.
std::vector<int> round_counts(WriteWorkers& workers, std::size_t n) {
    std::vector<std::atomic<int>> runs(n);
    auto item = [&](std::size_t i) { runs[i].fetch_add(1, std::memory_order_relaxed); };
    workers.for_each(n, item);
    std::vector<int> counts;
    for (auto& r : runs) counts.push_back(r.load());
    return counts;
}

}  // namespace

TEST(WriteWorkers, every_item_runs_exactly_once_in_every_round) {
    for (std::size_t threads : {1u, 2u, 4u}) {
        WriteWorkers workers(threads);
        EXPECT_EQ(workers.threads(), threads);
        for (int round = 0; round < 300; ++round)
            for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 1000u}) {
                const std::vector<int> counts = round_counts(workers, n);
                for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(counts[i], 1) << "item " << i << " of " << n << ", threads " << threads;
            }
    }
}

TEST(WriteWorkers, a_helper_takes_items_while_the_caller_is_busy_and_the_call_waits_for_them) {
    WriteWorkers workers(2);
    const auto caller = std::this_thread::get_id();
    std::mutex m;
    std::set<std::thread::id> seen;
    std::atomic<bool> helper_ran{false};
    std::atomic<int> finished{0};
    auto item = [&](std::size_t i) {
        {
            std::lock_guard lock(m);
            seen.insert(std::this_thread::get_id());
        }
        if (std::this_thread::get_id() != caller) helper_ran = true;
        // Item 0 is the caller's first: it holds the caller until a helper
        // has taken a chunk of its own (or 10 s pass and the test fails).
        if (i == 0) {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (!helper_ran && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        finished.fetch_add(1);
    };
    workers.for_each(64, item);
    EXPECT_EQ(finished.load(), 64) << "for_each returned before every item had finished";
    EXPECT_TRUE(helper_ran.load());
    EXPECT_EQ(seen.size(), 2u);
}

TEST(WriteWorkers, few_items_or_no_helper_stay_on_the_calling_thread) {
    for (auto [threads, n] : {std::pair<std::size_t, std::size_t>{2, WriteWorkers::min_items - 1}, {1, 500}, {0, 500}}) {
        WriteWorkers workers(threads);
        const auto caller = std::this_thread::get_id();
        std::atomic<int> elsewhere{0};
        auto item = [&](std::size_t) {
            if (std::this_thread::get_id() != caller) ++elsewhere;
        };
        workers.for_each(n, item);
        EXPECT_EQ(elsewhere.load(), 0) << threads << " threads, " << n << " items";
    }
}
