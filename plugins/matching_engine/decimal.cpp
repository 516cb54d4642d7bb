#include "decimal.hpp"

#include <algorithm>
#include <limits>

namespace tickcast::matching {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

struct Shape {
  DecimalError error = DecimalError::none;
  std::size_t int_digits = 0;   // digits before the point
  std::size_t frac_digits = 0;  // digits after the point (0 when no point)
};

// The syntax pass: the value pass below may then assume a clean string.
Shape check_shape(std::string_view text) noexcept {
  Shape shape;
  if (text.empty()) return {DecimalError::empty};
  if (text.front() == '-') return {DecimalError::negative};
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  shape.int_digits = i;
  bool has_point = false;
  if (i < text.size() && text[i] == '.') {
    has_point = true;
    std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    shape.frac_digits = i - start;
  }
  if (i != text.size()) return {DecimalError::invalid_character};
  if (shape.int_digits == 0 || (has_point && shape.frac_digits == 0)) {
    return {DecimalError::missing_digits};
  }
  return shape;
}

}  // namespace

std::string_view to_string(DecimalError error) noexcept {
  switch (error) {
    case DecimalError::none: return "none";
    case DecimalError::empty: return "empty";
    case DecimalError::negative: return "negative";
    case DecimalError::missing_digits: return "missing_digits";
    case DecimalError::invalid_character: return "invalid_character";
    case DecimalError::too_many_decimals: return "too_many_decimals";
    case DecimalError::overflow: return "overflow";
  }
  return "unknown";
}

ParsedDecimal parse_decimal(std::string_view text, int scale) noexcept {
  const Shape shape = check_shape(text);
  if (shape.error != DecimalError::none) return {0, shape.error};
  if (scale < 0 || scale > kMaxScale) return {0, DecimalError::too_many_decimals};

  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t value = 0;
  bool overflow = false;
  auto push_digit = [&](unsigned digit) {
    // value * 10 + digit > kMax, tested without overflowing.
    if (value > (kMax - digit) / 10) overflow = true;
    else value = value * 10 + digit;
  };

  for (std::size_t i = 0; i < shape.int_digits; ++i) push_digit(unsigned(text[i] - '0'));
  const std::size_t frac_start = shape.int_digits + 1;
  const auto kept = std::min<std::size_t>(shape.frac_digits, std::size_t(scale));
  for (std::size_t i = 0; i < shape.frac_digits; ++i) {
    const unsigned digit = unsigned(text[frac_start + i] - '0');
    if (i < kept) push_digit(digit);
    else if (digit != 0) return {0, DecimalError::too_many_decimals};
  }
  for (std::size_t i = kept; i < std::size_t(scale); ++i) push_digit(0);
  if (overflow) return {0, DecimalError::overflow};
  return {static_cast<std::int64_t>(value), DecimalError::none};
}

int decimal_places(std::string_view text) noexcept {
  const Shape shape = check_shape(text);
  if (shape.error != DecimalError::none) return -1;
  return static_cast<int>(shape.frac_digits);
}

std::size_t format_decimal(std::int64_t units, int scale, char* out) noexcept {
  // Digits are produced backwards into a scratch buffer, then copied.
  char digits[kMaxDecimalChars];
  std::size_t n = 0;
  std::uint64_t magnitude = units < 0 ? 0 - static_cast<std::uint64_t>(units)
                                      : static_cast<std::uint64_t>(units);
  do {
    digits[n++] = char('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  // At least scale + 1 digits, so there is always one before the point.
  while (n < std::size_t(scale) + 1) digits[n++] = '0';

  std::size_t len = 0;
  if (units < 0) out[len++] = '-';
  for (std::size_t i = n; i-- > 0;) {
    out[len++] = digits[i];
    if (i == std::size_t(scale) && scale > 0) out[len++] = '.';
  }
  return len;
}

void append_decimal(std::string& out, std::int64_t units, int scale) {
  char buffer[kMaxDecimalChars];
  out.append(buffer, format_decimal(units, scale, buffer));
}

std::string format_decimal(std::int64_t units, int scale) {
  std::string out;
  append_decimal(out, units, scale);
  return out;
}

}  // namespace tickcast::matching
