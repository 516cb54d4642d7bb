#include <gtest/gtest.h>

#include <tickcast/ring_queue.hpp>

#include <cctype>
#include <deque>
#include <memory>
#include <random>
#include <string>

using tickcast::RingQueue;

namespace {
// Counts live instances, so a test sees every element destroyed once.
struct Tracked {
    static inline int live = 0;
    std::string value;
    explicit Tracked(std::string v) : value(std::move(v)) { ++live; }
    Tracked(Tracked&& o) noexcept : value(std::move(o.value)) { ++live; }
    Tracked& operator=(Tracked&& o) noexcept {
        value = std::move(o.value);
        return *this;
    }
    ~Tracked() { --live; }
};
}  // namespace

TEST(RingQueue, behaves_like_a_deque_under_random_pushes_pops_and_erasures) {
    std::mt19937 rng(3);
    {
        RingQueue<Tracked> q;
        std::deque<std::string> model;
        int next = 0;
        for (int step = 0; step < 20000; ++step) {
            const unsigned op = rng() % 10;
            if (op < 5) {
                const std::string v = std::to_string(next++) + std::string(rng() % 40, 'x');  // some beyond SSO
                q.emplace_back(v);
                model.push_back(v);
            } else if (op < 8 && !model.empty()) {
                ASSERT_EQ(q.front().value, model.front());
                q.pop_front();
                model.pop_front();
            } else if (op == 8) {
                const std::size_t n = rng() % 5;
                q.pop_front(n);
                for (std::size_t i = 0; i < n && !model.empty(); ++i) model.pop_front();
            } else {
                const char last = char('0' + rng() % 10);
                auto drop = [last](const std::string& s) { return std::isdigit(static_cast<unsigned char>(s[0])) && s.find('x') == std::string::npos && s.back() == last; };
                const std::size_t gone = q.erase_if([&](const Tracked& t) { return drop(t.value); });
                ASSERT_EQ(gone, std::size_t(std::erase_if(model, drop)));
            }
            ASSERT_EQ(q.size(), model.size());
            ASSERT_EQ(Tracked::live, int(model.size())) << "every popped or erased element is destroyed, once";
            for (std::size_t i = 0; i < model.size(); i += 7) ASSERT_EQ(q[i].value, model[i]);
        }
        q.clear();
        EXPECT_EQ(Tracked::live, 0);
        q.emplace_back("again");
        EXPECT_EQ(q.front().value, "again");
    }
    EXPECT_EQ(Tracked::live, 0) << "the destructor destroys what is left";
}

TEST(RingQueue, keeps_order_when_it_grows_while_wrapped_around) {
    RingQueue<int> q;
    for (int i = 0; i < 16; ++i) q.push_back(int(i));
    q.pop_front(10);  // head in the middle
    for (int i = 16; i < 26; ++i) q.push_back(int(i));  // wraps, then grows past 16
    ASSERT_EQ(q.size(), 16u);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(q[std::size_t(i)], 10 + i);
}

TEST(RingQueue, a_steady_flow_stops_allocating_once_warm) {
    RingQueue<std::unique_ptr<int>> q;
    for (int i = 0; i < 100; ++i) q.push_back(std::make_unique<int>(i));
    const std::size_t capacity = q.capacity();
    for (int round = 0; round < 1000; ++round) {
        q.pop_front(60);
        for (int i = 0; i < 60; ++i) q.push_back(std::make_unique<int>(i));
    }
    EXPECT_EQ(q.capacity(), capacity) << "the buffer is reused, not regrown";
    EXPECT_EQ(q.size(), 100u);
}
