#pragma once
// One symbol's trading rules, built from the decimal strings of the config
// (`symbols: {BTC-USDT: {tick: "0.01", lot: "0.0001", band: "10"}}`).
//
// Precision: a symbol's prices are written with as many decimals as its
// tick string has ("0.010" -> 3), its quantities with as many as its lot.
// Band: the largest distance, in percent of the reference price, a limit
// price may lie from it (see engine.hpp for the rule); empty = no band.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "order.hpp"

namespace tickcast::matching {

struct SymbolSpec {
  std::string name;
  std::string tick_text;  // as configured, for messages and snapshots
  std::string lot_text;
  std::string band_text;  // empty when there is no band
  int price_scale = 0;      // decimals of a price
  std::int64_t tick_units = 1;  // the tick in 10^-price_scale units
  int qty_scale = 0;
  std::int64_t lot_units = 1;
  std::int64_t band_units = 0;  // percent * 10^kBandScale; 0 = no band

  static constexpr int kBandScale = 4;

  // Largest price in ticks and quantity in lots whose decimal form fits the
  // int64 units used on the wire; anything above is an overflow.
  Price max_price() const noexcept { return std::numeric_limits<std::int64_t>::max() / tick_units; }
  Qty max_qty() const noexcept { return std::numeric_limits<std::int64_t>::max() / lot_units; }
  bool has_band() const noexcept { return band_units > 0; }
};

struct SymbolSpecResult {
  std::optional<SymbolSpec> spec;
  std::string error;  // names the symbol, the field, the value and what was expected
};

SymbolSpecResult make_symbol_spec(std::string_view name, std::string_view tick,
                                  std::string_view lot, std::string_view band = {});

// Symbol and user names appear verbatim in JSON and in channel names, so
// they are restricted to characters that need no escaping and are not
// Redis glob patterns. Symbols: 1..32 of [A-Za-z0-9] and "-_./:".
// Users: 1..64 printable ASCII chars except space " \ * ? [ ], and not the
// reserved "unknown" (rejections nobody can be named for go to
// `orders.unknown`).
bool is_valid_symbol_name(std::string_view name) noexcept;
bool is_valid_user_name(std::string_view name) noexcept;

}  // namespace tickcast::matching
