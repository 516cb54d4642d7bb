// Fuzz target: the matching engine's fixed-point decimals (decimal.hpp).
//
// Input: the first byte picks the mode and the scale, the rest is the data.
//   even first byte: parse mode. The rest is the text, parsed at scale
//     (byte / 2) % 20, so scale 19 (out of range) is tried too. The result
//     must agree with an independent reference written the slow, obvious
//     way; a value must format back to its canonical form and reparse to
//     the same units.
//   odd first byte: format mode. The next 8 bytes are the units (any int64,
//     negatives included), formatted at scale (byte / 2) % 19; the text
//     must fit kMaxDecimalChars and parse back to the same units.
#include <cstring>
#include <string>

#include "decimal.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace tickcast::matching;

// What parse_decimal must answer, derived from the grammar in decimal.hpp
// by string manipulation only.
ParsedDecimal reference_parse(std::string_view text, int scale) {
    const auto digits = [](std::string_view s) { return s.find_first_not_of("0123456789") == std::string_view::npos; };
    if (text.empty()) return {0, DecimalError::empty};
    if (text.front() == '-') return {0, DecimalError::negative};
    const std::size_t point = text.find('.');
    const std::string_view whole = text.substr(0, point);
    const std::string_view frac = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
    if (!digits(whole) || !digits(frac)) return {0, DecimalError::invalid_character};
    if (whole.empty() || (point != std::string_view::npos && frac.empty())) return {0, DecimalError::missing_digits};
    if (scale < 0 || scale > kMaxScale) return {0, DecimalError::too_many_decimals};
    const std::size_t kept = std::min(frac.size(), std::size_t(scale));
    if (frac.substr(kept).find_first_not_of('0') != std::string_view::npos) return {0, DecimalError::too_many_decimals};

    std::string units(whole);
    units.append(frac.substr(0, kept));
    units.append(std::size_t(scale) - kept, '0');
    units.erase(0, std::min(units.find_first_not_of('0'), units.size()));
    const std::string max = "9223372036854775807";
    if (units.size() > max.size() || (units.size() == max.size() && units > max)) return {0, DecimalError::overflow};
    std::int64_t value = 0;
    for (char c : units) value = value * 10 + (c - '0');
    return {value, DecimalError::none};
}

// The text format_decimal must write for a valid `text`: no leading zeros
// (but one digit before the point), exactly `scale` decimals.
std::string canonical(std::string_view text, int scale) {
    const std::size_t point = text.find('.');
    std::string whole(text.substr(0, point));
    whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size() - 1));
    if (scale == 0) return whole;
    std::string frac(point == std::string_view::npos ? std::string_view() : text.substr(point + 1));
    frac.resize(std::size_t(scale), '0');
    return whole + "." + frac;
}

std::string describe(std::string_view text, int scale, const ParsedDecimal& got, const ParsedDecimal& want) {
    return "text '" + std::string(text) + "' scale " + std::to_string(scale) + ": got " + std::to_string(got.units) +
           "/" + std::string(to_string(got.error)) + ", want " + std::to_string(want.units) + "/" +
           std::string(to_string(want.error));
}

void parse_mode(std::string_view text, int scale) {
    const ParsedDecimal got = parse_decimal(text, scale);
    const ParsedDecimal want = reference_parse(text, scale);
    FUZZ_CHECK(got.error == want.error && got.units == want.units, describe(text, scale, got, want));
    const int places = decimal_places(text);
    if (got.error == DecimalError::none || got.error == DecimalError::too_many_decimals ||
        got.error == DecimalError::overflow) {
        // Syntax was fine, so decimal_places reads it too.
        const std::size_t point = text.find('.');
        const int written = point == std::string_view::npos ? 0 : int(text.size() - point - 1);
        FUZZ_CHECK(places == written, std::string(text));
    } else {
        FUZZ_CHECK(places == -1, std::string(text));
    }
    if (!got.ok()) return;

    FUZZ_CHECK(got.units >= 0, std::string(text));
    const std::string formatted = format_decimal(got.units, scale);
    const std::string expected = canonical(text, scale);
    FUZZ_CHECK(formatted == expected, "'" + std::string(text) + "' formatted as '" + formatted + "', canonical '" + expected + "'");
    const ParsedDecimal again = parse_decimal(formatted, scale);
    FUZZ_CHECK(again.ok() && again.units == got.units, formatted);
}

void format_mode(std::int64_t units, int scale) {
    char buffer[kMaxDecimalChars + 8];
    std::memset(buffer, '#', sizeof buffer);
    const std::size_t n = format_decimal(units, scale, buffer);
    const std::string_view text(buffer, n);
    const std::string context = std::to_string(units) + " at scale " + std::to_string(scale) + " -> '" + std::string(text) + "'";
    FUZZ_CHECK(n > 0 && n <= kMaxDecimalChars, context);
    FUZZ_CHECK(buffer[n] == '#', context);  // nothing written past the returned length
    FUZZ_CHECK(format_decimal(units, scale) == text, context);
    FUZZ_CHECK(decimal_places(units < 0 ? text.substr(1) : text) == scale, context);

    if (units >= 0) {
        const ParsedDecimal back = parse_decimal(text, scale);
        FUZZ_CHECK(back.ok() && back.units == units, context);
    } else {
        FUZZ_CHECK(text.front() == '-', context);
        FUZZ_CHECK(parse_decimal(text, scale).error == DecimalError::negative, context);
        const ParsedDecimal magnitude = parse_decimal(text.substr(1), scale);
        if (units == INT64_MIN) FUZZ_CHECK(magnitude.error == DecimalError::overflow, context);
        else FUZZ_CHECK(magnitude.ok() && magnitude.units == -units, context);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    if (mode % 2 == 0) {
        parse_mode(tickcast::fuzz::as_text(data + 1, size - 1), (mode / 2) % 20);
    } else if (size >= 9) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, data + 1, sizeof bits);
        format_mode(static_cast<std::int64_t>(bits), (mode / 2) % 19);
    }
    return 0;
}
