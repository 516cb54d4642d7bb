#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "testing/pipeline_test.hpp"

using tickcast::core::compare_json;
namespace json = boost::json;

namespace {
std::vector<std::string> diff(const char* expected, const char* actual, bool subset, std::vector<std::string> ignore = {}) {
    std::vector<std::string> out;
    compare_json(json::parse(expected), json::parse(actual), "", subset, ignore, out);
    return out;
}
}  // namespace

TEST(CompareJson, exact_match_ignores_unwritten_envelope_fields_only) {
    EXPECT_TRUE(diff(R"({"channel":"a","payload":{"p":"1"}})", R"({"channel":"a","origin_ns":5,"payload":{"p":"1"}})", false).empty());
    auto d = diff(R"({"payload":{"p":"1"}})", R"({"payload":{"p":"1","q":2}})", false);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0], "payload.q: unexpected field with value 2");
}

TEST(CompareJson, subset_match_ignores_extra_fields_at_any_depth) {
    EXPECT_TRUE(diff(R"({"payload":{"p":"1"}})", R"({"payload":{"p":"1","q":2}})", true).empty());
}

TEST(CompareJson, differences_name_the_field_path) {
    auto d = diff(R"({"payload":{"bids":[["1","2"]]}})", R"({"payload":{"bids":[["1","3"]]}})", true);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0], R"(payload.bids[0][1]: expected "2", got "3")");
    d = diff(R"({"payload":{"x":1}})", R"({"payload":{}})", true);
    EXPECT_EQ(d.at(0), "payload.x: expected 1, but the field is missing");
}

TEST(CompareJson, integers_compare_by_value_and_ignore_lists_skip_fields) {
    EXPECT_TRUE(diff(R"({"seq":18446744073709551615})", R"({"seq":18446744073709551615})", false).empty());
    EXPECT_TRUE(diff(R"({"seq":1})", R"({"seq":1})", false).empty());
    EXPECT_TRUE(diff(R"({"payload":{"ts":1,"a":2}})", R"({"payload":{"ts":9,"a":2}})", false, {"payload.ts"}).empty());
}
