#include <gtest/gtest.h>

#include "redis_client.hpp"
#include "reply_arena.hpp"

#include <random>
#include <string>

#include <hiredis/hiredis.h>

using namespace tickcast::redis;

namespace {

// The reply as a string that shows every type and value (describe() folds
// a status into its text, so the type goes in front).
std::string shape(const redisReply* r) {
    if (!r) return "null";
    std::string out = std::to_string(r->type) + ":";
    if (r->type == REDIS_REPLY_ARRAY) {
        out += "[";
        for (std::size_t i = 0; i < r->elements; ++i) out += (i ? "," : "") + shape(r->element[i]);
        return out + "]";
    }
    if (r->type == REDIS_REPLY_INTEGER) return out + std::to_string(r->integer);
    if (r->str) {
        EXPECT_EQ(r->str[r->len], '\0') << "strings are NUL-terminated, as hiredis makes them";
        out += std::string(r->str, r->len);
    }
    return out;
}

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

// A random reply in RESP: strings (some long), integers, statuses, errors,
// nils, nested arrays, empty and nil arrays.
std::string random_reply(std::mt19937& rng, int depth) {
    switch (rng() % (depth < 3 ? 7 : 5)) {
        case 0: return bulk(std::string(rng() % 300, char('a' + rng() % 26)));
        case 1: return ":" + std::to_string(std::int64_t(rng()) - 2'000'000'000) + "\r\n";
        case 2: return "+OK\r\n";
        case 3: return "-ERR no such key\r\n";
        case 4: return rng() % 2 ? "$-1\r\n" : "*-1\r\n";
        default: {
            const int n = int(rng() % 6);
            std::string out = "*" + std::to_string(n) + "\r\n";
            for (int i = 0; i < n; ++i) out += random_reply(rng, depth + 1);
            return out;
        }
    }
}

// The reader's next complete reply, or null when it needs more input.
const redisReply* next_reply(redisReader* reader) {
    void* reply = nullptr;
    EXPECT_EQ(redisReaderGetReply(reader, &reply), REDIS_OK) << reader->errstr;
    return static_cast<const redisReply*>(reply);
}

// Every reply of `wire`, fed in chunks of the sizes rng picks.
std::vector<std::string> parse(redisReader* reader, const std::string& wire, std::mt19937& rng, ReplyArena* arena) {
    std::vector<std::string> out;
    for (std::size_t off = 0; off < wire.size();) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % 700, wire.size() - off);
        EXPECT_EQ(redisReaderFeed(reader, wire.data() + off, n), REDIS_OK);
        off += n;
        while (const redisReply* reply = next_reply(reader)) {
            out.push_back(shape(reply));
            if (arena)
                arena->reset();
            else
                freeReplyObject(const_cast<redisReply*>(reply));
        }
    }
    return out;
}

}  // namespace

TEST(RedisReplyArena, builds_the_same_replies_as_hiredis_across_any_split_of_the_input) {
    std::mt19937 rng(7);
    std::string wire;
    for (int i = 0; i < 2000; ++i) wire += random_reply(rng, 0);

    std::mt19937 split_a(11), split_b(12);
    redisReader* plain = redisReaderCreate();
    const auto expected = parse(plain, wire, split_a, nullptr);
    redisReaderFree(plain);

    ReplyArena arena;
    redisReader* ours = arena.make_reader();
    ASSERT_NE(ours, nullptr);
    const auto got = parse(ours, wire, split_b, &arena);
    redisReaderFree(ours);

    ASSERT_EQ(expected.size(), 2000u);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "reply " << i;
}

TEST(RedisReplyArena, a_reply_larger_than_a_block_is_whole_and_its_memory_is_not_kept) {
    // An array of 3,000 strings of 100 bytes (~0.5 MiB of nodes and text)
    // spans several blocks while the array waits for its elements.
    std::string wire = "*3000\r\n";
    for (int i = 0; i < 3000; ++i) wire += bulk(std::to_string(i) + std::string(100, 'x'));
    wire += bulk("after");

    ReplyArena arena;
    redisReader* reader = arena.make_reader();
    ASSERT_EQ(redisReaderFeed(reader, wire.data(), wire.size()), REDIS_OK);
    const redisReply* r = next_reply(reader);
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(r->elements, 3000u);
    for (std::size_t i = 0; i < r->elements; ++i)
        ASSERT_EQ(std::string(r->element[i]->str, r->element[i]->len), std::to_string(i) + std::string(100, 'x')) << i;
    const std::size_t peak = arena.capacity();
    EXPECT_GT(peak, 64u * 1024);
    arena.reset();
    EXPECT_LE(arena.capacity(), 16u * 64 * 1024) << "spare blocks are bounded";

    r = next_reply(reader);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(describe(r), "after");
    redisReaderFree(reader);
}

TEST(RedisReplyArena, a_single_string_larger_than_a_block_gets_a_block_of_its_own_that_goes_on_reset) {
    const std::string big(200 * 1024, 'q');
    const std::string wire = bulk(big) + bulk("small");
    ReplyArena arena;
    redisReader* reader = arena.make_reader();
    ASSERT_EQ(redisReaderFeed(reader, wire.data(), wire.size()), REDIS_OK);
    const redisReply* r = next_reply(reader);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(std::string_view(r->str, r->len), big);
    EXPECT_GE(arena.capacity(), big.size());
    arena.reset();
    EXPECT_LT(arena.capacity(), big.size());
    r = next_reply(reader);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(describe(r), "small");
    redisReaderFree(reader);
}
