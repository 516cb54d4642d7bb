// The tc.in header (tickcast/input_position.hpp): what kafka_source writes,
// matching_engine reads back.
#include <gtest/gtest.h>

#include <tickcast/input_position.hpp>

namespace ip = tickcast::input_position;

TEST(InputPosition, a_formatted_position_parses_back) {
    const std::string text = ip::format("orders", 3, 1234567890123, -1);
    EXPECT_EQ(text, "orders/3/1234567890123/-1");
    const auto p = ip::parse(text);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->topic, "orders");
    EXPECT_EQ(p->partition, 3);
    EXPECT_EQ(p->offset, 1234567890123);
    EXPECT_EQ(p->acked, -1);
}

TEST(InputPosition, anything_else_is_refused) {
    for (const char* bad : {"", "orders", "orders/0/5", "/0/5/4", "orders/0/5/4/", "orders/x/5/4", "orders/0/5/4x", "orders/-1/5/4",
                            "orders/0/-5/4", "orders/0/5/-2", "orders/0//4"})
        EXPECT_FALSE(ip::parse(bad)) << bad;
}
