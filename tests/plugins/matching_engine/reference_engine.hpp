#pragma once
// A deliberately simple, slow and obviously right model of the engine, for
// the differential test. Each symbol's resting orders are one vector in
// arrival order; every question ("best order?", "does it exist?") is a
// linear scan. Depth events are the difference between the aggregated book
// before and after the order. FOK is decided by matching a copy.
//
// It shares nothing with the engine but the Order and SymbolSpec types, and
// writes events as canonical text lines that CanonicalSink also writes for
// the real engine.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine.hpp"

namespace tickcast::matching::test {

inline std::string canonical_order(SymbolId symbol, std::uint64_t seq, OrderId id, UserId user,
                                   OrderStatus status, Reason reason, Qty filled, Qty remaining,
                                   std::int64_t ts) {
  return "O " + std::to_string(std::int64_t(symbol == kNoSymbol ? -1 : symbol)) + " #" +
         std::to_string(seq) + " id=" + std::to_string(id) + " u=" +
         std::to_string(std::int64_t(user == kNoUser ? -1 : user)) + " " +
         std::string(to_string(status)) + " " + std::string(reason_code(reason)) +
         " f=" + std::to_string(filled) + " r=" + std::to_string(remaining) + " ts=" + std::to_string(ts);
}

inline std::string canonical_trade(SymbolId symbol, std::uint64_t seq, std::uint64_t trade_id,
                                   Price price, Qty qty, Side side, OrderId maker, OrderId taker,
                                   UserId maker_user, UserId taker_user, std::int64_t ts) {
  return "T " + std::to_string(symbol) + " #" + std::to_string(seq) + " tid=" +
         std::to_string(trade_id) + " " + std::to_string(qty) + "@" + std::to_string(price) + " " +
         std::string(to_string(side)) + " " + std::to_string(maker) + "(" +
         std::to_string(maker_user) + ")->" + std::to_string(taker) + "(" +
         std::to_string(taker_user) + ") ts=" + std::to_string(ts);
}

inline std::string canonical_depth(SymbolId symbol, std::uint64_t seq,
                                   const std::vector<DepthLevel>& bids,
                                   const std::vector<DepthLevel>& asks, std::int64_t ts) {
  std::string s = "D " + std::to_string(symbol) + " #" + std::to_string(seq) + " b:";
  for (const auto& l : bids) s += std::to_string(l.price) + "=" + std::to_string(l.qty) + ",";
  s += " a:";
  for (const auto& l : asks) s += std::to_string(l.price) + "=" + std::to_string(l.qty) + ",";
  return s + " ts=" + std::to_string(ts);
}

// The real engine's events in the same text form.
class CanonicalSink final : public EventSink {
 public:
  std::vector<std::string> lines;
  void on_order(const OrderEvent& e) override {
    lines.push_back(canonical_order(e.symbol, e.seq, e.order_id, e.user, e.status, e.reason,
                                    e.filled_qty, e.remaining_qty, e.ts));
  }
  void on_trade(const TradeEvent& e) override {
    lines.push_back(canonical_trade(e.symbol, e.seq, e.trade_id, e.price, e.qty, e.taker_side,
                                    e.maker_order_id, e.taker_order_id, e.maker_user, e.taker_user,
                                    e.ts));
  }
  void on_depth(const DepthEvent& e) override {
    lines.push_back(canonical_depth(e.symbol, e.seq, {e.bids.begin(), e.bids.end()},
                                    {e.asks.begin(), e.asks.end()}, e.ts));
  }
};

class ReferenceEngine {
 public:
  ReferenceEngine(std::vector<SymbolSpec> specs, SelfTradePrevention stp, std::size_t users)
      : stp_(stp), users_(users) {
    for (auto& spec : specs) {
      symbols_.emplace_back();
      symbols_.back().spec = std::move(spec);
    }
  }

  void submit(const Order& o, std::int64_t ts, std::vector<std::string>& out) {
    ts_ = ts;
    out_ = &out;
    if (o.symbol >= symbols_.size()) return reject(nullptr, o, Reason::unknown_symbol);
    Sym& s = symbols_[o.symbol];
    const auto before = aggregate(s);
    if (o.op == Op::add) add(s, o);
    else if (o.op == Op::cancel) cancel(s, o);
    else modify(s, o);
    depth(s, before);
  }

 private:
  struct Resting {
    OrderId id;
    UserId user;
    Side side;
    Price price;
    Qty remaining;
    Qty filled;
    bool post_only;
    std::uint64_t time;
  };
  struct Sym {
    SymbolSpec spec;
    std::vector<Resting> book;
    std::uint64_t order_seq = 0, trade_seq = 0, depth_seq = 0;
    Price reference = 0;
  };
  using Levels = std::map<std::pair<int, Price>, Qty>;

