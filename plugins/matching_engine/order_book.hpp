#pragma once
// One symbol's limit order book: the data structure and the matching loop.
// It knows nothing of sequences, events or validation; the Engine does.
//
// Layout, chosen for a book whose activity sits near the touch:
// - orders live in one preallocated pool, linked per price level into an
//   intrusive FIFO (prev/next indices), so cancel and modify are O(1) after
//   the id lookup (IdMap, open addressing);
// - levels live in a second pool; each side keeps a sorted array of
//   {price, level} with the best price at the back, so matching pops from
//   the back and adding, finding or removing a level near the touch scans a
//   few entries from the back (far levels fall back to a binary search).
// Pools grow by doubling when exhausted; a warmed-up book does not allocate.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "events.hpp"
#include "id_map.hpp"
#include "order.hpp"

namespace tickcast::matching {

enum class SelfTradePrevention : std::uint8_t { none, cancel_taker, cancel_maker };

inline constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

struct RestingOrder {
  OrderId id = 0;
  Price price = 0;
  Qty remaining = 0;
  Qty filled = 0;
  UserId user = 0;
  Side side = Side::buy;
  bool post_only = false;
  std::uint32_t level = kNil;
  std::uint32_t prev = kNil;
  std::uint32_t next = kNil;  // also links the free list
};

// The incoming side of a match. `filled` and `remaining` are updated.
struct Taker {
  OrderId id = 0;
  UserId user = 0;
  Side side = Side::buy;
  bool has_limit = true;  // false for market orders
  Price limit = 0;
  Qty remaining = 0;
  Qty filled = 0;
};

enum class MatchEnd : std::uint8_t { filled, no_more_liquidity, self_trade };

class MatchListener {
 public:
  virtual ~MatchListener() = default;
  // Called after the maker was charged `qty`, before it leaves the book.
  virtual void on_fill(const RestingOrder& maker, Qty qty) = 0;
  // Called before a maker is removed by cancel_maker self-trade prevention.
  virtual void on_self_trade_cancel(const RestingOrder& maker) = 0;
};

class OrderBook {
 public:
  explicit OrderBook(std::size_t expected_orders = 1024);

  // --- queries ---
  const RestingOrder* find(OrderId id) const noexcept;
  std::size_t order_count() const noexcept { return ids_.size(); }
  bool empty(Side side) const noexcept { return ladder(side).empty(); }
  Price best_price(Side side) const noexcept { return ladder(side).back().price; }  // !empty(side)
  std::size_t level_count(Side side) const noexcept { return ladder(side).size(); }
  Qty level_qty(Side side, Price price) const noexcept;

  // True when a taker on `side` limited at `limit` would trade now.
  bool would_take(Side side, Price limit) const noexcept;

  // How much of `needed` a taker could fill now (for FOK), honouring the
  // self-trade rule the real match would apply. Never more than `needed`.
  Qty fillable(const Taker& taker, SelfTradePrevention stp, Qty needed) const noexcept;

  // Levels best first: fn(Price, Qty total).
  template <class Fn>
  void for_each_level(Side side, Fn&& fn) const {
    const auto& refs = ladder(side);
    for (std::size_t i = refs.size(); i-- > 0;) fn(refs[i].price, levels_[refs[i].level].total);
  }

  // Orders in priority order (best level first, FIFO within it).
  template <class Fn>
  void for_each_order(Side side, Fn&& fn) const {
    const auto& refs = ladder(side);
    for (std::size_t i = refs.size(); i-- > 0;) {
      for (std::uint32_t o = levels_[refs[i].level].head; o != kNil; o = orders_[o].next) {
        fn(orders_[o]);
      }
    }
  }

  // --- changes ---
  // Matches the taker against the opposite side until it is filled, runs out
  // of crossing liquidity or meets itself under cancel_taker.
  MatchEnd match(Taker& taker, SelfTradePrevention stp, MatchListener& listener);

  // Appends an order at the back of its price level (lowest priority there).
  // The id must not be in the book.
  void add(const RestingOrder& order);

  // Removes a resting order and returns it as it was. The id must be in the book.
  RestingOrder remove(OrderId id);

  // Lowers an order's open quantity in place, keeping its time priority.
  void reduce(OrderId id, Qty new_remaining);

  // Hands out every level changed since the last call with its current
  // total (0 = gone), each once, best first; and forgets them.
  void take_depth_changes(std::vector<DepthLevel>& bids, std::vector<DepthLevel>& asks);
  bool has_depth_changes() const noexcept { return !changed_.empty(); }
  void forget_depth_changes() noexcept { changed_.clear(); }

  void clear();

 private:
  struct Level {
    Price price = 0;
    Qty total = 0;
    std::uint32_t head = kNil;
    std::uint32_t tail = kNil;  // also links the free list
  };
  struct LevelRef {
    Price price;
    std::uint32_t level;
  };
  struct Changed {
    Price price;
    Side side;
  };
  using Ladder = std::vector<LevelRef>;  // worst price first, best at the back

  const Ladder& ladder(Side side) const noexcept { return ladders_[side == Side::buy ? 0 : 1]; }
  Ladder& ladder(Side side) noexcept { return ladders_[side == Side::buy ? 0 : 1]; }

  // Index of the level with `price`, or where it would be inserted.
  std::size_t locate(const Ladder& refs, Side side, Price price) const noexcept;

  // How the id map reads an entry's id back from the pool.
  auto id_of() const noexcept {
    return [this](std::uint32_t index) { return orders_[index].id; };
  }
  std::uint32_t allocate_order();
  std::uint32_t allocate_level();
  void unlink(std::uint32_t index);  // from its level; frees an emptied level
  void release_order(std::uint32_t index);
  void mark_changed(Side side, Price price) { changed_.push_back({price, side}); }

  std::vector<RestingOrder> orders_;
  std::vector<Level> levels_;
  std::uint32_t free_order_ = kNil;
  std::uint32_t free_level_ = kNil;
  Ladder ladders_[2];
  IdMap ids_;
  std::vector<Changed> changed_;
};

}  // namespace tickcast::matching
