// The client protocol's pure logic: request parsing, name checks, decimal
// order, and the exact bytes of server messages.
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cctype>

#include "auth_token.hpp"
#include "depth_book.hpp"
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

TEST(WebSocketMessages, parses_auth_and_the_since_of_a_subscribe) {
    ClientRequest r;
    RequestError e;
    ASSERT_TRUE(parse_request(R"({"op":"auth","token":"alice.1.ab"})", r, e));
    EXPECT_EQ(r.token, "alice.1.ab");
    ClientRequest s;
    ASSERT_TRUE(parse_request(R"({"op":"subscribe","channels":["trades.A","depth.A"],"since":{"trades.A":41,"depth.A":{"seq":7,"epoch":"e-1"}}})", s, e))
        << e.message;
    ASSERT_EQ(s.since.size(), 2u);
    EXPECT_EQ(s.since[0].channel, "trades.A");
    EXPECT_EQ(s.since[0].seq, 41u);
    EXPECT_TRUE(s.since[0].epoch.empty());
    EXPECT_EQ(s.since[1].seq, 7u);
    EXPECT_EQ(s.since[1].epoch, "e-1");
    for (const char* bad : {R"({"op":"subscribe","channels":["trades.A"],"since":{"trades.B":1}})",
                            R"({"op":"subscribe","channels":["trades.A"],"since":{"trades.A":-1}})",
                            R"({"op":"subscribe","channels":["trades.A"],"since":{"trades.A":{"epoch":"x"}}})",
                            R"({"op":"subscribe","channels":["trades.A"],"since":[1]})", R"({"op":"auth","token":""})"}) {
        ClientRequest x;
        EXPECT_FALSE(parse_request(bad, x, e)) << bad;
        EXPECT_EQ(e.code, error_code::bad_request) << bad;
    }
}

TEST(WebSocketMessages, tokens_are_user_expiry_and_the_hex_hmac_sha256_of_both) {
    TokenVerifier v("0123456789abcdef");
    // Known answer, from: printf 'alice.1795693122' | openssl dgst -sha256 -hmac 0123456789abcdef
    const std::string token = "alice.1795693122.f99fb9caa88bab4e80401f94880a32a187e866913561297ddb576eccf87161c4";
    EXPECT_EQ(v.mint("alice", 1795693122), token);
    auto ok = v.verify(token, 1795693121);
    EXPECT_TRUE(ok.ok) << ok.message;
    EXPECT_EQ(ok.user, "alice");
    EXPECT_EQ(ok.expires, 1795693122);
    EXPECT_EQ(v.verify(token, 1795693122).code, error_code::token_expired);
    EXPECT_EQ(TokenVerifier("another secret!!").verify(token, 0).code, error_code::bad_token);
    EXPECT_TRUE(v.verify(v.mint("a.b", 10), 0).ok) << "a user may hold dots";
}

// Security review (docs/reliability.md): a token altered anywhere, or not a
// token at all, is refused as bad_token; only a valid signature gets as far
// as the expiry check.
TEST(WebSocketMessages, altered_forged_and_malformed_tokens_are_refused) {
    TokenVerifier v("0123456789abcdef");
    const std::int64_t now = 1795693000;
    const std::string alice = v.mint("alice", now + 600), sig = alice.substr(alice.rfind('.') + 1);
    ASSERT_TRUE(v.verify(alice, now).ok);
    std::string upper = alice;
    for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
    std::string flipped = alice;
    flipped[flipped.size() / 2 + 20] ^= 1;  // one bit of the signature
    const std::vector<std::string> refused = {
        "bob." + std::to_string(now + 600) + "." + sig,      // another user under alice's signature
        "alice." + std::to_string(now + 6000) + "." + sig,   // a later expiry under the old signature
        "alice.0" + std::to_string(now + 600) + "." + sig,   // the same number, other bytes signed
        flipped,
        alice.substr(0, alice.size() - 1),                   // a signature one digit short
        alice + "0",                                         // one digit long
        "alice." + std::to_string(now + 600) + "." + upper.substr(upper.rfind('.') + 1),  // upper-case hex
        "alice." + std::to_string(now + 600) + "." + std::string(64, '0'),
        "alice." + std::to_string(now + 600) + ".",
        "alice." + std::to_string(now + 600),
        "YWxpY2UuMTc5NTY5MzYwMA==",                          // base64, not the format
        "alice.1795693600.8J+YgA==",
        "",
        ".",
        "..",
        "alice..",
        ".1795693600." + sig,
        "alice.-5." + sig,
        "alice.1e9." + sig,
        "al ice.1795693600." + sig,
        std::string("alice") + char(0) + ".1795693600." + sig,
        std::string(100000, 'a'),
    };
    for (const std::string& t : refused) {
        const TokenCheck c = v.verify(t, now);
        EXPECT_FALSE(c.ok) << t;
        EXPECT_EQ(c.code, error_code::bad_token) << t;
        EXPECT_TRUE(c.user.empty()) << t;
    }
    // Expiry is checked after the signature, and only a valid signature says "expired".
    EXPECT_EQ(v.verify(alice, now + 600).code, error_code::token_expired);
    EXPECT_EQ(v.verify(v.mint("alice", now - 1), now).code, error_code::token_expired);
}

