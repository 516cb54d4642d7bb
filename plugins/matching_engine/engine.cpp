#include "engine.hpp"

#include <chrono>
#include <stdexcept>

#include "decimal.hpp"

namespace tickcast::matching {

// Turns the book's fill callbacks into trade and maker order events.
class Engine::FillEmitter final : public MatchListener {
 public:
  FillEmitter(Engine& engine, SymbolState& state, const Taker& taker, EventSink& sink)
      : engine_(engine), state_(state), taker_(taker), sink_(sink) {}

  void on_fill(const RestingOrder& maker, Qty qty) override {
    state_.reference = maker.price;
    TradeEvent trade;
    trade.symbol = state_.id;
    trade.seq = ++state_.trade_seq;
    trade.trade_id = trade.seq;
    trade.price = maker.price;
    trade.qty = qty;
    trade.taker_side = taker_.side;
    trade.maker_order_id = maker.id;
    trade.taker_order_id = taker_.id;
    trade.maker_user = maker.user;
    trade.taker_user = taker_.user;
    trade.ts = engine_.now_;
    sink_.on_trade(trade);
    const auto status = maker.remaining == 0 ? OrderStatus::filled : OrderStatus::partially_filled;
    engine_.emit_order(&state_, maker.id, maker.user, status, Reason::none, maker.filled,
                       maker.remaining, sink_);
  }

  void on_self_trade_cancel(const RestingOrder& maker) override {
    engine_.emit_order(&state_, maker.id, maker.user, OrderStatus::cancelled,
                       Reason::self_trade_prevented, maker.filled, maker.remaining, sink_);
  }

