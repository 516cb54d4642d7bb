// Modify: which changes keep time priority, and modifies that trade.
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

using Strings = std::vector<std::string>;

class Modify : public EngineTest {
 protected:
  void SetUp() override {
    limit(1, "alice", "sell", "100.00", "1.000");
    limit(2, "bob", "sell", "100.00", "1.000");
  }
  // Who trades first at 100.00.
  std::string first_maker() {
    const auto t = trades(market(99, "carol", "buy", "0.001"));
    return t.empty() ? "" : t.front();
  }
};

TEST_F(Modify, quantity_decrease_keeps_time_priority) {
  const auto events = modify(1, R"("qty":"0.500")");
  EXPECT_EQ(order_statuses(events), Strings{"1:accepted"});
  EXPECT_EQ(payload(events.front()).at("remaining_qty"), "0.500");
  EXPECT_EQ(depths(events), Strings{R"(bids=[] asks=[["100.00","1.500"]])"});
  EXPECT_EQ(first_maker(), "100.00 x 0.001 1->99");
}

TEST_F(Modify, quantity_increase_loses_time_priority) {
  modify(1, R"("qty":"2.000")");
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:3.000"});
  EXPECT_EQ(first_maker(), "100.00 x 0.001 2->99");
}

TEST_F(Modify, price_change_loses_time_priority_even_when_it_comes_back) {
  modify(1, R"("price":"100.01")");
  EXPECT_EQ(levels(Side::sell), (Strings{"100.00:1.000", "100.01:1.000"}));
  modify(1, R"("price":"100.00")");
  EXPECT_EQ(first_maker(), "100.00 x 0.001 2->99");
}

TEST_F(Modify, same_price_and_quantity_changes_nothing) {
  const auto events = modify(1, R"("price":"100.00","qty":"1.000")");
  EXPECT_EQ(order_statuses(events), Strings{"1:accepted"});
  EXPECT_TRUE(depths(events).empty());
  EXPECT_EQ(first_maker(), "100.00 x 0.001 1->99");
}

TEST_F(Modify, modify_that_makes_the_order_marketable_trades) {
  limit(3, "carol", "buy", "99.00", "1.500");
  const auto events = modify(3, R"("price":"100.00")");
  EXPECT_EQ(trades(events), (Strings{"100.00 x 1.000 1->3", "100.00 x 0.500 2->3"}));
  EXPECT_EQ(order_statuses(events),
            (Strings{"3:accepted", "1:filled", "2:partially_filled", "3:filled"}));
  EXPECT_EQ(depths(events),
            Strings{R"(bids=[["99.00","0"]] asks=[["100.00","0.500"]])"});
}

TEST_F(Modify, marketable_modify_rests_its_remainder_at_the_new_price) {
  limit(3, "carol", "buy", "99.00", "3.000");
  const auto events = modify(3, R"("price":"100.00")");
  EXPECT_EQ(order_statuses(events),
            (Strings{"3:accepted", "1:filled", "2:filled", "3:partially_filled"}));
  EXPECT_EQ(levels(Side::buy), Strings{"100.00:1.000"});
}

TEST_F(Modify, quantity_is_the_new_open_quantity_and_filled_is_kept) {
  market(3, "carol", "buy", "0.400");  // order 1: 0.400 filled, 0.600 open
  const auto events = modify(1, R"("qty":"0.100")");
  const auto accepted = payload(events.front());
  EXPECT_EQ(accepted.at("filled_qty"), "0.400");
  EXPECT_EQ(accepted.at("remaining_qty"), "0.100");
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:1.100"});
}

TEST_F(Modify, post_only_order_cannot_be_modified_to_a_taking_price) {
  limit(3, "carol", "buy", "99.00", "1.000", R"(,"post_only":true)");
  EXPECT_EQ(order_statuses(modify(3, R"("price":"100.00")")),
            Strings{"3:rejected:post_only_would_take"});
  EXPECT_EQ(levels(Side::buy), Strings{"99.00:1.000"});
  EXPECT_EQ(order_statuses(modify(3, R"("price":"99.50")")), Strings{"3:accepted"});
  EXPECT_EQ(levels(Side::buy), Strings{"99.50:1.000"});
}

TEST_F(Modify, modify_of_an_unknown_order_is_rejected) {
  EXPECT_EQ(order_statuses(modify(42, R"("qty":"1.000")")), Strings{"42:rejected:unknown_order"});
}

TEST_F(Modify, modify_without_price_or_qty_is_rejected) {
  EXPECT_EQ(order_statuses(modify(1, R"("user":"alice")")), Strings{"1:rejected:nothing_to_modify"});
}

TEST_F(Modify, modify_by_another_user_is_rejected_and_goes_to_that_user) {
  const auto events = modify(1, R"("user":"mallory","qty":"5.000")");
  EXPECT_EQ(order_statuses(events), Strings{"1:rejected:user_mismatch"});
  EXPECT_EQ(events.front().channel, "orders.mallory");
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:2.000"});
}

TEST_F(Modify, modify_by_its_owner_naming_itself_is_accepted) {
  EXPECT_EQ(order_statuses(modify(1, R"("user":"alice","qty":"0.300")")), Strings{"1:accepted"});
}

}  // namespace
}  // namespace tickcast::matching::test
