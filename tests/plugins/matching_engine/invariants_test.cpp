// Fuzz-style: after every order of a long random stream, the book is not
// crossed, depth events rebuild it exactly, every order's quantity is
// accounted for, and every channel's sequence has no gap.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <unordered_map>

#include "orderflow.hpp"
#include "test_support.hpp"

namespace tickcast::matching::test {
namespace {

#ifdef NDEBUG
constexpr std::size_t kOrders = 200'000;
#else
constexpr std::size_t kOrders = 20'000;
#endif

// Watches the event stream and keeps what the invariants need.
class InvariantChecker final : public EventSink {
 public:
  explicit InvariantChecker(std::size_t symbols)
      : rebuilt(symbols), order_seq(symbols), trade_seq(symbols), depth_seq(symbols) {}

  struct Account {
    Qty submitted = 0;  // accepted quantity, adjusted by modifies
    Qty filled = 0;     // from trades
    Qty cancelled = 0;  // from cancelled events
    Qty reported_filled = 0;
  };

  void on_order(const OrderEvent& e) override {
    ASSERT_NE(e.symbol, kNoSymbol);
    ASSERT_EQ(e.seq, ++order_seq[e.symbol]);
    Account& a = accounts[key(e.symbol, e.order_id)];
    touched.push_back(key(e.symbol, e.order_id));
    switch (e.status) {
      case OrderStatus::accepted: {
        // New: submitted = qty. Modify: the open quantity becomes remaining_qty.
        const Qty open_before = a.submitted - a.filled - a.cancelled;
        a.submitted += e.remaining_qty - open_before;
        break;
      }
      case OrderStatus::cancelled: a.cancelled += e.remaining_qty; break;
      default: break;
    }
    if (e.status != OrderStatus::rejected) a.reported_filled = e.filled_qty;
  }
  void on_trade(const TradeEvent& e) override {
    ASSERT_EQ(e.seq, ++trade_seq[e.symbol]);
    ASSERT_EQ(e.trade_id, e.seq);
    ASSERT_GT(e.qty, 0);
    accounts[key(e.symbol, e.maker_order_id)].filled += e.qty;
    accounts[key(e.symbol, e.taker_order_id)].filled += e.qty;
  }
  void on_depth(const DepthEvent& e) override {
    ASSERT_EQ(e.seq, ++depth_seq[e.symbol]);
    ASSERT_FALSE(e.bids.empty() && e.asks.empty());
    for (Side side : {Side::buy, Side::sell}) {
      auto& levels = rebuilt[e.symbol][int(side)];
      for (const DepthLevel& l : side == Side::buy ? e.bids : e.asks) {
        if (l.qty == 0) levels.erase(l.price);
        else levels[l.price] = l.qty;
      }
    }
  }

  static std::uint64_t key(SymbolId symbol, OrderId id) { return id * 16 + symbol; }

  std::vector<std::array<std::map<Price, Qty>, 2>> rebuilt;
  std::vector<std::uint64_t> order_seq, trade_seq, depth_seq;
  std::unordered_map<std::uint64_t, Account> accounts;
  std::vector<std::uint64_t> touched;
};

void check_book(const Engine& engine, SymbolId symbol, const InvariantChecker& checker,
                std::size_t index) {
  const OrderBook& book = engine.book(symbol);
  if (!book.empty(Side::buy) && !book.empty(Side::sell)) {
    ASSERT_LT(book.best_price(Side::buy), book.best_price(Side::sell))
        << "crossed book after order #" << index;
  }
  for (Side side : {Side::buy, Side::sell}) {
    std::map<Price, Qty> actual;
    book.for_each_level(side, [&](Price p, Qty q) { actual[p] = q; });
    ASSERT_EQ(actual, checker.rebuilt[symbol][int(side)])
        << "depth events do not rebuild the " << to_string(side) << " side after order #" << index;
  }
}

class Invariants : public ::testing::TestWithParam<SelfTradePrevention> {};

TEST_P(Invariants, hold_after_every_order_of_a_random_stream) {
  OrderflowOptions options;
  options.symbols = {spec("AAA", "0.01", "0.001"), spec("BBB", "0.5", "1", "0.01")};
  options.seed = 7 + std::uint64_t(GetParam());
  options.users = 3;
  Orderflow flow(options);
  EngineConfig config;
  config.symbols = options.symbols;
  config.stp = GetParam();
  config.clock = [] { return std::int64_t(0); };
  Engine engine(std::move(config));
  for (const auto& user : flow.user_names()) engine.intern_user(user);

  InvariantChecker checker(options.symbols.size());
  for (std::size_t i = 0; i < kOrders; ++i) {
    const Order order = flow.next();
    checker.touched.clear();
    engine.submit(order, checker);
    ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "at order #" << i;
    check_book(engine, order.symbol, checker, i);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    // Quantity conservation for every order this one touched:
    // filled + resting + cancelled == submitted.
    for (const std::uint64_t k : checker.touched) {
      auto it = checker.accounts.find(k);
      if (it == checker.accounts.end()) continue;  // already checked and finished
      const auto& a = it->second;
      const RestingOrder* resting = engine.book(SymbolId(k % 16)).find(k / 16);
      const Qty open = resting ? resting->remaining : 0;
      ASSERT_EQ(a.filled + open + a.cancelled, a.submitted)
          << "order " << k / 16 << " after order #" << i;
      ASSERT_EQ(a.reported_filled, a.filled) << "order " << k / 16 << " after order #" << i;
      if (!resting) checker.accounts.erase(it);  // finished: its id may come back
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllSelfTradeModes, Invariants,
                         ::testing::Values(SelfTradePrevention::none,
                                           SelfTradePrevention::cancel_taker,
                                           SelfTradePrevention::cancel_maker),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace tickcast::matching::test
