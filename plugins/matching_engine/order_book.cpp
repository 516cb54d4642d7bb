#include "order_book.hpp"

#include <algorithm>
#include <cassert>

namespace tickcast::matching {
namespace {

// Ordering of one side's prices: a bid is worse when lower, an ask when higher.
constexpr bool worse(Side side, Price a, Price b) noexcept {
  return side == Side::buy ? a < b : a > b;
}

// A taker on `taker_side` limited at `limit` trades against a maker at `price`.
constexpr bool crosses(Side taker_side, Price limit, Price price) noexcept {
  return taker_side == Side::buy ? price <= limit : price >= limit;
}

// Near the touch a linear scan from the back beats a binary search; past
// this many levels the book falls back to one.
constexpr int kLinearScanLevels = 8;

}  // namespace

OrderBook::OrderBook(std::size_t expected_orders) : ids_(expected_orders) {
  orders_.reserve(expected_orders);
  levels_.reserve(std::max<std::size_t>(64, expected_orders / 4));
  for (Ladder& refs : ladders_) refs.reserve(std::max<std::size_t>(64, expected_orders / 8));
  changed_.reserve(256);
}

const RestingOrder* OrderBook::find(OrderId id) const noexcept {
  const std::uint32_t index = ids_.find(id, id_of());
  return index == IdMap::kAbsent ? nullptr : &orders_[index];
}

std::size_t OrderBook::locate(const Ladder& refs, Side side, Price price) const noexcept {
  std::size_t i = refs.size();
  for (int steps = 0; i > 0; ++steps) {
    if (worse(side, refs[i - 1].price, price)) return i;
    if (steps == kLinearScanLevels) {
      auto it = std::partition_point(refs.begin(), refs.begin() + std::ptrdiff_t(i),
                                     [&](const LevelRef& r) { return worse(side, r.price, price); });
      return std::size_t(it - refs.begin());
    }
    --i;
  }
  return 0;
}

Qty OrderBook::level_qty(Side side, Price price) const noexcept {
  const Ladder& refs = ladder(side);
  const std::size_t i = locate(refs, side, price);
  return i < refs.size() && refs[i].price == price ? levels_[refs[i].level].total : 0;
}

bool OrderBook::would_take(Side side, Price limit) const noexcept {
  const Ladder& refs = ladder(opposite(side));
  return !refs.empty() && crosses(side, limit, refs.back().price);
}

Qty OrderBook::fillable(const Taker& taker, SelfTradePrevention stp, Qty needed) const noexcept {
  const Ladder& refs = ladder(opposite(taker.side));
  Qty found = 0;
  for (std::size_t i = refs.size(); i-- > 0 && found < needed;) {
    if (taker.has_limit && !crosses(taker.side, taker.limit, refs[i].price)) break;
    const Level& level = levels_[refs[i].level];
    if (stp == SelfTradePrevention::none) {
      found += std::min(level.total, needed - found);
      continue;
    }
    for (std::uint32_t o = level.head; o != kNil && found < needed; o = orders_[o].next) {
      const RestingOrder& maker = orders_[o];
      if (maker.user == taker.user) {
        if (stp == SelfTradePrevention::cancel_taker) return found;
        continue;  // cancel_maker: this maker would be removed, not traded
      }
      found += std::min(maker.remaining, needed - found);
    }
  }
  return found;
}

MatchEnd OrderBook::match(Taker& taker, SelfTradePrevention stp, MatchListener& listener) {
  const Side maker_side = opposite(taker.side);
  Ladder& refs = ladder(maker_side);
  while (taker.remaining > 0) {
    if (refs.empty()) return MatchEnd::no_more_liquidity;
    const LevelRef ref = refs.back();
    if (taker.has_limit && !crosses(taker.side, taker.limit, ref.price)) {
      return MatchEnd::no_more_liquidity;
    }
    Level& level = levels_[ref.level];
    bool marked = false;
    // Makers always leave from the head: a fill either empties the maker or
    // fills the taker, and a self-trade either removes the maker or stops.
    while (level.head != kNil && taker.remaining > 0) {
      const std::uint32_t index = level.head;
      RestingOrder& maker = orders_[index];
      const bool self_trade = stp != SelfTradePrevention::none && maker.user == taker.user;
      if (self_trade && stp == SelfTradePrevention::cancel_taker) return MatchEnd::self_trade;
      if (!marked) {
        mark_changed(maker_side, ref.price);
        marked = true;
      }
      if (self_trade) {
        listener.on_self_trade_cancel(maker);
        level.total -= maker.remaining;
      } else {
        const Qty qty = std::min(taker.remaining, maker.remaining);
        maker.remaining -= qty;
        maker.filled += qty;
        level.total -= qty;
        taker.remaining -= qty;
        taker.filled += qty;
        listener.on_fill(maker, qty);
        if (maker.remaining > 0) break;
      }
      level.head = maker.next;
      if (level.head != kNil) orders_[level.head].prev = kNil;
      else level.tail = kNil;
      release_order(index);
    }
    if (level.head == kNil) {
      refs.pop_back();
      level.tail = free_level_;
      free_level_ = ref.level;
    }
  }
  return MatchEnd::filled;
}

void OrderBook::add(const RestingOrder& order) {
  Ladder& refs = ladder(order.side);
  const std::size_t pos = locate(refs, order.side, order.price);
  std::uint32_t level_index;
  if (pos < refs.size() && refs[pos].price == order.price) {
    level_index = refs[pos].level;
  } else {
    level_index = allocate_level();
    levels_[level_index] = Level{order.price, 0, kNil, kNil};
    refs.insert(refs.begin() + std::ptrdiff_t(pos), LevelRef{order.price, level_index});
  }
  const std::uint32_t index = allocate_order();
  RestingOrder& slot = orders_[index];
  slot = order;
  slot.level = level_index;
  Level& level = levels_[level_index];
  slot.prev = level.tail;
  slot.next = kNil;
  if (level.tail != kNil) orders_[level.tail].next = index;
  else level.head = index;
  level.tail = index;
  level.total += order.remaining;
  ids_.insert(order.id, index);
  mark_changed(order.side, order.price);
}

RestingOrder OrderBook::remove(OrderId id) {
  const std::uint32_t index = ids_.find(id, id_of());
  assert(index != IdMap::kAbsent);
  const RestingOrder removed = orders_[index];
  unlink(index);
  release_order(index);
  mark_changed(removed.side, removed.price);
  return removed;
}

void OrderBook::reduce(OrderId id, Qty new_remaining) {
  const std::uint32_t index = ids_.find(id, id_of());
  assert(index != IdMap::kAbsent);
  RestingOrder& order = orders_[index];
  levels_[order.level].total -= order.remaining - new_remaining;
  order.remaining = new_remaining;
  mark_changed(order.side, order.price);
}

void OrderBook::unlink(std::uint32_t index) {
  RestingOrder& order = orders_[index];
  Level& level = levels_[order.level];
  if (order.prev != kNil) orders_[order.prev].next = order.next;
  else level.head = order.next;
  if (order.next != kNil) orders_[order.next].prev = order.prev;
  else level.tail = order.prev;
  level.total -= order.remaining;
  if (level.head != kNil) return;
  Ladder& refs = ladder(order.side);
  const std::size_t pos = locate(refs, order.side, order.price);
  refs.erase(refs.begin() + std::ptrdiff_t(pos));
  level.tail = free_level_;
  free_level_ = order.level;
}

std::uint32_t OrderBook::allocate_order() {
  if (free_order_ == kNil) {
    orders_.emplace_back();
    return std::uint32_t(orders_.size() - 1);
  }
  const std::uint32_t index = free_order_;
  free_order_ = orders_[index].next;
  return index;
}

std::uint32_t OrderBook::allocate_level() {
  if (free_level_ == kNil) {
    levels_.emplace_back();
    return std::uint32_t(levels_.size() - 1);
  }
  const std::uint32_t index = free_level_;
  free_level_ = levels_[index].tail;
  return index;
}

void OrderBook::release_order(std::uint32_t index) {
  ids_.erase(orders_[index].id, id_of());
  orders_[index].next = free_order_;
  free_order_ = index;
}

void OrderBook::take_depth_changes(std::vector<DepthLevel>& bids, std::vector<DepthLevel>& asks) {
  bids.clear();
  asks.clear();
  if (changed_.size() > 1) {
    std::sort(changed_.begin(), changed_.end(), [](const Changed& a, const Changed& b) {
      if (a.side != b.side) return a.side == Side::buy;
      return worse(a.side, b.price, a.price);  // best first
    });
  }
  for (std::size_t i = 0; i < changed_.size(); ++i) {
    const Changed& c = changed_[i];
    if (i > 0 && c.side == changed_[i - 1].side && c.price == changed_[i - 1].price) continue;
    (c.side == Side::buy ? bids : asks).push_back({c.price, level_qty(c.side, c.price)});
  }
  changed_.clear();
}

void OrderBook::clear() {
  orders_.clear();
  levels_.clear();
  free_order_ = kNil;
  free_level_ = kNil;
  for (Ladder& refs : ladders_) refs.clear();
  ids_.clear();
  changed_.clear();
}

}  // namespace tickcast::matching
