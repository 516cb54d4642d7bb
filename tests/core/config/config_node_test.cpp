#include <gtest/gtest.h>

#include <tickcast/config.hpp>

using namespace tickcast;
using namespace std::chrono_literals;

TEST(ConfigParse, durations_need_a_unit_except_zero) {
    std::chrono::nanoseconds d{};
    EXPECT_TRUE(parse_duration("250us", d));
    EXPECT_EQ(d, 250us);
    EXPECT_TRUE(parse_duration("10s", d));
    EXPECT_EQ(d, 10s);
    EXPECT_TRUE(parse_duration("2m", d));
    EXPECT_EQ(d, 120s);
    EXPECT_TRUE(parse_duration("0", d));
    EXPECT_EQ(d, 0ns);
    EXPECT_FALSE(parse_duration("10", d));
    EXPECT_FALSE(parse_duration("1.5s", d));
    EXPECT_FALSE(parse_duration("-1s", d));
    EXPECT_FALSE(parse_duration("ms", d));
    EXPECT_FALSE(parse_duration("99999999999h", d));
}

TEST(ConfigParse, sizes_take_binary_units) {
    std::uint64_t v = 0;
    EXPECT_TRUE(parse_size("4096", v));
    EXPECT_EQ(v, 4096u);
    EXPECT_TRUE(parse_size("64KiB", v));
    EXPECT_EQ(v, 65536u);
    EXPECT_TRUE(parse_size("1GiB", v));
    EXPECT_EQ(v, 1u << 30);
    EXPECT_FALSE(parse_size("64KB", v));
    EXPECT_FALSE(parse_size("99999999999999999999", v));
}

TEST(ConfigNodeAccess, absent_key_is_located_at_its_parent) {
    auto file = std::make_shared<const std::string>("f.yaml");
    ConfigNode root(YAML::Load("a:\n  b: 1\n"), file);
    const ConfigNode missing = root["a"]["c"];
    EXPECT_FALSE(missing.defined());
    EXPECT_EQ(missing.location().str(), "f.yaml:2:3");
    try {
        missing.as_int();
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "f.yaml:2:3: expected an integer, got nothing");
    }
}

TEST(ConfigNodeAccess, integers_reject_trailing_text_and_overflow) {
    auto file = std::make_shared<const std::string>("f.yaml");
    ConfigNode root(YAML::Load("a: 12x\nb: 99999999999999999999\nc: -3\n"), file);
    EXPECT_THROW(root["a"].as_int(), ConfigError);
    EXPECT_THROW(root["b"].as_int(), ConfigError);
    EXPECT_EQ(root["c"].as_int(), -3);
    EXPECT_THROW(root["c"].as_uint(), ConfigError);
}
