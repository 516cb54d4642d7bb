// Order types, price-time priority and the shape of what one order emits.
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

using Strings = std::vector<std::string>;

class OrderTypes : public EngineTest {};

TEST_F(OrderTypes, limit_order_that_does_not_cross_rests_and_publishes_its_level) {
  const auto events = limit(1, "alice", "buy", "100.00", "1.500");
  EXPECT_EQ(order_statuses(events), Strings{"1:accepted"});
  EXPECT_EQ(depths(events), Strings{R"(bids=[["100.00","1.500"]] asks=[])"});
  EXPECT_EQ(levels(Side::buy), Strings{"100.00:1.500"});
}

TEST_F(OrderTypes, trade_happens_at_the_makers_price) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "101.00", "1.000");
  EXPECT_EQ(trades(events), Strings{"100.00 x 1.000 1->2"});
  EXPECT_EQ(order_statuses(events), (Strings{"2:accepted", "1:filled", "2:filled"}));
  EXPECT_TRUE(levels(Side::sell).empty());
  EXPECT_TRUE(levels(Side::buy).empty());
}

TEST_F(OrderTypes, better_price_goes_first_then_earlier_time) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "sell", "100.00", "1.000");
  limit(3, "carol", "sell", "99.99", "1.000");
  const auto events = market(4, "dave", "buy", "3.000");
  EXPECT_EQ(trades(events), (Strings{"99.99 x 1.000 3->4", "100.00 x 1.000 1->4",
                                     "100.00 x 1.000 2->4"}));
}

TEST_F(OrderTypes, partially_filled_taker_rests_its_remainder) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "100.00", "1.500");
  EXPECT_EQ(order_statuses(events), (Strings{"2:accepted", "1:filled", "2:partially_filled"}));
  const auto last = payload(events[events.size() - 2]);
  EXPECT_EQ(last.at("filled_qty"), "1.000");
  EXPECT_EQ(last.at("remaining_qty"), "0.500");
  EXPECT_EQ(levels(Side::buy), Strings{"100.00:0.500"});
}

TEST_F(OrderTypes, removed_levels_are_published_with_quantity_zero) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "100.00", "1.500");
  EXPECT_EQ(depths(events), Strings{R"(bids=[["100.00","0.500"]] asks=[["100.00","0"]])"});
}

TEST_F(OrderTypes, market_order_never_rests_and_cancels_what_it_cannot_fill) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = market(2, "bob", "buy", "1.500");
  EXPECT_EQ(trades(events), Strings{"100.00 x 1.000 1->2"});
  EXPECT_EQ(order_statuses(events),
            (Strings{"2:accepted", "1:filled", "2:cancelled:market_unfilled"}));
  ASSERT_EQ(events.back().kind, EventKind::depth);
  EXPECT_EQ(payload(events[events.size() - 2]).at("remaining_qty"), "0.500");
  EXPECT_TRUE(levels(Side::buy).empty());
}

TEST_F(OrderTypes, market_order_on_an_empty_book_is_cancelled_without_a_depth_event) {
  const auto events = market(1, "bob", "sell", "1.000");
  EXPECT_EQ(order_statuses(events), (Strings{"1:accepted", "1:cancelled:market_unfilled"}));
  EXPECT_TRUE(depths(events).empty());
}

TEST_F(OrderTypes, ioc_fills_what_it_can_and_cancels_the_rest) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "alice", "sell", "100.50", "1.000");
  const auto events = limit(3, "bob", "buy", "100.00", "2.000", R"(,"tif":"IOC")");
  EXPECT_EQ(trades(events), Strings{"100.00 x 1.000 1->3"});
  EXPECT_EQ(order_statuses(events), (Strings{"3:accepted", "1:filled", "3:cancelled:ioc_unfilled"}));
  EXPECT_TRUE(levels(Side::buy).empty());
  EXPECT_EQ(levels(Side::sell), Strings{"100.50:1.000"});
}