 private:
  Engine& engine_;
  SymbolState& state_;
  const Taker& taker_;
  EventSink& sink_;
};

std::int64_t system_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<SelfTradePrevention> parse_self_trade_prevention(std::string_view text) noexcept {
  if (text == "none") return SelfTradePrevention::none;
  if (text == "cancel_taker") return SelfTradePrevention::cancel_taker;
  if (text == "cancel_maker") return SelfTradePrevention::cancel_maker;
  return std::nullopt;
}

std::string_view to_string(SelfTradePrevention stp) noexcept {
  switch (stp) {
    case SelfTradePrevention::none: return "none";
    case SelfTradePrevention::cancel_taker: return "cancel_taker";
    case SelfTradePrevention::cancel_maker: return "cancel_maker";
  }
  return "unknown";
}

Engine::Engine(EngineConfig config)
    : stp_(config.stp),
      expected_orders_(config.expected_orders_per_symbol),
      clock_(config.clock ? std::move(config.clock) : Clock(system_clock_ns)) {
  if (config.symbols.empty()) throw std::invalid_argument("matching engine: no symbols configured");
  for (SymbolSpec& spec : config.symbols) {
    // Specs normally come from make_symbol_spec; a hand-built one is checked
    // here, since a zero tick would divide by zero later.
    if (!is_valid_symbol_name(spec.name) || spec.tick_units <= 0 || spec.lot_units <= 0 ||
        spec.price_scale < 0 || spec.price_scale > kMaxScale || spec.qty_scale < 0 ||
        spec.qty_scale > kMaxScale || spec.band_units < 0) {
      throw std::invalid_argument("matching engine: symbol \"" + spec.name +
                                  "\" has an invalid spec (build it with make_symbol_spec)");
    }
    const auto id = SymbolId(symbols_.size());
    if (!symbol_ids_.emplace(spec.name, id).second) {
      throw std::invalid_argument("matching engine: symbol \"" + spec.name + "\" configured twice");
    }
    symbols_.push_back(std::make_unique<SymbolState>(id, std::move(spec), expected_orders_));
  }
  depth_bids_.reserve(256);
  depth_asks_.reserve(256);
}

Engine::~Engine() = default;

SymbolId Engine::find_symbol(std::string_view name) const noexcept {
  const auto it = symbol_ids_.find(name);
  return it == symbol_ids_.end() ? kNoSymbol : it->second;
}

UserId Engine::intern_user(std::string_view name) {
  if (const auto it = user_ids_.find(name); it != user_ids_.end()) return it->second;
  if (!is_valid_user_name(name)) return kNoUser;
  const auto id = UserId(users_.size());
  users_.emplace_back(name);
  user_seqs_.push_back(0);
  user_ids_.emplace(users_.back(), id);
  return id;
}

UserId Engine::find_user(std::string_view name) const noexcept {
  const auto it = user_ids_.find(name);
  return it == user_ids_.end() ? kNoUser : it->second;
}

std::string_view Engine::user_name(UserId id) const noexcept {
  return id < users_.size() ? std::string_view(users_[id]) : std::string_view("unknown");
}

void Engine::submit(const Order& order, EventSink& sink) {
  now_ = clock_();
  if (order.symbol >= symbols_.size()) {
    emit_reject(nullptr, order, Reason::unknown_symbol, sink);
    return;
  }
  SymbolState& state = *symbols_[order.symbol];
  switch (order.op) {
    case Op::add: submit_new(state, order, sink); break;
    case Op::cancel: submit_cancel(state, order, sink); break;
    case Op::modify: submit_modify(state, order, sink); break;
    default: emit_reject(&state, order, Reason::invalid_op, sink); break;
  }
}

void Engine::reject(const Rejection& rejection, EventSink& sink) {
  now_ = clock_();
  SymbolState* state = rejection.symbol < symbols_.size() ? symbols_[rejection.symbol].get() : nullptr;
  const UserId user = rejection.user < users_.size() ? rejection.user : kNoUser;
  emit_order(state, rejection.order_id, user, OrderStatus::rejected, rejection.reason, 0, 0, sink);
}

void Engine::submit_new(SymbolState& state, const Order& order, EventSink& sink) {
  const SymbolSpec& spec = state.spec;
  OrderBook& book = state.book;
  const bool limit = order.type == OrderType::limit;
  const auto fail = [&](Reason reason) { emit_reject(&state, order, reason, sink); };

  if (order.user == kNoUser) return fail(Reason::missing_user);
  if (order.user >= users_.size()) return fail(Reason::invalid_user);
  // Enum values a struct-building caller could get wrong; JSON cannot.
  if (order.side != Side::buy && order.side != Side::sell) return fail(Reason::invalid_side);
  if (!limit && order.type != OrderType::market) return fail(Reason::invalid_type);
  if (order.tif != Tif::gtc && order.tif != Tif::ioc && order.tif != Tif::fok) {
    return fail(Reason::invalid_tif);
  }
  if (order.qty <= 0) return fail(Reason::qty_not_positive);
  if (order.qty > spec.max_qty()) return fail(Reason::qty_overflow);
  if (limit && order.price <= 0) return fail(Reason::price_not_positive);
  if (limit && order.price > spec.max_price()) return fail(Reason::price_overflow);
  if (!limit && order.price != 0) return fail(Reason::unexpected_price);
  if (order.post_only && (!limit || order.tif != Tif::gtc)) return fail(Reason::invalid_post_only);
  if (book.find(order.id) != nullptr) return fail(Reason::duplicate_id);
  if (limit && !in_band(state, order.price)) return fail(Reason::price_out_of_band);
  // Checked up front (for the whole quantity) so an order never fails half way.
  if (limit && order.tif == Tif::gtc &&
      book.level_qty(order.side, order.price) > spec.max_qty() - order.qty) {
    return fail(Reason::qty_overflow);
  }
  if (order.post_only && book.would_take(order.side, order.price)) {
    return fail(Reason::post_only_would_take);
  }

  emit_order(&state, order.id, order.user, OrderStatus::accepted, Reason::none, 0, order.qty, sink);
  Taker taker{order.id, order.user, order.side, limit, order.price, order.qty, 0};
  if (order.tif == Tif::fok && book.fillable(taker, stp_, order.qty) < order.qty) {
    emit_order(&state, order.id, order.user, OrderStatus::cancelled, Reason::fok_unfilled, 0,
               order.qty, sink);
    return;
  }
  const Reason unfilled = !limit                  ? Reason::market_unfilled
                          : order.tif == Tif::ioc ? Reason::ioc_unfilled
                                                  : Reason::fok_unfilled;
  run_taker(state, taker, limit && order.tif == Tif::gtc, order.post_only, unfilled, sink);
}

void Engine::submit_cancel(SymbolState& state, const Order& order, EventSink& sink) {
  const RestingOrder* resting = state.book.find(order.id);
  if (order.user != kNoUser && order.user >= users_.size()) {
    return emit_reject(&state, order, Reason::invalid_user, sink);
  }
  if (resting == nullptr) return emit_reject(&state, order, Reason::unknown_order, sink);
  if (order.user != kNoUser && order.user != resting->user) {
    return emit_reject(&state, order, Reason::user_mismatch, sink);
  }
  const RestingOrder removed = state.book.remove(order.id);
  emit_order(&state, removed.id, removed.user, OrderStatus::cancelled, Reason::none, removed.filled,
             removed.remaining, sink);
  emit_depth(state, sink);
}

void Engine::submit_modify(SymbolState& state, const Order& order, EventSink& sink) {
  const SymbolSpec& spec = state.spec;
  OrderBook& book = state.book;
  const auto fail = [&](Reason reason) { emit_reject(&state, order, reason, sink); };

  if (order.user != kNoUser && order.user >= users_.size()) return fail(Reason::invalid_user);
  const RestingOrder* resting = book.find(order.id);
  if (resting == nullptr) return fail(Reason::unknown_order);
  if (order.user != kNoUser && order.user != resting->user) return fail(Reason::user_mismatch);
  if (order.price == 0 && order.qty == 0) return fail(Reason::nothing_to_modify);
  if (order.qty < 0) return fail(Reason::qty_not_positive);
  if (order.qty > spec.max_qty()) return fail(Reason::qty_overflow);
  if (order.price < 0) return fail(Reason::price_not_positive);
  if (order.price > spec.max_price()) return fail(Reason::price_overflow);

  const Price price = order.price != 0 ? order.price : resting->price;
  const Qty qty = order.qty != 0 ? order.qty : resting->remaining;
  const bool price_changes = price != resting->price;
  // filled + open must stay formattable, as for a new order's quantity.
  if (resting->filled > spec.max_qty() - qty) return fail(Reason::qty_overflow);
  if (price_changes && !in_band(state, price)) return fail(Reason::price_out_of_band);
  const Qty level_now = book.level_qty(resting->side, price) - (price_changes ? 0 : resting->remaining);
  if (level_now > spec.max_qty() - qty) return fail(Reason::qty_overflow);
  if (resting->post_only && price_changes && book.would_take(resting->side, price)) {
    return fail(Reason::post_only_would_take);
  }

  emit_order(&state, resting->id, resting->user, OrderStatus::accepted, Reason::none,
             resting->filled, qty, sink);
  if (!price_changes && qty <= resting->remaining) {
    if (qty < resting->remaining) book.reduce(order.id, qty);
    emit_depth(state, sink);
    return;
  }
  const RestingOrder old = book.remove(order.id);
  Taker taker{old.id, old.user, old.side, true, price, qty, old.filled};
  run_taker(state, taker, true, old.post_only, Reason::none, sink);
}

void Engine::run_taker(SymbolState& state, Taker& taker, bool may_rest, bool post_only,
                       Reason unfilled_reason, EventSink& sink) {
  const Qty filled_before = taker.filled;
  FillEmitter emitter(*this, state, taker, sink);
  const MatchEnd end = state.book.match(taker, stp_, emitter);
  const auto taker_event = [&](OrderStatus status, Reason reason) {
    emit_order(&state, taker.id, taker.user, status, reason, taker.filled,
               status == OrderStatus::filled ? 0 : taker.remaining, sink);
  };
  if (taker.remaining == 0) {
    taker_event(OrderStatus::filled, Reason::none);
  } else if (end == MatchEnd::self_trade) {
    taker_event(OrderStatus::cancelled, Reason::self_trade_prevented);
  } else if (may_rest) {
    state.book.add(RestingOrder{taker.id, taker.limit, taker.remaining, taker.filled, taker.user,
                                taker.side, post_only});
    if (taker.filled > filled_before) taker_event(OrderStatus::partially_filled, Reason::none);
  } else {
    taker_event(OrderStatus::cancelled, unfilled_reason);
  }
  emit_depth(state, sink);
}

bool Engine::in_band(const SymbolState& state, Price price) const noexcept {
  if (!state.spec.has_band() || state.reference == 0) return true;
  const __int128 distance = price > state.reference ? price - state.reference : state.reference - price;
  // distance / R <= band_units / (100 * 10^kBandScale), without division.
  return distance * 1'000'000 <= __int128(state.spec.band_units) * state.reference;
}

void Engine::emit_order(SymbolState* state, OrderId id, UserId user, OrderStatus status,
                        Reason reason, Qty filled, Qty remaining, EventSink& sink) {
  OrderEvent event;
  event.symbol = state != nullptr ? state->id : kNoSymbol;
  event.seq = state != nullptr ? ++state->order_seq : ++unrouted_seq_;
  event.order_id = id;
  event.user = user;
  event.channel_seq = user < user_seqs_.size() ? ++user_seqs_[user] : ++unknown_user_seq_;
  event.status = status;
  event.reason = reason;
  event.filled_qty = filled;
  event.remaining_qty = remaining;
  event.ts = now_;
  sink.on_order(event);
}

void Engine::emit_reject(SymbolState* state, const Order& order, Reason reason, EventSink& sink) {
  const UserId user = order.user < users_.size() ? order.user : kNoUser;
  emit_order(state, order.id, user, OrderStatus::rejected, reason, 0, 0, sink);
}

void Engine::emit_depth(SymbolState& state, EventSink& sink) {
  if (!state.book.has_depth_changes()) return;
  state.book.take_depth_changes(depth_bids_, depth_asks_);
  DepthEvent event;
  event.symbol = state.id;
  event.seq = ++state.depth_seq;
  event.bids = depth_bids_;
  event.asks = depth_asks_;
  event.ts = now_;
  sink.on_depth(event);
}

}  // namespace tickcast::matching
