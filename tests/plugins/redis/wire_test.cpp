#include <gtest/gtest.h>

#include "wire.hpp"

#include <random>

#include <hiredis/hiredis.h>

using namespace tickcast;
using namespace tickcast::redis;

TEST(RedisWire, message_round_trip_keeps_every_field) {
    Event e;
    e.seq = 42;
    e.origin_ns = 1795683897300264606;
    e.key = "BTC USDT%";  // needs escaping
    e.flags = event_flags::gap_before;
    e.hops.add("engine", 1);
    e.hops.add("kafka_out", 2);
    e.payload = make_payload("{\"price\":\"1.5\"}\nsecond line");
    const std::string m = encode_message(e);
    Event d;
    std::string err;
    ASSERT_TRUE(decode_message(m, d, err)) << err;
    EXPECT_EQ(d.seq, 42u);
    EXPECT_EQ(d.origin_ns, e.origin_ns);
    EXPECT_EQ(d.key, e.key);
    EXPECT_EQ(d.flags, e.flags);
    EXPECT_EQ(d.payload_view(), e.payload_view());
    ASSERT_EQ(d.hops.size(), 2u);
    EXPECT_EQ(d.hops.find("kafka_out")->ns, 2);
}

TEST(RedisWire, empty_key_and_payload) {
    Event e;
    e.seq = 1;
    Event d;
    std::string err;
    ASSERT_TRUE(decode_message(encode_message(e), d, err)) << err;
    EXPECT_EQ(d.key, "");
    EXPECT_EQ(d.payload_view(), "");
}

TEST(RedisWire, foreign_messages_are_refused_with_a_reason) {
    Event d;
    std::string err;
    EXPECT_FALSE(decode_message("hello", d, err));
    EXPECT_NE(err.find("not a tickcast message"), std::string::npos);
    EXPECT_FALSE(decode_message("T1 x 1 0 - -\n{}", d, err));
    EXPECT_NE(err.find("malformed"), std::string::npos);
    for (const char* m : {"T1 1 2 0 - - extra\n{}", "T1 1 2 0 -\n{}", "T1 1 2 0 - - \n{}", "T1 \n{}"}) {
        err.clear();
        EXPECT_FALSE(decode_message(m, d, err)) << m;
        EXPECT_NE(err.find("malformed"), std::string::npos) << m;
    }
}

TEST(RedisWire, decodes_into_slab_payloads_and_a_reused_event) {
    PayloadSlabs slabs(2);
    Event e;
    e.seq = 7;
    e.origin_ns = 1795683897300264606;
    e.key = "ETH-USDT";
    e.payload = make_payload(R"({"p":"1.5"})");
    Event d;
    d.key = "a much longer key that was there before";
    std::string err;
    ASSERT_TRUE(decode_message(encode_message(e), d, err, &slabs)) << err;
    EXPECT_EQ(d.key, "ETH-USDT");
    EXPECT_EQ(d.seq, 7u);
    EXPECT_EQ(d.origin_ns, 1795683897300264606);
    EXPECT_EQ(d.payload_view(), R"({"p":"1.5"})");
    EXPECT_EQ(slabs.allocated_slabs(), 1u);
}

TEST(RedisWire, commands_are_encoded_byte_for_byte_as_hiredis_does) {
    std::mt19937 random(20261126);
    for (int round = 0; round < 2000; ++round) {
        std::vector<std::string> strings(1 + random() % 6);
        for (std::string& a : strings) {
            a.resize(random() % (round % 10 == 0 ? 5000 : 40));
            for (char& c : a) c = char(random());  // any byte, CR, LF and NUL included
        }
        const std::vector<std::string_view> args(strings.begin(), strings.end());
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (std::string_view a : args) argv.push_back(a.data()), lens.push_back(a.size());
        char* formatted = nullptr;
        const int n = redisFormatCommandArgv(&formatted, int(argv.size()), argv.data(), lens.data());
        ASSERT_GT(n, 0);
        std::string ours = "kept";
        append_command(ours, args);
        EXPECT_EQ(ours, "kept" + std::string(formatted, std::size_t(n))) << "round " << round;
        redisFreeCommand(formatted);
    }
}
