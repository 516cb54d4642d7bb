#pragma once
// What the engine produces, as plain structs handed to an EventSink during
// Engine::submit. Nothing here allocates; codec.hpp turns them into JSON.
//
// For one input order the events come in this order:
//   order `accepted` (or `rejected`, and nothing else)
//   per fill: `trade`, then the maker's `order` (partially_filled | filled);
//             a maker removed by self-trade prevention gets `cancelled`
//   the taker's final `order`, only if it traded or lost its remainder
//   one `depth` with every level the order changed, if any changed
#include <cstdint>
#include <span>
#include <string_view>

#include "order.hpp"

namespace tickcast::matching {

enum class OrderStatus : std::uint8_t { accepted, rejected, partially_filled, filled, cancelled };

// Why an order was rejected or cancelled; the wire carries reason_code().
enum class Reason : std::uint8_t {
  none,  // a cancel the user asked for
  // decoding (codec)
  malformed_json,
  unknown_field,
  duplicate_field,
  unexpected_field,
  missing_op,
  invalid_op,
  missing_id,
  invalid_id,
  missing_symbol,
  invalid_symbol,
  missing_user,
  invalid_user,
  missing_side,
  invalid_side,
  missing_type,
  invalid_type,
  invalid_tif,
  invalid_post_only,
  missing_price,
  invalid_price,
  missing_qty,
  invalid_qty,
  // validation (engine)
  unknown_symbol,
  price_off_tick,
  qty_off_lot,
  price_not_positive,
  qty_not_positive,
  price_overflow,
  qty_overflow,
  unexpected_price,
  price_out_of_band,
  duplicate_id,
  unknown_order,
  user_mismatch,
  nothing_to_modify,
  post_only_would_take,
  // cancellation of a remainder
  ioc_unfilled,
  fok_unfilled,
  market_unfilled,
  self_trade_prevented,
};

std::string_view reason_code(Reason reason) noexcept;
std::string_view to_string(OrderStatus status) noexcept;

struct OrderEvent {
  SymbolId symbol = kNoSymbol;  // kNoSymbol: the symbol was missing or unknown
  std::uint64_t seq = 0;        // per symbol, over all order events of that symbol
  // Per user, over all that user's order events: the seq of the private
  // channel `orders.<user>`, which carries events of several symbols.
  std::uint64_t channel_seq = 0;
  OrderId order_id = 0;         // 0 when the request had no readable id
  UserId user = kNoUser;        // kNoUser: goes to `orders.unknown`
  OrderStatus status = OrderStatus::accepted;
  Reason reason = Reason::none;
  // Filled so far; and the open quantity at this event (on `cancelled`, the
  // quantity that was cancelled; 0 on `filled` and `rejected`).
  Qty filled_qty = 0;
  Qty remaining_qty = 0;
  std::int64_t ts = 0;
};

struct TradeEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;  // per symbol; equal to trade_id
  std::uint64_t trade_id = 0;
  Price price = 0;  // the maker's price
  Qty qty = 0;
  Side taker_side = Side::buy;
  OrderId maker_order_id = 0;
  OrderId taker_order_id = 0;
  UserId maker_user = 0;
  UserId taker_user = 0;
  std::int64_t ts = 0;
};

struct DepthLevel {
  Price price = 0;
  Qty qty = 0;  // the level's total after the order; 0 = the level is gone
  friend bool operator==(const DepthLevel&, const DepthLevel&) = default;
};

struct DepthEvent {
  SymbolId symbol = 0;
  std::uint64_t seq = 0;  // per symbol
  std::span<const DepthLevel> bids;  // best first; valid only during the call
  std::span<const DepthLevel> asks;
  std::int64_t ts = 0;
};

// Receives events synchronously from Engine::submit. Implementations must
// not call back into the engine.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_order(const OrderEvent& event) = 0;
  virtual void on_trade(const TradeEvent& event) = 0;
  virtual void on_depth(const DepthEvent& event) = 0;
};

}  // namespace tickcast::matching
