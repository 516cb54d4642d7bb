// Every reason the engine rejects an order, and that a rejection never
// stops it.
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

using Strings = std::vector<std::string>;

std::string reason_of(const std::vector<EncodedEvent>& events) {
  EXPECT_EQ(events.size(), 1u);
  const auto p = payload(events.front());
  EXPECT_EQ(p.at("status"), "rejected");
  return std::string(p.at("reason").as_string());
}

class Rejects : public EngineTest {
 protected:
  // Submits an Order struct directly, bypassing the codec.
  std::vector<EncodedEvent> submit(const Order& order) {
    Recorder recorder;
    EventEncoder encoder(engine);
    struct Forward : EventSink {
      Recorder* r;
      EventEncoder* e;
      EncodedEvent scratch;
      void on_order(const OrderEvent& ev) override { e->encode(ev, scratch), r->on_event(scratch); }
      void on_trade(const TradeEvent& ev) override { e->encode(ev, scratch), r->on_event(scratch); }
      void on_depth(const DepthEvent& ev) override { e->encode(ev, scratch), r->on_event(scratch); }
    } forward;
    forward.r = &recorder;
    forward.e = &encoder;
    engine.submit(order, forward);
    return std::move(recorder.events);
  }
  Order btc_limit(OrderId id, Price price, Qty qty) {
    Order order;
    order.symbol = 0;
    order.user = engine.intern_user("alice");
    order.id = id;
    order.price = price;
    order.qty = qty;
    return order;
  }
};

TEST_F(Rejects, unknown_symbol_is_rejected_to_the_user_with_an_empty_symbol) {
  const auto events = send(R"({"op":"new","id":5,"user":"alice","symbol":"DOGE-USDT","side":"buy",)"
                           R"("type":"limit","price":"1.00","qty":"1.000"})");
  EXPECT_EQ(reason_of(events), "unknown_symbol");
  EXPECT_EQ(events.front().channel, "orders.alice");
  EXPECT_EQ(events.front().key, "alice");  // a private channel is keyed by its user
  EXPECT_EQ(payload(events.front()).at("symbol"), "");
  EXPECT_EQ(payload(events.front()).at("order_id"), 5);
}

TEST_F(Rejects, unknown_symbol_id_in_an_order_struct_is_rejected) {
  Order order = btc_limit(1, 100, 1);
  order.symbol = 7;
  EXPECT_EQ(reason_of(submit(order)), "unknown_symbol");
}

TEST_F(Rejects, price_off_tick_is_rejected) {
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "100.005", "1.000")), "price_off_tick");
  const auto eth = send(R"({"op":"new","id":1,"user":"alice","symbol":"ETH-USDT","side":"buy",)"
                        R"("type":"limit","price":"2000.01","qty":"1"})");
  EXPECT_EQ(reason_of(eth), "price_off_tick");  // tick 0.05
}

TEST_F(Rejects, qty_off_lot_is_rejected) {
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "100.00", "0.0005")), "qty_off_lot");
  const auto eth = send(R"({"op":"new","id":1,"user":"alice","symbol":"ETH-USDT","side":"buy",)"
                        R"("type":"limit","price":"2000.05","qty":"0.7"})");
  EXPECT_EQ(reason_of(eth), "qty_off_lot");  // lot 0.5
}

TEST_F(Rejects, zero_or_negative_price_and_quantity_are_rejected) {
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "0", "1.000")), "price_not_positive");
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "0.00", "1.000")), "price_not_positive");
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "-1.00", "1.000")), "price_not_positive");
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "1.00", "0")), "qty_not_positive");
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "1.00", "-0.001")), "qty_not_positive");
  EXPECT_EQ(reason_of(submit(btc_limit(1, -5, 1))), "price_not_positive");
  EXPECT_EQ(reason_of(submit(btc_limit(1, 100, 0))), "qty_not_positive");
}

