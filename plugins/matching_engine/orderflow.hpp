#pragma once
// A seeded, realistic order stream for demos, tests and benchmarks.
//
// Per symbol a fair price (the mid) random-walks one tick at a time.
// Passive limit orders land a few ticks from it, most at the touch;
// marketable orders cross it; cancels (mostly of stale quotes far from the
// mid) and modifies pick orders still resting. A handful of users means self-trades happen. The same options
// and seed always give the same stream; no floating point is used (weights
// are integer percentages).
//
// Like a trader who receives his own fills, the generator knows which of
// its orders still rest: it runs every order it emits through a private
// mirror Engine. Without that, cancels would chase filled orders while
// forgotten ones silt up the book and it grows without bound. Set `stp` to
// the real engine's mode for an exact mirror.
//
// Orders come out as Order structs whose `symbol` indexes options.symbols
// and whose `user` indexes user_names(); an Engine built from the same
// symbol list, with those users interned first and in order, uses the same
// ids. Or as JSON, for anything that only speaks the wire format.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine.hpp"
#include "order.hpp"
#include "symbol_spec.hpp"

namespace tickcast::matching {

struct OrderflowMix {
  // Shares of all orders, in percent (weights: they need not sum to 100).
  unsigned limit = 60;       // passive limit adds near the touch
  unsigned cancel = 25;      // cancels of resting orders
  unsigned marketable = 10;  // orders that cross the mid
  unsigned modify = 5;       // new price and/or quantity of a resting order
  // Shares within cancels, in percent: cancels that race a fill and lose,
  // so the engine rejects them (unknown_order), as happens on any exchange.
  unsigned late_cancel = 3;
  // Shares within passive limit adds, in percent.
  unsigned post_only = 10;   // a fifth of them priced to take, so rejected
  unsigned passive_ioc = 2;  // IOC that usually cannot trade
  // Shares within marketable orders, in percent.
  unsigned market = 30;  // type market; the rest are limits through the touch
  unsigned ioc = 25;
  unsigned fok = 15;
};

struct OrderflowOptions {
  std::vector<SymbolSpec> symbols;
  std::uint64_t seed = 1;
  unsigned users = 8;  // named u1..uN
  OrderflowMix mix;
  SelfTradePrevention stp = SelfTradePrevention::none;  // of the mirror engine
  Price start_mid = 100'000;   // ticks, for every symbol
  unsigned spread_ticks = 32;  // passive orders rest 1..spread_ticks from the mid
  Qty max_qty = 10;            // passive sizes are 1..max_qty lots
  // Resting orders per symbol the stream settles around: marketable orders
  // are sized to the book the trader sees (1..3*max_qty lots at this depth,
  // bigger when the book is deeper, smaller when thinner).
  std::size_t book_depth = 1000;
};

class Orderflow {
 public:
  // Throws std::invalid_argument for unusable options.
  explicit Orderflow(OrderflowOptions options);
  ~Orderflow();

  Order next();
  void next_json(std::string& out);  // replaces out's contents
  void to_json(const Order& order, std::string& out) const;

  const std::vector<std::string>& user_names() const noexcept { return users_; }
  const std::vector<SymbolSpec>& symbols() const noexcept { return options_.symbols; }
  // The mirror's view, e.g. to report how deep the generated book is.
  const Engine& mirror() const noexcept { return *mirror_; }

 private:
  struct Resting {
    OrderId id;
    UserId user;
    Side side;
    Price price;
  };
  struct SymbolFlow {
    Price mid;
    std::vector<Resting> resting;  // what the mirror has resting, in no order
    std::unordered_map<OrderId, std::size_t> where;  // id -> index in resting
    Resting last_done{0, 0, Side::buy, 0};  // the latest of its orders to finish
  };
  class Tracker;

  std::uint64_t random() noexcept;                // xoshiro256**
  std::uint64_t below(std::uint64_t n) noexcept;  // uniform in [0, n)
  bool percent(unsigned share) noexcept { return below(100) < share; }
  Price passive_price(const SymbolFlow& flow, Side side) noexcept;
  // Of four random resting orders, the farthest from the mid.
  std::size_t pick_stale(const SymbolFlow& flow) noexcept;

  Order limit_add(SymbolId symbol);
  Order marketable(SymbolId symbol);
  Order cancel(SymbolId symbol);
  Order modify(SymbolId symbol);
  void track(const Order& order);  // after the mirror has processed it
  void forget(SymbolId symbol, OrderId id);

  OrderflowOptions options_;
  std::vector<std::string> users_;
  std::vector<SymbolFlow> flows_;
  std::unique_ptr<Engine> mirror_;
  std::unique_ptr<Tracker> tracker_;
  std::array<std::uint64_t, 4> state_{};
  OrderId next_id_ = 1;
};

}  // namespace tickcast::matching
