// SeqDedupe: which re-emitted events kafka_sink's dedupe drops.
#include <gtest/gtest.h>

#include "seq_dedupe.hpp"

namespace tickcast::kafka {
namespace {

using Verdict = SeqDedupe::Verdict;

TEST(SeqDedupe, drops_what_the_topic_has_and_writes_what_follows) {
    SeqDedupe d;
    d.learn("trades.BTC-USDT", 3);
    d.learn("trades.BTC-USDT", 5);
    d.learn("trades.BTC-USDT", 4);  // read back out of order: the highest counts
    d.learn("orders.u1", 2);
    EXPECT_EQ(d.check("trades.BTC-USDT", 4), Verdict::drop);
    EXPECT_EQ(d.check("trades.BTC-USDT", 5), Verdict::drop);
    EXPECT_EQ(d.check("trades.BTC-USDT", 6), Verdict::write);
    EXPECT_EQ(d.size(), 1u) << "trades.BTC-USDT is past its dedupe";
    EXPECT_EQ(d.check("trades.BTC-USDT", 5), Verdict::write) << "a channel past its dedupe is never checked again";
    EXPECT_EQ(d.check("depth.BTC-USDT", 1), Verdict::write) << "a channel the topic does not have";
    EXPECT_EQ(d.check("orders.u1", 1), Verdict::drop);
    EXPECT_EQ(d.check("orders.u1", 3), Verdict::write);
    EXPECT_TRUE(d.empty());
}

TEST(SeqDedupe, a_first_new_event_past_the_next_seq_is_a_gap) {
    SeqDedupe d;
    d.learn("depth.ETH-USDT", 10);
    EXPECT_EQ(d.check("depth.ETH-USDT", 12), Verdict::write_after_gap);
    EXPECT_EQ(d.check("depth.ETH-USDT", 13), Verdict::write);
}

TEST(SeqDedupe, events_without_a_seq_are_always_written) {
    SeqDedupe d;
    d.learn("trades.X", 0);
    d.learn("", 4);
    EXPECT_TRUE(d.empty()) << "seq 0 and no channel teach nothing";
    d.learn("trades.X", 7);
    EXPECT_EQ(d.check("trades.X", 0), Verdict::write);
    EXPECT_EQ(d.check("trades.X", 7), Verdict::drop);
}

}  // namespace
}  // namespace tickcast::kafka