TEST_F(Rejects, overflowing_price_and_quantity_are_rejected) {
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "92233720368547758.08", "1.000")), "price_overflow");
  EXPECT_EQ(reason_of(limit(1, "alice", "buy", "1.00", "9223372036854775.808")), "qty_overflow");
  // ETH-USDT's tick and lot are 5 units, so the limits sit below INT64_MAX.
  const SymbolSpec& eth = engine.symbol(1);
  Order order = btc_limit(1, eth.max_price() + 1, 1);
  order.symbol = 1;
  EXPECT_EQ(reason_of(submit(order)), "price_overflow");
  order.price = 100;
  order.qty = eth.max_qty() + 1;
  EXPECT_EQ(reason_of(submit(order)), "qty_overflow");
}

TEST_F(Rejects, the_largest_representable_values_are_accepted) {
  EXPECT_EQ(order_statuses(limit(1, "alice", "buy", "92233720368547758.07", "9223372036854775.807")),
            Strings{"1:accepted"});
}

TEST_F(Rejects, a_level_whose_total_would_overflow_rejects_the_order) {
  limit(1, "alice", "buy", "100.00", "9223372036854775.000");
  EXPECT_EQ(reason_of(limit(2, "bob", "buy", "100.00", "1.000")), "qty_overflow");
  EXPECT_EQ(order_statuses(limit(3, "bob", "buy", "99.99", "1.000")), Strings{"3:accepted"});
}

TEST_F(Rejects, market_order_with_a_price_is_rejected) {
  EXPECT_EQ(reason_of(market(1, "alice", "buy", "1.000", R"(,"price":"100.00")")), "unexpected_price");
  Order order = btc_limit(2, 100, 1);
  order.type = OrderType::market;
  EXPECT_EQ(reason_of(submit(order)), "unexpected_price");
}

TEST_F(Rejects, duplicate_id_of_a_resting_order_is_rejected) {
  limit(1, "alice", "buy", "100.00", "1.000");
  EXPECT_EQ(reason_of(limit(1, "bob", "sell", "101.00", "1.000")), "duplicate_id");
  EXPECT_EQ(levels(Side::sell), Strings{});
}

TEST_F(Rejects, id_of_a_finished_order_may_be_used_again) {
  limit(1, "alice", "buy", "100.00", "1.000");
  cancel(1);
  EXPECT_EQ(order_statuses(limit(1, "alice", "buy", "100.00", "1.000")), Strings{"1:accepted"});
}

TEST_F(Rejects, same_id_on_another_symbol_is_not_a_duplicate) {
  limit(1, "alice", "buy", "100.00", "1.000");
  const auto eth = send(R"({"op":"new","id":1,"user":"alice","symbol":"ETH-USDT","side":"buy",)"
                        R"("type":"limit","price":"2000.05","qty":"1"})");
  EXPECT_EQ(order_statuses(eth), Strings{"1:accepted"});
}

TEST_F(Rejects, cancel_of_an_unknown_id_is_rejected_to_orders_unknown_when_no_user_is_named) {
  const auto events = cancel(77);
  EXPECT_EQ(reason_of(events), "unknown_order");
  EXPECT_EQ(events.front().channel, "orders.unknown");
  EXPECT_EQ(events.front().key, "unknown");
}

TEST_F(Rejects, cancel_by_another_user_is_rejected) {
  limit(1, "alice", "buy", "100.00", "1.000");
  const auto events = send(R"({"op":"cancel","id":1,"symbol":"BTC-USDT","user":"bob"})");
  EXPECT_EQ(reason_of(events), "user_mismatch");
  EXPECT_EQ(events.front().channel, "orders.bob");
  EXPECT_EQ(levels(Side::buy), Strings{"100.00:1.000"});
}

TEST_F(Rejects, missing_user_on_a_new_order_struct_is_rejected) {
  Order order = btc_limit(1, 100, 1);
  order.user = kNoUser;
  EXPECT_EQ(reason_of(submit(order)), "missing_user");
  order.user = 999;
  EXPECT_EQ(reason_of(submit(order)), "invalid_user");
}

