#include "decimal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <regex>
#include <string>

namespace tickcast::matching {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

DecimalError error_of(std::string_view text, int scale = 2) { return parse_decimal(text, scale).error; }
std::int64_t units_of(std::string_view text, int scale) {
  const ParsedDecimal parsed = parse_decimal(text, scale);
  EXPECT_TRUE(parsed.ok()) << "\"" << text << "\" at scale " << scale << ": " << to_string(parsed.error);
  return parsed.units;
}

TEST(Decimal, parses_plain_values_exactly) {
  EXPECT_EQ(units_of("0", 0), 0);
  EXPECT_EQ(units_of("0", 2), 0);
  EXPECT_EQ(units_of("1", 0), 1);
  EXPECT_EQ(units_of("1", 2), 100);
  EXPECT_EQ(units_of("12.34", 2), 1234);
  EXPECT_EQ(units_of("12.3", 2), 1230);
  EXPECT_EQ(units_of("0.01", 2), 1);
  EXPECT_EQ(units_of("30000.50", 2), 3000050);
  EXPECT_EQ(units_of("0.000000000000000001", 18), 1);
}

TEST(Decimal, accepts_leading_zeros_as_the_same_value) {
  EXPECT_EQ(units_of("007", 0), 7);
  EXPECT_EQ(units_of("007.50", 2), 750);
  EXPECT_EQ(units_of("00", 1), 0);
  EXPECT_EQ(units_of(std::string(100, '0') + "1", 0), 1);  // no overflow from zeros
}

TEST(Decimal, accepts_trailing_zeros_past_the_scale) {
  EXPECT_EQ(units_of("1.000", 2), 100);
  EXPECT_EQ(units_of("0.0", 0), 0);
  EXPECT_EQ(units_of("1." + std::string(50, '0'), 2), 100);
}

TEST(Decimal, rejects_a_nonzero_digit_past_the_scale) {
  EXPECT_EQ(error_of("1.005", 2), DecimalError::too_many_decimals);
  EXPECT_EQ(error_of("0.1", 0), DecimalError::too_many_decimals);
  EXPECT_EQ(error_of("1.0000001", 6), DecimalError::too_many_decimals);
  EXPECT_EQ(error_of("1." + std::string(50, '0') + "1", 2), DecimalError::too_many_decimals);
}

TEST(Decimal, rejects_empty_text) { EXPECT_EQ(error_of(""), DecimalError::empty); }

TEST(Decimal, rejects_negative_values_including_minus_zero) {
  EXPECT_EQ(error_of("-1"), DecimalError::negative);
  EXPECT_EQ(error_of("-0"), DecimalError::negative);
  EXPECT_EQ(error_of("-0.00"), DecimalError::negative);
  EXPECT_EQ(error_of("-"), DecimalError::negative);
}

TEST(Decimal, rejects_a_point_without_digits_on_both_sides) {
  EXPECT_EQ(error_of("1."), DecimalError::missing_digits);
  EXPECT_EQ(error_of(".5"), DecimalError::missing_digits);
  EXPECT_EQ(error_of("."), DecimalError::missing_digits);
}

TEST(Decimal, rejects_signs_whitespace_exponents_and_separators) {
  for (const char* text : {"+1", " 1", "1 ", "\t1", "1\n", "1 000", "1e3", "1E3", "1.5e2", "1.e3",
                           "0x10", "1,5", "1.2.3", "1_000", "NaN", "inf", "1/2", "١", "1.5x", "x",
                           "1..2", "+.5", "++1"}) {
    EXPECT_EQ(error_of(text), DecimalError::invalid_character) << '"' << text << '"';
  }
  EXPECT_EQ(error_of(std::string_view("1\0", 2)), DecimalError::invalid_character);
}

TEST(Decimal, syntax_errors_win_over_value_errors) {
  EXPECT_EQ(error_of("1.5x", 0), DecimalError::invalid_character);
  EXPECT_EQ(error_of("99999999999999999999x", 0), DecimalError::invalid_character);
}

TEST(Decimal, accepts_the_largest_int64_at_every_scale_and_rejects_one_more) {
  EXPECT_EQ(units_of("9223372036854775807", 0), kMax);
  EXPECT_EQ(error_of("9223372036854775808", 0), DecimalError::overflow);
  EXPECT_EQ(units_of("92233720368547758.07", 2), kMax);
  EXPECT_EQ(error_of("92233720368547758.08", 2), DecimalError::overflow);
  EXPECT_EQ(units_of("9.223372036854775807", 18), kMax);
  EXPECT_EQ(error_of("9.223372036854775808", 18), DecimalError::overflow);
  EXPECT_EQ(error_of("10", 18), DecimalError::overflow);
  EXPECT_EQ(error_of("92233720368547758.08", 2), DecimalError::overflow);
  EXPECT_EQ(error_of(std::string(40, '9'), 0), DecimalError::overflow);
  // Padding with zeros up to the scale can overflow too.
  EXPECT_EQ(error_of("92233720368547759", 2), DecimalError::overflow);
}

TEST(Decimal, rejects_scales_outside_zero_to_eighteen) {
  EXPECT_EQ(error_of("1", 19), DecimalError::too_many_decimals);
  EXPECT_EQ(error_of("1", -1), DecimalError::too_many_decimals);
}

// Every string of up to four characters over a small alphabet: accepted
// exactly when it matches the grammar, and then with the right value.
TEST(Decimal, agrees_with_the_grammar_on_every_short_string) {
  const std::string alphabet = "05.-+e x";
  const std::regex grammar("[0-9]+(\\.[0-9]+)?");
  std::size_t checked = 0;
  std::string text;
  for (std::size_t len = 0; len <= 4; ++len) {
    std::size_t combos = 1;
    for (std::size_t i = 0; i < len; ++i) combos *= alphabet.size();
    for (std::size_t n = 0; n < combos; ++n) {
      text.clear();
      for (std::size_t i = 0, k = n; i < len; ++i, k /= alphabet.size()) text += alphabet[k % alphabet.size()];
      const ParsedDecimal parsed = parse_decimal(text, 2);
      const bool valid = std::regex_match(text, grammar);
      const auto point = text.find('.');
      const bool fits_scale = point == std::string::npos ||
                              text.find_first_not_of('0', point + 3) == std::string::npos;
      ASSERT_EQ(parsed.ok(), valid && fits_scale) << '"' << text << '"';
      if (parsed.ok()) {
        // Reference value: integer digits * 100 + the first two fraction digits.
        const std::string whole = text.substr(0, point);
        std::string frac = point == std::string::npos ? "" : text.substr(point + 1);
        frac = (frac + "00").substr(0, 2);
        ASSERT_EQ(parsed.units, std::stoll(whole) * 100 + std::stoll(frac)) << text;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 4000u);
}

TEST(Decimal, decimal_places_counts_the_written_fraction_digits) {
  EXPECT_EQ(decimal_places("0.010"), 3);
  EXPECT_EQ(decimal_places("5"), 0);
  EXPECT_EQ(decimal_places("0.0001"), 4);
  EXPECT_EQ(decimal_places("1."), -1);
  EXPECT_EQ(decimal_places(""), -1);
  EXPECT_EQ(decimal_places("1e-2"), -1);
}

TEST(Decimal, formats_with_exactly_the_scale_digits) {
  EXPECT_EQ(format_decimal(0, 0), "0");
  EXPECT_EQ(format_decimal(0, 2), "0.00");
  EXPECT_EQ(format_decimal(5, 3), "0.005");
  EXPECT_EQ(format_decimal(12345, 2), "123.45");
  EXPECT_EQ(format_decimal(100, 2), "1.00");
  EXPECT_EQ(format_decimal(7, 0), "7");
  EXPECT_EQ(format_decimal(-5, 2), "-0.05");
  EXPECT_EQ(format_decimal(1, 18), "0.000000000000000001");
  EXPECT_EQ(format_decimal(kMax, 0), "9223372036854775807");
  EXPECT_EQ(format_decimal(kMax, 18), "9.223372036854775807");
  EXPECT_EQ(format_decimal(kMin, 0), "-9223372036854775808");
  EXPECT_EQ(format_decimal(kMin, 18), "-9.223372036854775808");
  EXPECT_EQ(format_decimal(-1, 18), "-0.000000000000000001");
  EXPECT_LE(format_decimal(kMin, 18).size(), kMaxDecimalChars);
  EXPECT_LE(format_decimal(-1, 18).size(), kMaxDecimalChars);
}

TEST(Decimal, format_then_parse_round_trips_at_every_scale) {
  std::uint64_t x = 88172645463325252ull;  // xorshift: many magnitudes
  for (int scale = 0; scale <= kMaxScale; ++scale) {
    std::vector<std::int64_t> values = {0, 1, 9, 10, 99, 100, 101, kMax, kMax - 1, kMax / 10};
    for (int i = 0; i < 2000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      values.push_back(std::int64_t(x >> (1 + i % 63)));
    }
    for (std::int64_t units : values) {
      const std::string text = format_decimal(units, scale);
      ASSERT_EQ(units_of(text, scale), units) << text;
      ASSERT_EQ(decimal_places(text), scale) << text;
    }
  }
}

}  // namespace
}  // namespace tickcast::matching
