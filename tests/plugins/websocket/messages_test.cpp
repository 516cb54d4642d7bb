// The client protocol's pure logic: request parsing, name checks, decimal
// order, and the exact bytes of server messages.
#include <boost/json/parse.hpp>
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

// Found by fuzz_ws_request: a payload with bytes that are not UTF-8 went out
// verbatim inside a JSON string, an invalid text frame that makes a client
// drop the connection. Such bytes now become U+FFFD; valid UTF-8 is kept.
TEST(WebSocketMessages, a_payload_that_is_not_utf8_is_sent_as_valid_utf8) {
    EXPECT_EQ(*encode_event("trades.X", 1, "e", "a\xff\xfe" "b"),
              "{\"type\":\"event\",\"channel\":\"trades.X\",\"seq\":1,\"epoch\":\"e\",\"data\":\"a\xEF\xBF\xBD\xEF\xBF\xBD" "b\"}");
    // Overlong '/', a UTF-16 surrogate, a sequence cut short: each invalid.
    for (const std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xE2\x82"}) {
        boost::json::error_code ec;
        const boost::json::value v = boost::json::parse(*encode_event("trades.X", 1, "e", bad), ec);
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_NE(v.at("data").as_string().find("\xEF\xBF\xBD"), boost::json::string::npos);
    }
    EXPECT_EQ(*encode_event("trades.X", 1, "e", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88"),
              "{\"type\":\"event\",\"channel\":\"trades.X\",\"seq\":1,\"epoch\":\"e\",\"data\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88\"}");
}

// The bad_channel error quotes the first 128 bytes of the name, which can
// end inside a multi-byte character; the error must still be valid UTF-8.
TEST(WebSocketMessages, an_error_quoting_a_cut_channel_name_is_valid_utf8) {
    const std::string name = "trades." + std::string(120, 'A') + "\xC3\xA9\xC3\xA9";  // byte 128 splits an é
    ClientRequest r;
    RequestError e;
    ASSERT_FALSE(parse_request(R"({"op":"subscribe","channels":[")" + name + R"("]})", r, e));
    EXPECT_EQ(e.code, error_code::bad_channel);
    boost::json::error_code ec;
    boost::json::parse(*encode_error(r.id, e.code, e.message), ec);
    EXPECT_FALSE(ec) << ec.message();
}

// Found by fuzz_ws_request: an id of 1e999 parsed as infinity and was echoed
// as the token Infinity, which is not JSON. It is refused like any bad id.
TEST(WebSocketMessages, an_id_beyond_the_range_of_a_double_is_refused) {
    for (const char* text : {R"({"op":"ping","id":1.5e703})", R"({"op":"ping","id":-1e999})"}) {
        ClientRequest r;
        RequestError e;
        EXPECT_FALSE(parse_request(text, r, e)) << text;
        EXPECT_EQ(e.code, error_code::bad_request);
        EXPECT_TRUE(r.id.is_null());
    }
    ClientRequest r;
    RequestError e;
    ASSERT_TRUE(parse_request(R"({"op":"ping","id":1.5e300})", r, e));
    EXPECT_EQ(*encode_pong(r.id), R"({"type":"pong","id":1.5E300})");
}
