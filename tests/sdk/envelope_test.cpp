// The event envelope (tickcast/json.hpp): what capture_sink, file_sink and
// `tickcastd test` read and write. Checked against Boost.JSON's parser, so
// every line is proven to be one valid JSON object with the right members.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <tickcast/json.hpp>

namespace tickcast {
namespace {

namespace json = boost::json;

json::object parse_line(const std::string& line) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << ec.message() << ": " << line;
    return v.is_object() ? v.get_object() : json::object{};
}

Event sample() {
    Event e;
    e.channel = "trades.BTC-USDT";
    e.key = "BTC-USDT";
    e.seq = 18446744073709551615ull;  // the largest seq keeps every digit
    e.origin_ns = -5;
    e.payload = make_payload(R"({"price":"64210.50","qty":1.50,"n":12345678901234567890})");
    return e;
}

TEST(Envelope, writes_every_field_and_keeps_a_json_payload_as_its_own_bytes) {
    Event e = sample();
    e.hops.add("engine", 10);
    e.hops.add("kafka_in", 20);
    e.headers.emplace_back("tc.in", "t 0 5");
    e.flags = event_flags::gap_before | event_flags::heartbeat;
    const std::string line = event_to_envelope_line(e);
    const json::object o = parse_line(line);
    EXPECT_EQ(o.at("channel"), "trades.BTC-USDT");
    EXPECT_EQ(o.at("key"), "BTC-USDT");
    EXPECT_EQ(o.at("seq").as_uint64(), 18446744073709551615ull);
    EXPECT_EQ(o.at("origin_ns").as_int64(), -5);
    EXPECT_EQ(o.at("hops"), (json::object{{"engine", 10}, {"kafka_in", 20}}));
    EXPECT_EQ(o.at("headers"), (json::object{{"tc.in", "t 0 5"}}));
    EXPECT_EQ(o.at("gap"), true);
    EXPECT_EQ(o.at("heartbeat"), true);
    EXPECT_EQ(o.at("payload").at("price"), "64210.50");
    // Not re-serialized: 1.50 stays 1.50 and the 20-digit number keeps its digits.
    EXPECT_NE(line.find(R"("payload":{"price":"64210.50","qty":1.50,"n":12345678901234567890})"), std::string::npos) << line;
}

TEST(Envelope, leaves_out_empty_hops_headers_and_unset_flags) {
    const json::object o = parse_line(event_to_envelope_line(sample()));
    EXPECT_FALSE(o.contains("hops"));
    EXPECT_FALSE(o.contains("headers"));
    EXPECT_FALSE(o.contains("gap"));
    EXPECT_FALSE(o.contains("heartbeat"));
    EXPECT_EQ(o.size(), 5u);
}

TEST(Envelope, escapes_strings_so_any_bytes_round_trip) {
    Event e;
    std::string nasty = "q\"b\\s/n\nr\rt\tb\bf\f";
    for (char c = 1; c < 0x20; ++c) nasty += c;
    nasty += "\x7f caf\xc3\xa9";
    e.channel = nasty;
    e.key = nasty;
    e.headers.emplace_back(nasty, nasty);
    const json::object o = parse_line(event_to_envelope_line(e));
    EXPECT_EQ(o.at("channel").as_string(), nasty);
    EXPECT_EQ(o.at("key").as_string(), nasty);
    EXPECT_EQ(o.at("headers").at(nasty).as_string(), nasty);
}

TEST(Envelope, a_payload_that_is_not_json_is_a_string) {
    Event e;
    for (const std::string p : {"plain text", "{\"open\":", "\"", "1 2", "  ", "{\"a\":1}\n{\"b\":2}"}) {
        e.payload = make_payload(p);
        EXPECT_EQ(parse_line(event_to_envelope_line(e)).at("payload").as_string(), p) << p;
    }
    e.payload = nullptr;
    EXPECT_EQ(parse_line(event_to_envelope_line(e)).at("payload").as_string(), "");
}

TEST(Envelope, a_json_payload_over_several_lines_is_written_on_one) {
    Event e;
    e.payload = make_payload("{\r\n  \"a\": [1,\n 2],\n  \"b\": \"x\"\n}\n");
    const std::string line = event_to_envelope_line(e);
    EXPECT_EQ(parse_line(line).at("payload"), (json::object{{"a", json::array{1, 2}}, {"b", "x"}}));
}

TEST(Envelope, a_name_given_twice_keeps_its_first_place_and_last_value) {
    Event e;
    e.headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    e.hops.add("x", 1);
    e.hops.add("x", 2);
    const std::string line = event_to_envelope_line(e);
    EXPECT_NE(line.find(R"("headers":{"a":"3","b":"2"})"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("hops":{"x":2})"), std::string::npos) << line;
}

TEST(Envelope, appends_to_what_the_buffer_holds) {
    std::string out = "before\n";
    append_envelope_line(out, sample());
    ASSERT_EQ(out.rfind("before\n{", 0), 0u);
    parse_line(out.substr(7));
}

}  // namespace
}  // namespace tickcast
