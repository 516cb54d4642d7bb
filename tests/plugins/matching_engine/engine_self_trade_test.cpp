// Self-trade prevention: the three engine-wide modes.
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

using Strings = std::vector<std::string>;

template <SelfTradePrevention Mode>
class SelfTrade : public EngineTest {
 protected:
  SelfTrade() : EngineTest(test_config(Mode)) {}
};

using NoPrevention = SelfTrade<SelfTradePrevention::none>;
using CancelTaker = SelfTrade<SelfTradePrevention::cancel_taker>;
using CancelMaker = SelfTrade<SelfTradePrevention::cancel_maker>;

TEST_F(NoPrevention, a_user_trades_with_itself) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "alice", "buy", "100.00", "1.000");
  EXPECT_EQ(trades(events), Strings{"100.00 x 1.000 1->2"});
  EXPECT_EQ(payload(events[1]).at("maker_user"), "alice");
  EXPECT_EQ(payload(events[1]).at("taker_user"), "alice");
}

TEST_F(CancelTaker, taker_meeting_its_own_order_first_is_cancelled_without_trading) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "sell", "100.00", "1.000");
  const auto events = limit(3, "alice", "buy", "100.00", "2.000");
  EXPECT_TRUE(trades(events).empty());
  EXPECT_EQ(order_statuses(events), (Strings{"3:accepted", "3:cancelled:self_trade_prevented"}));
  EXPECT_TRUE(depths(events).empty());
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:2.000"});
  EXPECT_TRUE(levels(Side::buy).empty());
}

TEST_F(CancelTaker, taker_keeps_its_fills_before_meeting_itself) {
  limit(1, "bob", "sell", "100.00", "1.000");
  limit(2, "alice", "sell", "100.00", "1.000");
  const auto events = limit(3, "alice", "buy", "100.00", "2.000");
  EXPECT_EQ(trades(events), Strings{"100.00 x 1.000 1->3"});
  EXPECT_EQ(order_statuses(events),
            (Strings{"3:accepted", "1:filled", "3:cancelled:self_trade_prevented"}));
  EXPECT_EQ(payload(events[events.size() - 2]).at("remaining_qty"), "1.000");
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:1.000"});
}

TEST_F(CancelTaker, fok_does_not_count_liquidity_behind_its_own_order) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "sell", "100.00", "1.000");
  const auto events = limit(3, "alice", "buy", "100.00", "1.000", R"(,"tif":"FOK")");
  EXPECT_EQ(order_statuses(events), (Strings{"3:accepted", "3:cancelled:fok_unfilled"}));
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:2.000"});
}

TEST_F(CancelTaker, modified_order_that_reaches_its_own_order_is_cancelled) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "alice", "buy", "99.00", "1.000");
  const auto events = modify(2, R"("price":"100.00")");
  EXPECT_EQ(order_statuses(events), (Strings{"2:accepted", "2:cancelled:self_trade_prevented"}));
  EXPECT_EQ(depths(events), Strings{R"(bids=[["99.00","0"]] asks=[])"});
  EXPECT_EQ(engine.book(0).find(2), nullptr);
}

TEST_F(CancelMaker, own_resting_order_is_cancelled_and_matching_goes_on) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "sell", "100.00", "1.000");
  const auto events = limit(3, "alice", "buy", "100.00", "2.000");
  EXPECT_EQ(trades(events), Strings{"100.00 x 1.000 2->3"});
  EXPECT_EQ(order_statuses(events), (Strings{"3:accepted", "1:cancelled:self_trade_prevented",
                                             "2:filled", "3:partially_filled"}));
  EXPECT_EQ(events[1].channel, "orders.alice");
  EXPECT_EQ(depths(events), Strings{R"(bids=[["100.00","1.000"]] asks=[["100.00","0"]])"});
}

TEST_F(CancelMaker, fok_counts_only_other_users_liquidity) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "sell", "100.00", "1.000");
  EXPECT_EQ(order_statuses(limit(3, "alice", "buy", "100.00", "1.500", R"(,"tif":"FOK")")),
            (Strings{"3:accepted", "3:cancelled:fok_unfilled"}));
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:2.000"});  // untouched, own order included
  EXPECT_EQ(order_statuses(limit(4, "alice", "buy", "100.00", "1.000", R"(,"tif":"FOK")")),
            (Strings{"4:accepted", "1:cancelled:self_trade_prevented", "2:filled", "4:filled"}));
}

}  // namespace
}  // namespace tickcast::matching::test
