// The engine against ReferenceEngine on the same random orders: every event
// of every order must be identical. About 1,000,000 orders in total over
// several seeds and all three self-trade modes (a tenth of that in builds
// without NDEBUG, where the linear reference would make CI slow).
#include <gtest/gtest.h>

#include "orderflow.hpp"
#include "reference_engine.hpp"
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

#ifdef NDEBUG
constexpr std::size_t kOrdersPerRun = 170'000;
#else
constexpr std::size_t kOrdersPerRun = 17'000;
#endif

std::vector<SymbolSpec> differential_symbols() {
  // BBB has a band of 0.004% = 4 ticks around its last trade (mid ~100000
  // ticks), so band rejections are frequent there.
  return {spec("AAA", "0.01", "0.001"), spec("BBB", "0.5", "1", "0.004"), spec("CCC", "0.0001", "0.01")};
}

// Bends a generated order into the odd cases a real stream also has.
class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : x_(seed * 2654435761u + 1) {}

  void maybe_mutate(Order& o, OrderId recent_id) {
    if (below(100) >= 4) return;
    switch (below(14)) {
      case 0: o.qty = -Qty(below(3)); break;
      case 1: o.price = -Price(below(3)); break;
      case 2: o.id = recent_id; break;  // probably a duplicate
      case 3: o.user = UserId(below(4)); break;  // maybe not the owner
      case 4: o.user = kNoUser; break;
      case 5: o.symbol = 3 + SymbolId(below(2)); break;
      case 6: o.user = 77; break;  // never interned
      case 7: o.qty = std::numeric_limits<Qty>::max() - Qty(below(2)); break;
      case 8: o.price = std::numeric_limits<Price>::max() / Price(1 + below(2)); break;
      case 9: o.post_only = true; break;
      case 10: o.tif = Tif(below(3)); break;
      case 11: o.type = OrderType::market; break;
      case 12: o.price = 0, o.qty = 0; break;
      default: o.op = Op(below(3)); break;
    }
  }

 private:
  std::uint64_t below(std::uint64_t n) {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_ % n;
  }
  std::uint64_t x_;
};

std::string describe(const Order& o) {
  return std::string(to_string(o.op)) + " id=" + std::to_string(o.id) + " sym=" +
         std::to_string(o.symbol) + " u=" + std::to_string(o.user) + " " +
         std::string(to_string(o.side)) + " " + std::string(to_string(o.type)) + " " +
         std::string(to_string(o.tif)) + (o.post_only ? " post_only" : "") +
         " p=" + std::to_string(o.price) + " q=" + std::to_string(o.qty);
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "  " + l + "\n";
  return s;
}

// Runs `count` orders through both; returns how many matched before the
// first difference (== count when all did). Counts trades for the caller.
std::size_t run_differential(std::uint64_t seed, SelfTradePrevention stp, std::size_t count,
                             std::size_t& trade_events) {
  OrderflowOptions options;
  options.symbols = differential_symbols();
  options.seed = seed;
  options.users = 4;
  options.stp = stp;
  options.spread_ticks = 8;  // a small, busy book keeps the linear reference fast
  options.book_depth = 150;
  Orderflow flow(options);

  std::int64_t now = 0;
  EngineConfig config;
  config.symbols = differential_symbols();
  config.stp = stp;
  config.expected_orders_per_symbol = 256;
  config.clock = [&now] { return now; };
  Engine engine(std::move(config));
  for (const auto& user : flow.user_names()) engine.intern_user(user);
  ReferenceEngine reference(differential_symbols(), stp, flow.user_names().size());
  Mutator mutator(seed);

  CanonicalSink actual;
  std::vector<std::string> expected;
  OrderId recent_id = 1;
  for (std::size_t i = 0; i < count; ++i) {
    Order order = flow.next();
    const OrderId id = order.id;
    mutator.maybe_mutate(order, recent_id);
    recent_id = id;
    now = std::int64_t(i);
    actual.lines.clear();
    expected.clear();
    engine.submit(order, actual);
    reference.submit(order, now, expected);
    for (const auto& line : expected) trade_events += line[0] == 'T';
    if (actual.lines != expected) {
      ADD_FAILURE() << "seed " << seed << " stp " << to_string(stp) << ", order #" << i << ": "
                    << describe(order) << "\nengine:\n" << join(actual.lines)
                    << "reference:\n" << join(expected);
      return i;
    }
  }
  return count;
}

class Differential : public ::testing::TestWithParam<SelfTradePrevention> {};

TEST_P(Differential, engine_matches_the_reference_model_event_for_event) {
  for (std::uint64_t seed : {11u, 12u}) {
    std::size_t trades = 0;
    ASSERT_EQ(run_differential(seed, GetParam(), kOrdersPerRun, trades), kOrdersPerRun);
    EXPECT_GT(trades, kOrdersPerRun / 20) << "the stream should trade a lot";
  }
}

INSTANTIATE_TEST_SUITE_P(AllSelfTradeModes, Differential,
                         ::testing::Values(SelfTradePrevention::none,
                                           SelfTradePrevention::cancel_taker,
                                           SelfTradePrevention::cancel_maker),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace tickcast::matching::test