TEST(WebSocketMessages, the_depth_checksum_covers_the_ten_best_levels_of_each_side_as_digits) {
    DepthBook book;
    ASSERT_TRUE(book.load(R"({"bids":[["99.5","3"],["100.25","1"]],"asks":[["101","2"],["100.5","4"]]})"));
    // zlib.crc32(b"1005410121002519953"): asks best first, then bids; '.' and leading zeros removed.
    EXPECT_EQ(book.checksum(), 288675060u);
    ASSERT_TRUE(book.apply(R"({"type":"depth","bids":[["99.50","0"]],"asks":[]})"));
    EXPECT_EQ(book.checksum(), 2410545374u) << "99.50 is the level 99.5";
    EXPECT_EQ(book.to_json(), R"({"bids":[["100.25","1"]],"asks":[["100.5","4"],["101","2"]]})");
    // Levels past the tenth do not count.
    DepthBook deep, shallow;
    std::string bids = "[", top = "[";
    for (int i = 0; i < 12; ++i) {
        const std::string level = std::string(i ? "," : "") + "[\"" + std::to_string(100 - i) + ".00\",\"0.0100\"]";
        bids += level;
        if (i < 10) top += level;
    }
    ASSERT_TRUE(deep.load(R"({"asks":[],"bids":)" + bids + "]}"));
    ASSERT_TRUE(shallow.load(R"({"asks":[],"bids":)" + top + "]}"));
    EXPECT_EQ(deep.checksum(), shallow.checksum());
    EXPECT_FALSE(book.apply(R"({"bids":[["x","1"]]})"));
    EXPECT_FALSE(book.apply("not json"));
}

TEST(WebSocketMessages, the_depth_checksum_kept_across_deep_changes_always_equals_a_fresh_one) {
    // Random deltas over 30 prices a side; the book skips recomputing when a
    // change is below the tenth level, and must still agree with a book
    // loaded from scratch after every delta.
    DepthBook book;
    std::uint32_t state = 12345;
    auto next = [&state](std::uint32_t n) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % n;
    };
    for (int i = 0; i < 3000; ++i) {
        const bool bid = next(2) == 0;
        const std::uint32_t price = bid ? 1000 - next(30) : 1001 + next(30);
        const std::uint32_t qty = next(4);  // 0 removes
        const std::string level = "[[\"" + std::to_string(price) + ".00\",\"" + std::to_string(qty) + ".5\"]]";
        const std::string delta = std::string("{\"bids\":") + (bid ? level : "[]") + ",\"asks\":" + (bid ? "[]" : level) + "}";
        ASSERT_TRUE(book.apply(qty == 0 ? std::string("{\"bids\":") + (bid ? "[[\"" + std::to_string(price) + ".00\",\"0\"]]" : "[]") +
                                              ",\"asks\":" + (bid ? "[]" : "[[\"" + std::to_string(price) + ".00\",\"0\"]]") + "}"
                                        : delta));
        DepthBook fresh;
        ASSERT_TRUE(fresh.load(book.to_json()));
        ASSERT_EQ(book.checksum(), fresh.checksum()) << "after delta " << i << ": " << delta;
    }
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
