#include "symbol_spec.hpp"

#include "decimal.hpp"

namespace tickcast::matching {
namespace {

std::string describe(std::string_view name, std::string_view field, std::string_view value) {
  std::string text = "symbol \"";
  text.append(name).append("\": ").append(field).append(" \"").append(value).append("\" ");
  return text;
}

// Parses a tick or lot: a positive decimal, at most kMaxScale decimals.
std::optional<std::string> parse_step(std::string_view name, std::string_view field,
                                      std::string_view text, int& scale, std::int64_t& units) {
  scale = decimal_places(text);
  if (scale < 0) {
    return describe(name, field, text) +
           "is not a decimal (expected digits with an optional fraction, e.g. \"0.01\")";
  }
  if (scale > kMaxScale) {
    return describe(name, field, text) + "has more than 18 decimals";
  }
  const ParsedDecimal parsed = parse_decimal(text, scale);
  if (!parsed.ok()) return describe(name, field, text) + "does not fit a 64-bit integer";
  if (parsed.units <= 0) return describe(name, field, text) + "must be greater than zero";
  units = parsed.units;
  return std::nullopt;
}

}  // namespace

SymbolSpecResult make_symbol_spec(std::string_view name, std::string_view tick,
                                  std::string_view lot, std::string_view band) {
  if (!is_valid_symbol_name(name)) {
    return {std::nullopt, "symbol \"" + std::string(name) +
                              "\": a name is 1 to 32 letters, digits or - _ . : /"};
  }
  SymbolSpec spec;
  spec.name = name;
  spec.tick_text = tick;
  spec.lot_text = lot;
  spec.band_text = band;
  if (auto error = parse_step(name, "tick", tick, spec.price_scale, spec.tick_units)) {
    return {std::nullopt, std::move(*error)};
  }
  if (auto error = parse_step(name, "lot", lot, spec.qty_scale, spec.lot_units)) {
    return {std::nullopt, std::move(*error)};
  }
  if (!band.empty()) {
    const ParsedDecimal parsed = parse_decimal(band, SymbolSpec::kBandScale);
    if (!parsed.ok() || parsed.units <= 0) {
      return {std::nullopt, describe(name, "band", band) +
                                "must be a positive percentage with at most 4 decimals, "
                                "e.g. \"10\" for +/-10% around the last trade price"};
    }
    spec.band_units = parsed.units;
  }
  return {std::move(spec), {}};
}

bool is_valid_symbol_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_user_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name == "unknown") return false;
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
    if (c == '"' || c == '\\' || c == '*' || c == '?' || c == '[' || c == ']') return false;
  }
  return true;
}

}  // namespace tickcast::matching