TEST_F(OrderTypes, ioc_that_cannot_trade_leaves_the_book_untouched) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "99.00", "1.000", R"(,"tif":"IOC")");
  EXPECT_EQ(order_statuses(events), (Strings{"2:accepted", "2:cancelled:ioc_unfilled"}));
  EXPECT_TRUE(depths(events).empty());
  EXPECT_TRUE(levels(Side::buy).empty());
}

TEST_F(OrderTypes, fok_that_can_fill_fills_completely_across_levels) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "carol", "sell", "100.50", "1.000");
  const auto events = limit(3, "bob", "buy", "100.50", "1.500", R"(,"tif":"FOK")");
  EXPECT_EQ(trades(events), (Strings{"100.00 x 1.000 1->3", "100.50 x 0.500 2->3"}));
  EXPECT_EQ(order_statuses(events),
            (Strings{"3:accepted", "1:filled", "2:partially_filled", "3:filled"}));
  EXPECT_EQ(levels(Side::sell), Strings{"100.50:0.500"});
}

TEST_F(OrderTypes, fok_that_cannot_fill_leaves_book_untouched) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "carol", "sell", "100.50", "1.000");
  const auto events = limit(3, "bob", "buy", "100.00", "1.500", R"(,"tif":"FOK")");
  EXPECT_TRUE(trades(events).empty());
  EXPECT_TRUE(depths(events).empty());
  EXPECT_EQ(order_statuses(events), (Strings{"3:accepted", "3:cancelled:fok_unfilled"}));
  EXPECT_EQ(levels(Side::sell), (Strings{"100.00:1.000", "100.50:1.000"}));
}

TEST_F(OrderTypes, market_fok_fills_fully_or_not_at_all) {
  limit(1, "alice", "sell", "100.00", "1.000");
  EXPECT_EQ(order_statuses(market(2, "bob", "buy", "1.001", R"(,"tif":"FOK")")),
            (Strings{"2:accepted", "2:cancelled:fok_unfilled"}));
  EXPECT_EQ(trades(market(3, "bob", "buy", "1.000", R"(,"tif":"FOK")")),
            Strings{"100.00 x 1.000 1->3"});
}

TEST_F(OrderTypes, post_only_that_would_take_is_rejected) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "100.00", "1.000", R"(,"post_only":true)");
  EXPECT_EQ(order_statuses(events), Strings{"2:rejected:post_only_would_take"});
  EXPECT_EQ(levels(Side::sell), Strings{"100.00:1.000"});
}

TEST_F(OrderTypes, post_only_that_does_not_cross_rests) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "99.99", "1.000", R"(,"post_only":true)");
  EXPECT_EQ(order_statuses(events), Strings{"2:accepted"});
  EXPECT_EQ(levels(Side::buy), Strings{"99.99:1.000"});
}

TEST_F(OrderTypes, post_only_is_only_for_gtc_limit_orders) {
  EXPECT_EQ(order_statuses(limit(1, "bob", "buy", "99.00", "1.000", R"(,"post_only":true,"tif":"IOC")")),
            Strings{"1:rejected:invalid_post_only"});
  EXPECT_EQ(order_statuses(market(2, "bob", "buy", "1.000", R"(,"post_only":true)")),
            Strings{"2:rejected:invalid_post_only"});
  EXPECT_EQ(order_statuses(limit(3, "bob", "buy", "99.00", "1.000", R"(,"post_only":false,"tif":"IOC")")),
            (Strings{"3:accepted", "3:cancelled:ioc_unfilled"}));
}

TEST_F(OrderTypes, a_sweep_publishes_one_depth_event_listing_each_changed_level_once) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "carol", "sell", "100.00", "1.000");
  limit(3, "alice", "sell", "100.01", "1.000");
  limit(4, "carol", "sell", "100.02", "1.000");
  const auto events = limit(5, "bob", "buy", "100.02", "3.500");
  EXPECT_EQ(depths(events),
            Strings{R"(bids=[] asks=[["100.00","0"],["100.01","0"],["100.02","0.500"]])"});
}

