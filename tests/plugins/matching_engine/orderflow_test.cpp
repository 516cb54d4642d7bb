// The order stream generator: seeded, shaped as configured, and valid.
#include "orderflow.hpp"

#include <gtest/gtest.h>

#include <map>

#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

OrderflowOptions options(std::uint64_t seed) {
  OrderflowOptions o;
  o.symbols = {spec("BTC-USDT", "0.01", "0.001"), spec("ETH-USDT", "0.05", "1")};
  o.seed = seed;
  return o;
}

TEST(Orderflow, the_same_seed_gives_the_same_stream_and_another_seed_another) {
  Orderflow a(options(1)), b(options(1)), c(options(2));
  std::string ja, jb, jc;
  bool differs = false;
  for (int i = 0; i < 10'000; ++i) {
    a.next_json(ja);
    b.next_json(jb);
    c.next_json(jc);
    ASSERT_EQ(ja, jb);
    differs |= ja != jc;
  }
  EXPECT_TRUE(differs);
}

TEST(Orderflow, default_mix_is_70_percent_new_orders_25_cancels_5_modifies) {
  // New orders are the 60% passive adds plus the 10% marketable ones.
  Orderflow flow(options(5));
  std::size_t adds = 0, cancels = 0, modifies = 0;
  constexpr std::size_t kCount = 200'000;
  for (std::size_t i = 0; i < kCount; ++i) {
    const Order o = flow.next();
    if (o.op == Op::cancel) ++cancels;
    else if (o.op == Op::modify) ++modifies;
    else ++adds;
  }
  EXPECT_NEAR(double(adds) / kCount, 0.70, 0.01);
  EXPECT_NEAR(double(cancels) / kCount, 0.25, 0.01);
  EXPECT_NEAR(double(modifies) / kCount, 0.05, 0.005);
}

TEST(Orderflow, json_form_decodes_back_to_the_same_order) {
  EngineConfig config;
  config.symbols = options(1).symbols;
  Engine engine(std::move(config));
  Orderflow flow(options(8));
  for (const auto& user : flow.user_names()) engine.intern_user(user);
  OrderDecoder decoder(engine);
  std::string json;
  for (int i = 0; i < 50'000; ++i) {
    const Order o = flow.next();
    flow.to_json(o, json);
    const DecodeResult r = decoder.decode(json);
    ASSERT_TRUE(r.ok) << json << ": " << reason_code(r.rejection.reason);
    EXPECT_EQ(r.order.op, o.op);
    EXPECT_EQ(r.order.id, o.id);
    EXPECT_EQ(r.order.symbol, o.symbol);
    EXPECT_EQ(r.order.user, o.user);
    EXPECT_EQ(r.order.price, o.price);
    EXPECT_EQ(r.order.qty, o.qty);
    if (o.op == Op::add) {
      EXPECT_EQ(r.order.side, o.side);
      EXPECT_EQ(r.order.type, o.type);
      EXPECT_EQ(r.order.tif, o.tif);
      EXPECT_EQ(r.order.post_only, o.post_only);
    }
  }
}

// Runs the stream through an engine and counts what happened.
TEST(Orderflow, exercises_every_order_type_self_trades_and_rejections) {
  OrderflowOptions o = options(4);
  o.users = 4;
  Orderflow flow(o);
  EngineConfig config;
  config.symbols = o.symbols;
  Engine engine(std::move(config));
  for (const auto& user : flow.user_names()) engine.intern_user(user);

  struct Counter final : EventSink {
    std::map<std::string, std::size_t> seen;
    void on_order(const OrderEvent& e) override {
      ++seen[std::string(to_string(e.status)) + ":" + std::string(reason_code(e.reason))];
    }
    void on_trade(const TradeEvent& e) override {
      ++seen["trade"];
      if (e.maker_user == e.taker_user) ++seen["self_trade"];
    }
    void on_depth(const DepthEvent&) override { ++seen["depth"]; }
  } counter;
  std::size_t post_only = 0, ioc = 0, fok = 0, market = 0;
  for (int i = 0; i < 100'000; ++i) {
    const Order order = flow.next();
    post_only += order.post_only;
    ioc += order.tif == Tif::ioc;
    fok += order.tif == Tif::fok;
    market += order.type == OrderType::market;
    engine.submit(order, counter);
  }
  EXPECT_GT(post_only, 1000u);
  EXPECT_GT(ioc, 1000u);
  EXPECT_GT(fok, 500u);
  EXPECT_GT(market, 1000u);
  for (const char* what : {"trade", "self_trade", "filled:", "partially_filled:", "cancelled:",
                           "cancelled:ioc_unfilled", "cancelled:fok_unfilled", "rejected:unknown_order",
                           "rejected:post_only_would_take"}) {
    EXPECT_GT(counter.seen[what], 100u) << what;
  }
  // The book stays small: cancels and fills keep up with adds.
  for (SymbolId s = 0; s < 2; ++s) EXPECT_LT(engine.book(s).order_count(), 5000u);
}

TEST(Orderflow, bad_options_are_refused) {
  OrderflowOptions o = options(1);
  o.symbols.clear();
  EXPECT_THROW(Orderflow{o}, std::invalid_argument);
  o = options(1);
  o.spread_ticks = 0;
  EXPECT_THROW(Orderflow{o}, std::invalid_argument);
}

}  // namespace
}  // namespace tickcast::matching::test
