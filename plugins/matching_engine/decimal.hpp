#pragma once
// Exact fixed-point decimals: the only way a price or quantity string becomes
// an integer and back. No floating point is involved anywhere.
//
// Accepted wire grammar (ASCII):   digits [ "." digits ]
//   "0", "12", "1.50"      ordinary values
//   "007.5"                leading zeros are accepted; the value is 7.5
//   "1.500" at scale 2     trailing zeros past the scale are accepted (exact)
// Rejected, each with its own error:
//   ""                     empty
//   "-1", "-0"             negative (a leading minus, whatever follows)
//   "1." ".5" "."          missing_digits: a point needs digits on both sides,
//                          as in JSON numbers, so ".5" cannot hide a typo
//   "+1" " 1" "1 " "1e3" "1E3" "0x1" "1,5" "1.2.3"
//                          invalid_character: no sign, no whitespace, no
//                          exponent, no separators
//   "1.005" at scale 2     too_many_decimals: a non-zero digit past the scale
//   > INT64_MAX units      overflow
// Syntax is checked before value, so "1.5x" is invalid_character, not
// too_many_decimals.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tickcast::matching {

inline constexpr int kMaxScale = 18;

// Longest text format_decimal writes: sign, 19 digits, point, "0." padding.
inline constexpr std::size_t kMaxDecimalChars = 24;

enum class DecimalError : std::uint8_t {
  none,
  empty,
  negative,
  missing_digits,
  invalid_character,
  too_many_decimals,
  overflow,
};

std::string_view to_string(DecimalError error) noexcept;

struct ParsedDecimal {
  std::int64_t units = 0;  // value * 10^scale
  DecimalError error = DecimalError::none;
  bool ok() const noexcept { return error == DecimalError::none; }
};

// Parses `text` as a count of 10^-scale units. `scale` must be 0..kMaxScale.
ParsedDecimal parse_decimal(std::string_view text, int scale) noexcept;

// Digits after the point as written ("0.010" -> 3, "5" -> 0), or -1 when the
// text is not a valid decimal. A symbol's tick and lot fix its precision.
int decimal_places(std::string_view text) noexcept;

// Writes `units` at `scale` with exactly `scale` fractional digits:
// (12345, 2) -> "123.45", (5, 3) -> "0.005", (7, 0) -> "7". `out` must hold
// kMaxDecimalChars. Returns the number of chars written.
std::size_t format_decimal(std::int64_t units, int scale, char* out) noexcept;
void append_decimal(std::string& out, std::int64_t units, int scale);
std::string format_decimal(std::int64_t units, int scale);

}  // namespace tickcast::matching