TEST_F(OrderTypes, cancel_removes_the_order_and_reports_the_cancelled_quantity) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "buy", "100.00", "0.250");
  const auto events = cancel(1);
  EXPECT_EQ(order_statuses(events), Strings{"1:cancelled"});
  const auto event = payload(events.front());
  EXPECT_EQ(event.at("filled_qty"), "0.250");
  EXPECT_EQ(event.at("remaining_qty"), "0.750");
  EXPECT_EQ(events.front().channel, "orders.alice");  // the owner, though the cancel named nobody
  EXPECT_EQ(depths(events), Strings{R"(bids=[] asks=[["100.00","0"]])"});
}

TEST_F(OrderTypes, sequences_are_gap_free_per_channel_and_per_symbol) {
  limit(1, "alice", "sell", "100.00", "1.000");
  limit(2, "bob", "sell", "100.01", "1.000");
  const auto sweep = limit(3, "carol", "buy", "100.01", "2.000");
  std::vector<std::uint64_t> trade_seqs, order_payload_seqs;
  std::map<std::string, std::vector<std::uint64_t>> private_seqs;
  for (const auto& e : sweep) {
    if (e.kind == EventKind::trade) {
      trade_seqs.push_back(e.seq);
      EXPECT_EQ(payload(e).at("trade_id").to_number<std::uint64_t>(), e.seq);
    }
    if (e.kind == EventKind::order) {
      order_payload_seqs.push_back(payload(e).at("seq").to_number<std::uint64_t>());
      private_seqs[e.channel].push_back(e.seq);
    }
  }
  EXPECT_EQ(trade_seqs, (std::vector<std::uint64_t>{1, 2}));
  // The symbol's order events: 1, 2 were the two accepts.
  EXPECT_EQ(order_payload_seqs, (std::vector<std::uint64_t>{3, 4, 5, 6}));
  // Each private channel counts its own: alice and bob had their accepts.
  EXPECT_EQ(private_seqs["orders.carol"], (std::vector<std::uint64_t>{1, 2}));  // accepted, filled
  EXPECT_EQ(private_seqs["orders.alice"], (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(private_seqs["orders.bob"], (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(sweep.back().seq, 3u);  // third depth event
  // Another symbol counts from 1 on its own; alice's channel goes on.
  const auto eth = send(R"({"op":"new","id":1,"user":"alice","symbol":"ETH-USDT","side":"buy",)"
                        R"("type":"limit","price":"2000.05","qty":"3"})");
  ASSERT_EQ(eth.size(), 2u);
  EXPECT_EQ(payload(eth[0]).at("seq").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(eth[0].seq, 3u);
  EXPECT_EQ(eth[0].channel, "orders.alice");
  EXPECT_EQ(eth[1].seq, 1u);
  EXPECT_EQ(eth[1].channel, "depth.ETH-USDT");
  EXPECT_EQ(depths(eth), Strings{R"(bids=[["2000.05","3.0"]] asks=[])"});
}

TEST_F(OrderTypes, each_order_event_goes_to_its_owners_channel) {
  limit(1, "alice", "sell", "100.00", "1.000");
  const auto events = limit(2, "bob", "buy", "100.00", "1.000");
  std::vector<std::string> channels;
  for (const auto& e : events) channels.push_back(e.channel);
  EXPECT_EQ(channels, (Strings{"orders.bob", "trades.BTC-USDT", "orders.alice", "orders.bob",
                               "depth.BTC-USDT"}));
  // Market data is keyed by symbol, a private channel by its user.
  const Strings keys = {"bob", "BTC-USDT", "alice", "bob", "BTC-USDT"};
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].key, keys[i]) << events[i].channel;
}

}  // namespace
}  // namespace tickcast::matching::test