TEST_F(Rejects, out_of_range_enums_in_an_order_struct_are_rejected) {
  Order order = btc_limit(1, 100, 1);
  order.side = Side(7);
  EXPECT_EQ(reason_of(submit(order)), "invalid_side");
  order = btc_limit(1, 100, 1);
  order.type = OrderType(7);
  EXPECT_EQ(reason_of(submit(order)), "invalid_type");
  order = btc_limit(1, 100, 1);
  order.tif = Tif(7);
  EXPECT_EQ(reason_of(submit(order)), "invalid_tif");
  order = btc_limit(1, 100, 1);
  order.op = Op(7);
  EXPECT_EQ(reason_of(submit(order)), "invalid_op");
}

TEST_F(Rejects, malformed_json_is_rejected_to_orders_unknown) {
  const auto events = send(R"({"op":"new",)");
  EXPECT_EQ(reason_of(events), "malformed_json");
  EXPECT_EQ(events.front().channel, "orders.unknown");
  EXPECT_EQ(events.front().key, "unknown");
  EXPECT_EQ(events.front().payload,
            R"({"type":"order","symbol":"","seq":1,"order_id":0,"user":"","status":"rejected",)"
            R"("filled_qty":"0","remaining_qty":"0","reason":"malformed_json","ts":1000})");
}

TEST_F(Rejects, rejections_never_stop_the_engine_and_leave_no_gaps) {
  std::vector<std::uint64_t> seqs;
  for (const auto& json : {std::string("garbage"), std::string(R"({"op":"new"})"),
                           std::string(R"({"op":"cancel","id":3,"symbol":"BTC-USDT"})")}) {
    for (const auto& e : send(json)) seqs.push_back(e.seq);
  }
  for (const auto& e : limit(1, "alice", "buy", "100.00", "1.000")) seqs.push_back(e.seq);
  // orders.unknown: 1, 2, 3 (the cancel named no user). orders.alice: 1. Depth: 1.
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 1, 1}));
  EXPECT_EQ(levels(Side::buy), Strings{"100.00:1.000"});
}

class Band : public EngineTest {
 protected:
  Band() : EngineTest(test_config(SelfTradePrevention::none, "10")) {}
};

TEST_F(Band, there_is_no_band_check_before_the_first_trade) {
  EXPECT_EQ(order_statuses(limit(1, "alice", "sell", "100.00", "1.000")), Strings{"1:accepted"});
  EXPECT_EQ(order_statuses(limit(2, "alice", "sell", "5000.00", "1.000")), Strings{"2:accepted"});
}

TEST_F(Band, prices_beyond_the_band_around_the_last_trade_are_rejected) {
  limit(1, "alice", "sell", "100.00", "1.000");
  market(2, "bob", "buy", "0.500");  // last trade 100.00: band 90.00 .. 110.00
  EXPECT_EQ(engine.reference_price(0), 10000);
  EXPECT_EQ(order_statuses(limit(3, "bob", "sell", "110.00", "1.000")), Strings{"3:accepted"});
  EXPECT_EQ(order_statuses(limit(4, "bob", "buy", "90.00", "1.000")), Strings{"4:accepted"});
  EXPECT_EQ(reason_of(limit(5, "bob", "sell", "110.01", "1.000")), "price_out_of_band");
  EXPECT_EQ(reason_of(limit(6, "bob", "buy", "89.99", "1.000")), "price_out_of_band");
  EXPECT_EQ(reason_of(modify(4, R"("price":"89.99")")), "price_out_of_band");
  EXPECT_EQ(levels(Side::buy), Strings{"90.00:1.000"});
}

TEST_F(Band, market_orders_are_not_band_checked) {
  limit(1, "alice", "sell", "100.00", "1.000");
  market(2, "bob", "buy", "0.500");
  EXPECT_EQ(order_statuses(market(3, "bob", "buy", "0.500")),
            (Strings{"3:accepted", "1:filled", "3:filled"}));
}

}  // namespace
}  // namespace tickcast::matching::test