  static bool crosses(Side taker, Price limit, Price maker) {
    return taker == Side::buy ? maker <= limit : maker >= limit;
  }
  Resting* find(Sym& s, OrderId id) {
    for (auto& r : s.book) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }
  Qty level_total(const Sym& s, Side side, Price price) const {
    Qty total = 0;
    for (const auto& r : s.book) {
      if (r.side == side && r.price == price) total += r.remaining;
    }
    return total;
  }
  bool would_take(const Sym& s, Side side, Price price) const {
    for (const auto& r : s.book) {
      if (r.side != side && crosses(side, price, r.price)) return true;
    }
    return false;
  }
  bool in_band(const Sym& s, Price p) const {
    if (!s.spec.has_band() || s.reference == 0) return true;
    const __int128 d = p > s.reference ? p - s.reference : s.reference - p;
    return d * 100 * 10000 <= __int128(s.spec.band_units) * s.reference;
  }
  void order_event(Sym* s, OrderId id, UserId user, OrderStatus st, Reason r, Qty f, Qty rem) {
    const std::uint64_t seq = s ? ++s->order_seq : ++unrouted_seq_;
    out_->push_back(canonical_order(s ? SymbolId(s - symbols_.data()) : kNoSymbol, seq, id, user, st,
                                    r, f, rem, ts_));
  }
  void reject(Sym* s, const Order& o, Reason r) {
    order_event(s, o.id, o.user < users_ ? o.user : kNoUser, OrderStatus::rejected, r, 0, 0);
  }

  // The matching loop, on any book (the real one or a FOK trial copy).
  // Returns false when stopped by cancel_taker self-trade prevention.
  bool match(Sym& s, std::vector<Resting>& book, OrderId id, UserId user, Side side, bool has_limit,
             Price limit, Qty& remaining, Qty& filled, bool emit) {
    while (remaining > 0) {
      Resting* best = nullptr;
      for (auto& r : book) {
        if (r.side == side) continue;
        if (has_limit && !crosses(side, limit, r.price)) continue;
        // For a buyer the lower ask is better, for a seller the higher bid;
        // at equal prices the earlier order.
        const bool better = !best                      ? true
                            : r.price != best->price ? (side == Side::buy ? r.price < best->price
                                                                          : r.price > best->price)
                                                     : r.time < best->time;
        if (better) best = &r;
      }
      if (!best) return true;
      if (stp_ != SelfTradePrevention::none && best->user == user) {
        if (stp_ == SelfTradePrevention::cancel_taker) return false;
        if (emit) {
          order_event(&s, best->id, best->user, OrderStatus::cancelled, Reason::self_trade_prevented,
                      best->filled, best->remaining);
        }
        book.erase(book.begin() + (best - book.data()));
        continue;
      }
      const Qty q = std::min(remaining, best->remaining);
      best->remaining -= q;
      best->filled += q;
      remaining -= q;
      filled += q;
      if (emit) {
        s.reference = best->price;
        ++s.trade_seq;
        out_->push_back(canonical_trade(SymbolId(&s - symbols_.data()), s.trade_seq, s.trade_seq,
                                        best->price, q, side, best->id, id, best->user, user, ts_));
        order_event(&s, best->id, best->user,
                    best->remaining == 0 ? OrderStatus::filled : OrderStatus::partially_filled,
                    Reason::none, best->filled, best->remaining);
      }
      if (best->remaining == 0) book.erase(book.begin() + (best - book.data()));
    }
    return true;
  }

  void take(Sym& s, OrderId id, UserId user, Side side, bool has_limit, Price limit, Qty qty,
            Qty filled, bool may_rest, bool post_only, Reason unfilled) {
    const Qty filled_before = filled;
    Qty remaining = qty;
    const bool ok = match(s, s.book, id, user, side, has_limit, limit, remaining, filled, true);
    if (remaining == 0) {
      order_event(&s, id, user, OrderStatus::filled, Reason::none, filled, 0);
    } else if (!ok) {
      order_event(&s, id, user, OrderStatus::cancelled, Reason::self_trade_prevented, filled, remaining);
    } else if (may_rest) {
      s.book.push_back({id, user, side, limit, remaining, filled, post_only, ++time_});
      if (filled > filled_before) {
        order_event(&s, id, user, OrderStatus::partially_filled, Reason::none, filled, remaining);
      }
    } else {
      order_event(&s, id, user, OrderStatus::cancelled, unfilled, filled, remaining);
    }
  }

