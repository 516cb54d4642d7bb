#include "symbol_spec.hpp"

#include <gtest/gtest.h>

#include "engine.hpp"
#include "test_support.hpp"

namespace tickcast::matching {
namespace {

std::string error_of(std::string_view name, std::string_view tick, std::string_view lot,
                     std::string_view band = {}) {
  const SymbolSpecResult result = make_symbol_spec(name, tick, lot, band);
  EXPECT_FALSE(result.spec.has_value());
  return result.error;
}

TEST(SymbolSpec, takes_precision_from_the_tick_and_lot_as_written) {
  const SymbolSpecResult result = make_symbol_spec("BTC-USDT", "0.05", "0.0010", "2.5");
  ASSERT_TRUE(result.spec) << result.error;
  EXPECT_EQ(result.spec->price_scale, 2);
  EXPECT_EQ(result.spec->tick_units, 5);
  EXPECT_EQ(result.spec->qty_scale, 4);
  EXPECT_EQ(result.spec->lot_units, 10);
  EXPECT_EQ(result.spec->band_units, 25000);  // 2.5% in 10^-4 percent
  EXPECT_TRUE(result.spec->has_band());
}

TEST(SymbolSpec, whole_number_ticks_and_lots_are_allowed) {
  const SymbolSpecResult result = make_symbol_spec("IDX", "5", "100");
  ASSERT_TRUE(result.spec) << result.error;
  EXPECT_EQ(result.spec->price_scale, 0);
  EXPECT_EQ(result.spec->tick_units, 5);
  EXPECT_FALSE(result.spec->has_band());
  EXPECT_EQ(result.spec->max_price(), std::numeric_limits<std::int64_t>::max() / 5);
}

TEST(SymbolSpec, bad_specs_say_which_symbol_field_and_value_and_what_was_expected) {
  EXPECT_EQ(error_of("BTC-USDT", "0.00", "1"),
            "symbol \"BTC-USDT\": tick \"0.00\" must be greater than zero");
  EXPECT_EQ(error_of("BTC-USDT", "0.01", "abc"),
            "symbol \"BTC-USDT\": lot \"abc\" is not a decimal (expected digits with an optional "
            "fraction, e.g. \"0.01\")");
  EXPECT_EQ(error_of("BTC-USDT", "-0.01", "1"),
            "symbol \"BTC-USDT\": tick \"-0.01\" is not a decimal (expected digits with an optional "
            "fraction, e.g. \"0.01\")");
  EXPECT_EQ(error_of("BTC-USDT", "0.0000000000000000001", "1"),
            "symbol \"BTC-USDT\": tick \"0.0000000000000000001\" has more than 18 decimals");
  EXPECT_EQ(error_of("BTC-USDT", "99999999999999999999", "1"),
            "symbol \"BTC-USDT\": tick \"99999999999999999999\" does not fit a 64-bit integer");
  EXPECT_EQ(error_of("BTC-USDT", "0.01", "1", "0"),
            "symbol \"BTC-USDT\": band \"0\" must be a positive percentage with at most 4 "
            "decimals, e.g. \"10\" for +/-10% around the last trade price");
  EXPECT_NE(error_of("BTC-USDT", "0.01", "1", "1.00001"), "");
  EXPECT_NE(error_of("BTC-USDT", "0.01", "1", "10%"), "");
  EXPECT_EQ(error_of("BTC USDT", "0.01", "1"),
            "symbol \"BTC USDT\": a name is 1 to 32 letters, digits or - _ . : /");
  EXPECT_NE(error_of("", "0.01", "1"), "");
}

TEST(SymbolSpec, names_are_limited_to_characters_that_need_no_escaping) {
  EXPECT_TRUE(is_valid_symbol_name("BTC-USDT"));
  EXPECT_TRUE(is_valid_symbol_name("es.fut_2024/03:x"));
  EXPECT_FALSE(is_valid_symbol_name("BTC*"));
  EXPECT_FALSE(is_valid_symbol_name("BTC\"USDT"));
  EXPECT_FALSE(is_valid_symbol_name(std::string(33, 'A')));
}

TEST(SymbolSpec, user_names_exclude_quotes_globs_whitespace_and_the_reserved_unknown) {
  EXPECT_TRUE(is_valid_user_name("alice"));
  EXPECT_TRUE(is_valid_user_name("a.b@example.com"));
  EXPECT_FALSE(is_valid_user_name(""));
  EXPECT_FALSE(is_valid_user_name("unknown"));
  EXPECT_FALSE(is_valid_user_name("al ice"));
  EXPECT_FALSE(is_valid_user_name("al\"ice"));
  EXPECT_FALSE(is_valid_user_name("al\\ice"));
  EXPECT_FALSE(is_valid_user_name("al*"));
  EXPECT_FALSE(is_valid_user_name("al?"));
  EXPECT_FALSE(is_valid_user_name("[al]"));
  EXPECT_FALSE(is_valid_user_name("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_user_name(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_user_name(std::string(64, 'a')));
}

TEST(EngineConfig, a_symbol_configured_twice_is_an_error) {
  EngineConfig config = test::test_config();
  config.symbols.push_back(config.symbols.front());
  try {
    Engine engine(std::move(config));
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "matching engine: symbol \"BTC-USDT\" configured twice");
  }
}

TEST(EngineConfig, self_trade_prevention_names_parse) {
  EXPECT_EQ(parse_self_trade_prevention("none"), SelfTradePrevention::none);
  EXPECT_EQ(parse_self_trade_prevention("cancel_taker"), SelfTradePrevention::cancel_taker);
  EXPECT_EQ(parse_self_trade_prevention("cancel_maker"), SelfTradePrevention::cancel_maker);
  EXPECT_EQ(parse_self_trade_prevention("cancel_both"), std::nullopt);
}

}  // namespace
}  // namespace tickcast::matching
