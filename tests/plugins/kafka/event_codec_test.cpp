#include <gtest/gtest.h>

#include "event_codec.hpp"

using namespace tickcast;
using namespace tickcast::kafka;

namespace {
Event sample() {
    Event e;
    e.channel = "trades.BTC-USDT";
    e.key = "BTC-USDT";
    e.payload = make_payload(R"({"price":"1.5"})");
    e.seq = 42;
    e.origin_ns = 1700000000123456789;
    e.hops.add("engine", 1700000000123460000);
    e.headers = {{"trace", "abc"}};
    return e;
}
}  // namespace

TEST(EventCodec, headers_round_trip_restores_the_event_and_adds_the_stamp) {
    const Event in = sample();
    Hops hops = in.hops;
    hops.add("kafka_out", 1700000000123470000);
    rd_kafka_headers_t* h = encode_headers(in, hops);
    Event out;
    std::string error;
    ASSERT_TRUE(decode_message({"topic", in.key, in.payload_view(), h, 5}, {}, out, error)) << error;
    EXPECT_EQ(out.channel, in.channel);
    EXPECT_EQ(out.key, in.key);
    EXPECT_EQ(out.payload_view(), in.payload_view());
    EXPECT_EQ(out.seq, 42u);
    EXPECT_EQ(out.origin_ns, in.origin_ns);
    ASSERT_EQ(out.hops.size(), 2u);
    EXPECT_EQ(out.hops.find("engine")->ns, 1700000000123460000);
    ASSERT_NE(out.hops.find("kafka_out"), nullptr);
    EXPECT_EQ(out.hops.find("kafka_out")->ns, 1700000000123470000);
    EXPECT_EQ(out.headers, in.headers);
    rd_kafka_headers_destroy(h);
}

TEST(EventCodec, the_key_comes_from_the_configured_field) {
    const Event e = sample();
    EXPECT_EQ(message_key(e, KeyField::key), "BTC-USDT");
    EXPECT_EQ(message_key(e, KeyField::channel), "trades.BTC-USDT");
    EXPECT_EQ(message_key(e, KeyField::none), "");
}

TEST(EventCodec, a_foreign_json_message_is_routed_by_its_field_and_stamped_with_the_broker_time) {
    DecodeRules rules;
    rules.channel_field = "ch";
    Event out;
    std::string error;
    ASSERT_TRUE(decode_message({"orders", "k", R"({"ch":"orders.alice","qty":"1"})", nullptr, 1700000000000}, rules, out, error));
    EXPECT_EQ(out.channel, "orders.alice");
    EXPECT_EQ(out.origin_ns, 1700000000000LL * 1'000'000);
    EXPECT_EQ(out.seq, 0u);
}

TEST(EventCodec, a_foreign_message_that_is_not_json_is_refused_with_a_reason) {
    Event out;
    std::string error;
    EXPECT_FALSE(decode_message({"orders", "", "not json", nullptr, -1}, {}, out, error));
    EXPECT_NE(error.find("not JSON"), std::string::npos) << error;
    DecodeRules rules;
    rules.channel_field = "ch";
    EXPECT_FALSE(decode_message({"orders", "", R"({"x":1})", nullptr, -1}, rules, out, error));
    EXPECT_EQ(error, "the value has no string field 'ch'");
}

TEST(EventCodec, the_channel_field_is_a_top_level_string_read_as_json_reads_it) {
    DecodeRules rules;
    rules.channel_field = "ch";
    Event out;
    std::string error;
    // Escapes are decoded; a later duplicate wins; nesting and other types do not count.
    ASSERT_TRUE(decode_message({"t", "", R"({"x":{"ch":"inner"},"ch":"orders.\u0061lice"})", nullptr, -1}, rules, out, error)) << error;
    EXPECT_EQ(out.channel, "orders.alice");
    ASSERT_TRUE(decode_message({"t", "", R"({"ch":"first","ch":"second"})", nullptr, -1}, rules, out, error)) << error;
    EXPECT_EQ(out.channel, "second");
    for (const char* value : {R"({"x":{"ch":"inner"}})", R"({"ch":1})", R"({"ch":["a"]})", R"({"ch":"a","ch":null})", R"(["ch","a"])"}) {
        EXPECT_FALSE(decode_message({"t", "", value, nullptr, -1}, rules, out, error)) << value;
        EXPECT_EQ(error, "the value has no string field 'ch'") << value;
    }
    // One JSON text and nothing after it but whitespace.
    EXPECT_TRUE(decode_message({"t", "", "{\"ch\":\"a\"} \n", nullptr, -1}, rules, out, error)) << error;
    for (const char* value : {R"({"ch":"a"} x)", R"({"ch":"a"}{})", R"({"ch":"a")", ""}) {
        EXPECT_FALSE(decode_message({"t", "", value, nullptr, -1}, rules, out, error)) << value;
        EXPECT_NE(error.find("not JSON"), std::string::npos) << value << ": " << error;
    }
}

TEST(EventCodec, raw_messages_take_the_fixed_channel_or_the_topic) {
    DecodeRules rules;
    rules.codec = Codec::raw;
    Event out;
    std::string error;
    ASSERT_TRUE(decode_message({"blobs", "", "\x01\x02", nullptr, -1}, rules, out, error));
    EXPECT_EQ(out.channel, "blobs");
    rules.channel = "fixed";
    ASSERT_TRUE(decode_message({"blobs", "", "\x01\x02", nullptr, -1}, rules, out, error));
    EXPECT_EQ(out.channel, "fixed");
}

TEST(EventCodec, the_replay_note_for_sinks_is_not_written_to_kafka) {
    Event in = sample();
    in.headers.emplace_back("tc.replay_since", "1764000000000000000");
    rd_kafka_headers_t* h = encode_headers(in, in.hops);
    const void* value = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(rd_kafka_header_get_last(h, "tc.replay_since", &value, &size), RD_KAFKA_RESP_ERR__NOENT);
    EXPECT_EQ(rd_kafka_header_get_last(h, "trace", &value, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_headers_destroy(h);
}
