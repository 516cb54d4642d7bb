// The client protocol's pure logic: request parsing, name checks, decimal
// order, and the exact bytes of server messages.
#include <gtest/gtest.h>

#include "messages.hpp"

using namespace tickcast::websocket;

TEST(WebSocketMessages, parses_subscribe_and_removes_repeated_channels) {
    ClientRequest r;
    RequestError e;
    ASSERT_TRUE(parse_request(R"({"op":"subscribe","channels":["trades.A","depth.A","trades.A"],"id":5})", r, e));
    EXPECT_EQ(r.op, "subscribe");
    EXPECT_EQ(r.channels, (std::vector<std::string>{"trades.A", "depth.A"}));
    EXPECT_EQ(r.id.as_int64(), 5);
}

TEST(WebSocketMessages, channel_and_symbol_names_cannot_reach_other_keys) {
    EXPECT_TRUE(valid_channel("trades.BTC-USDT"));
    EXPECT_TRUE(valid_channel("depth.A.B_c"));
    for (const char* bad : {"", "trades", ".X", "trades.", "trades.X:Y", "trades.*", "trades.X Y", "trades.\n"}) EXPECT_FALSE(valid_channel(bad)) << bad;
    EXPECT_TRUE(valid_symbol("BTC-USDT"));
    for (const char* bad : {"", "A:B", "*", "a b", "{x}"}) EXPECT_FALSE(valid_symbol(bad)) << bad;
    EXPECT_FALSE(valid_symbol(std::string(65, 'A')));
}

TEST(WebSocketMessages, decimals_compare_exactly) {
    EXPECT_LT(compare_decimal("9.75", "10.5"), 0);
    EXPECT_EQ(compare_decimal("10.50", "10.5"), 0);
    EXPECT_EQ(compare_decimal("007", "7.000"), 0);
    EXPECT_GT(compare_decimal("0.0002", "0.0001999"), 0);
}

TEST(WebSocketMessages, an_event_is_encoded_with_its_payload_as_json_or_as_a_string) {
    EXPECT_EQ(*encode_event("trades.X", 42, "e-1", R"({"p":"1.5"})"),
              R"({"type":"event","channel":"trades.X","seq":42,"epoch":"e-1","data":{"p":"1.5"}})");
    EXPECT_EQ(*encode_event("trades.X", 1, "e", "not \"json"), R"({"type":"event","channel":"trades.X","seq":1,"epoch":"e","data":"not \"json"})");
    EXPECT_EQ(*encode_event("trades.X", 1, "e", R"({"a":1} trailing)"),
              R"({"type":"event","channel":"trades.X","seq":1,"epoch":"e","data":"{\"a\":1} trailing"})");
}

TEST(WebSocketMessages, errors_echo_the_id_and_name_the_channel) {
    EXPECT_EQ(*encode_error(boost::json::value(3), "forbidden", "no", "orders.a"),
              R"({"type":"error","id":3,"code":"forbidden","message":"no","channel":"orders.a"})");
    EXPECT_EQ(*encode_error(nullptr, "bad_json", "x"), R"({"type":"error","code":"bad_json","message":"x"})");
}