  void add(Sym& s, const Order& o) {
    const bool limit = o.type == OrderType::limit;
    if (o.user == kNoUser) return reject(&s, o, Reason::missing_user);
    if (o.user >= users_) return reject(&s, o, Reason::invalid_user);
    if (o.qty <= 0) return reject(&s, o, Reason::qty_not_positive);
    if (o.qty > s.spec.max_qty()) return reject(&s, o, Reason::qty_overflow);
    if (limit && o.price <= 0) return reject(&s, o, Reason::price_not_positive);
    if (limit && o.price > s.spec.max_price()) return reject(&s, o, Reason::price_overflow);
    if (!limit && o.price != 0) return reject(&s, o, Reason::unexpected_price);
    if (o.post_only && (!limit || o.tif != Tif::gtc)) return reject(&s, o, Reason::invalid_post_only);
    if (find(s, o.id)) return reject(&s, o, Reason::duplicate_id);
    if (limit && !in_band(s, o.price)) return reject(&s, o, Reason::price_out_of_band);
    if (limit && o.tif == Tif::gtc && level_total(s, o.side, o.price) > s.spec.max_qty() - o.qty) {
      return reject(&s, o, Reason::qty_overflow);
    }
    if (o.post_only && would_take(s, o.side, o.price)) return reject(&s, o, Reason::post_only_would_take);
    order_event(&s, o.id, o.user, OrderStatus::accepted, Reason::none, 0, o.qty);
    if (o.tif == Tif::fok) {
      std::vector<Resting> trial = s.book;
      Qty remaining = o.qty, filled = 0;
      match(s, trial, o.id, o.user, o.side, limit, o.price, remaining, filled, false);
      if (remaining > 0) {
        return order_event(&s, o.id, o.user, OrderStatus::cancelled, Reason::fok_unfilled, 0, o.qty);
      }
    }
    const Reason unfilled = !limit ? Reason::market_unfilled
                            : o.tif == Tif::ioc ? Reason::ioc_unfilled
                                                : Reason::fok_unfilled;
    take(s, o.id, o.user, o.side, limit, o.price, o.qty, 0, limit && o.tif == Tif::gtc, o.post_only,
         unfilled);
  }

  void cancel(Sym& s, const Order& o) {
    if (o.user != kNoUser && o.user >= users_) return reject(&s, o, Reason::invalid_user);
    Resting* r = find(s, o.id);
    if (!r) return reject(&s, o, Reason::unknown_order);
    if (o.user != kNoUser && o.user != r->user) return reject(&s, o, Reason::user_mismatch);
    order_event(&s, r->id, r->user, OrderStatus::cancelled, Reason::none, r->filled, r->remaining);
    s.book.erase(s.book.begin() + (r - s.book.data()));
  }

  void modify(Sym& s, const Order& o) {
    if (o.user != kNoUser && o.user >= users_) return reject(&s, o, Reason::invalid_user);
    Resting* r = find(s, o.id);
    if (!r) return reject(&s, o, Reason::unknown_order);
    if (o.user != kNoUser && o.user != r->user) return reject(&s, o, Reason::user_mismatch);
    if (o.price == 0 && o.qty == 0) return reject(&s, o, Reason::nothing_to_modify);
    if (o.qty < 0) return reject(&s, o, Reason::qty_not_positive);
    if (o.qty > s.spec.max_qty()) return reject(&s, o, Reason::qty_overflow);
    if (o.price < 0) return reject(&s, o, Reason::price_not_positive);
    if (o.price > s.spec.max_price()) return reject(&s, o, Reason::price_overflow);
    const Price price = o.price ? o.price : r->price;
    const Qty qty = o.qty ? o.qty : r->remaining;
    const bool moves = price != r->price;
    if (r->filled > s.spec.max_qty() - qty) return reject(&s, o, Reason::qty_overflow);
    if (moves && !in_band(s, price)) return reject(&s, o, Reason::price_out_of_band);
    const Qty others = level_total(s, r->side, price) - (moves ? 0 : r->remaining);
    if (others > s.spec.max_qty() - qty) return reject(&s, o, Reason::qty_overflow);
    if (r->post_only && moves && would_take(s, r->side, price)) {
      return reject(&s, o, Reason::post_only_would_take);
    }
    order_event(&s, r->id, r->user, OrderStatus::accepted, Reason::none, r->filled, qty);
    if (!moves && qty <= r->remaining) {
      r->remaining = qty;  // keeps its time
      return;
    }
    const Resting old = *r;
    s.book.erase(s.book.begin() + (r - s.book.data()));
    take(s, old.id, old.user, old.side, true, price, qty, old.filled, true, old.post_only, Reason::none);
  }

  Levels aggregate(const Sym& s) const {
    Levels levels;
    for (const auto& r : s.book) levels[{int(r.side), r.price}] += r.remaining;
    return levels;
  }

  void depth(Sym& s, const Levels& before) {
    const Levels after = aggregate(s);
    std::vector<DepthLevel> bids, asks;
    std::map<std::pair<int, Price>, bool> keys;
    for (const auto& [k, q] : before) keys[k] = true;
    for (const auto& [k, q] : after) keys[k] = true;
    for (const auto& [k, unused] : keys) {
      const auto b = before.find(k);
      const auto a = after.find(k);
      const Qty qb = b == before.end() ? 0 : b->second;
      const Qty qa = a == after.end() ? 0 : a->second;
      if (qa == qb) continue;
      (k.first == int(Side::buy) ? bids : asks).push_back({k.second, qa});
    }
    std::reverse(bids.begin(), bids.end());  // best (highest) bid first
    if (bids.empty() && asks.empty()) return;
    out_->push_back(canonical_depth(SymbolId(&s - symbols_.data()), ++s.depth_seq, bids, asks, ts_));
  }

  SelfTradePrevention stp_;
  std::size_t users_;
  std::vector<Sym> symbols_;
  std::uint64_t unrouted_seq_ = 0;
  std::uint64_t time_ = 0;
  std::int64_t ts_ = 0;
  std::vector<std::string>* out_ = nullptr;
};

}  // namespace tickcast::matching::test
