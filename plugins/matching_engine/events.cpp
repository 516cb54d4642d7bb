#include "events.hpp"

namespace tickcast::matching {

std::string_view reason_code(Reason reason) noexcept {
  switch (reason) {
    case Reason::none: return "";
    case Reason::malformed_json: return "malformed_json";
    case Reason::unknown_field: return "unknown_field";
    case Reason::duplicate_field: return "duplicate_field";
    case Reason::unexpected_field: return "unexpected_field";
    case Reason::missing_op: return "missing_op";
    case Reason::invalid_op: return "invalid_op";
    case Reason::missing_id: return "missing_id";
    case Reason::invalid_id: return "invalid_id";
    case Reason::missing_symbol: return "missing_symbol";
    case Reason::invalid_symbol: return "invalid_symbol";
    case Reason::missing_user: return "missing_user";
    case Reason::invalid_user: return "invalid_user";
    case Reason::missing_side: return "missing_side";
    case Reason::invalid_side: return "invalid_side";
    case Reason::missing_type: return "missing_type";
    case Reason::invalid_type: return "invalid_type";
    case Reason::invalid_tif: return "invalid_tif";
    case Reason::invalid_post_only: return "invalid_post_only";
    case Reason::missing_price: return "missing_price";
    case Reason::invalid_price: return "invalid_price";
    case Reason::missing_qty: return "missing_qty";
    case Reason::invalid_qty: return "invalid_qty";
    case Reason::unknown_symbol: return "unknown_symbol";
    case Reason::price_off_tick: return "price_off_tick";
    case Reason::qty_off_lot: return "qty_off_lot";
    case Reason::price_not_positive: return "price_not_positive";
    case Reason::qty_not_positive: return "qty_not_positive";
    case Reason::price_overflow: return "price_overflow";
    case Reason::qty_overflow: return "qty_overflow";
    case Reason::unexpected_price: return "unexpected_price";
    case Reason::price_out_of_band: return "price_out_of_band";
    case Reason::duplicate_id: return "duplicate_id";
    case Reason::unknown_order: return "unknown_order";
    case Reason::user_mismatch: return "user_mismatch";
    case Reason::nothing_to_modify: return "nothing_to_modify";
    case Reason::post_only_would_take: return "post_only_would_take";
    case Reason::ioc_unfilled: return "ioc_unfilled";
    case Reason::fok_unfilled: return "fok_unfilled";
    case Reason::market_unfilled: return "market_unfilled";
    case Reason::self_trade_prevented: return "self_trade_prevented";
  }
  return "unknown_reason";
}

std::string_view to_string(OrderStatus status) noexcept {
  switch (status) {
    case OrderStatus::accepted: return "accepted";
    case OrderStatus::rejected: return "rejected";
    case OrderStatus::partially_filled: return "partially_filled";
    case OrderStatus::filled: return "filled";
    case OrderStatus::cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace tickcast::matching
