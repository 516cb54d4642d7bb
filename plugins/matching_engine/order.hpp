#pragma once
// An order request as the engine sees it: already decoded, in fixed point.
// Prices are counted in ticks and quantities in lots of their symbol, so a
// value off the tick or lot grid cannot even be represented here.
#include <cstdint>
#include <limits>
#include <string_view>

namespace tickcast::matching {

using OrderId = std::uint64_t;
using Price = std::int64_t;  // ticks
using Qty = std::int64_t;    // lots
using SymbolId = std::uint32_t;
using UserId = std::uint32_t;

inline constexpr SymbolId kNoSymbol = std::numeric_limits<SymbolId>::max();
inline constexpr UserId kNoUser = std::numeric_limits<UserId>::max();

// Wire names: new | cancel | modify (`new` is a C++ keyword, hence `add`).
enum class Op : std::uint8_t { add, cancel, modify };
enum class Side : std::uint8_t { buy, sell };
enum class OrderType : std::uint8_t { limit, market };
enum class Tif : std::uint8_t { gtc, ioc, fok };

struct Order {
  Op op = Op::add;
  Side side = Side::buy;
  OrderType type = OrderType::limit;
  Tif tif = Tif::gtc;
  bool post_only = false;
  SymbolId symbol = kNoSymbol;
  UserId user = kNoUser;  // required for new; optional on cancel and modify
  OrderId id = 0;
  // new limit: the limit price. modify: the new price, 0 = unchanged.
  Price price = 0;
  // new: the quantity. modify: the new open quantity, 0 = unchanged.
  Qty qty = 0;
};

constexpr Side opposite(Side side) noexcept {
  return side == Side::buy ? Side::sell : Side::buy;
}

constexpr std::string_view to_string(Op op) noexcept {
  return op == Op::add ? "new" : op == Op::cancel ? "cancel" : "modify";
}
constexpr std::string_view to_string(Side side) noexcept {
  return side == Side::buy ? "buy" : "sell";
}
constexpr std::string_view to_string(OrderType type) noexcept {
  return type == OrderType::limit ? "limit" : "market";
}
constexpr std::string_view to_string(Tif tif) noexcept {
  return tif == Tif::gtc ? "GTC" : tif == Tif::ioc ? "IOC" : "FOK";
}

}  // namespace tickcast::matching
