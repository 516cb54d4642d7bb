// redis_cache against a real redis-server: contents after a stream of trades
// and depth events, replay idempotence, TTL, and depth equal to the book
// rebuilt from the events.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include <boost/json.hpp>

#include "support/in_process.hpp"
#include "support/redis_server.hpp"

#include "cache_scripts.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

struct Generated {
    std::string yaml_events;  // mock_source events
    std::vector<std::string> trades;  // payloads in order
    std::map<std::string, std::string> bids, asks;  // the book the depth events build
    std::size_t depth_events = 0;
};

std::string price(int cents) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d.%02d", cents / 100, cents % 100);
    return buf;
}

// A seeded mix of trades and depth deltas for one symbol, as mock events,
// and the book that applying the deltas in order must give.
Generated generate(const std::string& symbol, int n, unsigned seed) {
    Generated g;
    std::mt19937 rng(seed);
    std::uint64_t trade_seq = 0, depth_seq = 0;
    for (int i = 0; i < n; ++i) {
        std::string channel, payload;
        std::uint64_t seq;
        if (rng() % 3 == 0) {
            seq = ++trade_seq;
            payload = R"({"type":"trade","symbol":")" + symbol + R"(","seq":)" + std::to_string(seq) + R"(,"price":")" +
                      price(10000 + int(rng() % 50)) + R"(","qty":")" + std::to_string(1 + rng() % 9) + R"(.5"})";
            channel = "trades." + symbol;
            g.trades.push_back(payload);
        } else {
            seq = ++depth_seq;
            json::array bids, asks;
            for (int k = 0, levels = 1 + int(rng() % 3); k < levels; ++k) {
                const bool bid = rng() % 2;
                const std::string p = price(bid ? 9990 - int(rng() % 20) : 10010 + int(rng() % 20));
                const std::string q = rng() % 4 == 0 ? "0" : std::to_string(rng() % 100) + ".25";
                auto& book = bid ? g.bids : g.asks;
                if (q == "0") book.erase(p); else book[p] = q;
                (bid ? bids : asks).push_back(json::array{json::string(p), json::string(q)});
            }
            payload = json::serialize(json::object{{"type", "depth"}, {"symbol", symbol}, {"seq", seq}, {"bids", bids}, {"asks", asks}});
            channel = "depth." + symbol;
            ++g.depth_events;
        }
        g.yaml_events += "        - {channel: " + channel + ", key: " + symbol + ", seq: " + std::to_string(seq) + ", payload: '" + payload + "'}\n";
    }
    return g;
}

std::string cache_config(const std::string& url, const std::string& prefix, const std::string& events) {
    return "resources:\n  cache: {plugin: redis, url: \"" + url + "\"}\n"
           "pipelines:\n  fanout:\n    source:\n      plugin: mock_source\n      batch: 37\n      events:\n" + events +
           "    sinks:\n      - {plugin: redis_cache, redis: cache, prefix: \"" + prefix + "\", trades_kept: 20, ttl: 10s}\n";
}

std::map<std::string, std::string> hgetall(redisContext* c, const std::string& key) {
    std::map<std::string, std::string> out;
    Reply r = command(c, {"HGETALL", key});
    for (std::size_t i = 0; i + 1 < r->elements; i += 2)
        out[std::string(r->element[i]->str, r->element[i]->len)] = std::string(r->element[i + 1]->str, r->element[i + 1]->len);
    return out;
}

RedisServer& server() { return shared_redis(); }

}  // namespace

TEST(RedisCache, keeps_last_trades_the_book_and_a_ticker_and_ignores_replays) {
    const Generated g = generate("BTC-USDT", 600, 7);
    const std::string config = cache_config(server().url(), "t1:", g.yaml_events);
    const RunResult first = run_config(config);
    ASSERT_EQ(first.exit_code, 0);
    auto c = server().connect();

    // The newest 20 trades, newest first.
    Reply list = command(c.get(), {"LRANGE", "t1:trades:BTC-USDT", "0", "-1"});
    ASSERT_EQ(list->elements, 20u);
    for (std::size_t i = 0; i < 20; ++i)
        EXPECT_EQ(std::string(list->element[i]->str, list->element[i]->len), g.trades[g.trades.size() - 1 - i]);
    Reply ttl = command(c.get(), {"PTTL", "t1:trades:BTC-USDT"});
    EXPECT_GT(ttl->integer, 0);
    EXPECT_LE(ttl->integer, 10'000);

    // The depth hash is exactly the book the events build, with its seq.
    std::map<std::string, std::string> expected;
    for (const auto& [p, q] : g.bids) expected["b:" + p] = q;
    for (const auto& [p, q] : g.asks) expected["a:" + p] = q;
    expected["seq"] = std::to_string(g.depth_events);
    EXPECT_EQ(hgetall(c.get(), "t1:depth:BTC-USDT"), expected);
    Reply depth_ttl = command(c.get(), {"PTTL", "t1:depth:BTC-USDT"});
    EXPECT_EQ(depth_ttl->integer, -1) << "the book must never expire";

    auto ticker = hgetall(c.get(), "t1:ticker:BTC-USDT");
    EXPECT_EQ(ticker["trade_seq"], std::to_string(g.trades.size()));
    EXPECT_EQ(ticker["depth_seq"], std::to_string(g.depth_events));
    const json::object last = json::parse(g.trades.back()).as_object();
    EXPECT_EQ(ticker["last_price"], last.at("price").as_string().c_str());
    EXPECT_EQ(ticker["best_bid"], g.bids.rbegin()->first);  // same width: string order is numeric order
    EXPECT_EQ(ticker["best_ask"], g.asks.begin()->first);
    EXPECT_EQ(first.metric(R"(tickcast_redis_cache_applied_total{pipeline="fanout",plugin="redis_cache"})"), 600);

    // A replay (a Kafka redelivery) changes nothing.
    const auto depth_before = hgetall(c.get(), "t1:depth:BTC-USDT");
    const RunResult replay = run_config(config);
    ASSERT_EQ(replay.exit_code, 0);
    EXPECT_EQ(hgetall(c.get(), "t1:depth:BTC-USDT"), depth_before);
    EXPECT_EQ(command(c.get(), {"LLEN", "t1:trades:BTC-USDT"})->integer, 20);
    EXPECT_EQ(replay.metric(R"(tickcast_redis_cache_stale_total{pipeline="fanout",plugin="redis_cache"})"), 600);
    EXPECT_EQ(replay.metric(R"(tickcast_redis_cache_applied_total{pipeline="fanout",plugin="redis_cache"})"), 0);
}

TEST(RedisCache, best_bid_is_recomputed_when_the_best_level_goes) {
    const std::string events =
        "        - {channel: depth.X, seq: 1, payload: '{\"bids\":[[\"9.50\",\"1\"],[\"10.00\",\"2\"],[\"9.75\",\"1\"]],\"asks\":[[\"10.5\",\"3\"]]}'}\n"
        "        - {channel: depth.X, seq: 2, payload: '{\"bids\":[[\"10.00\",\"0\"]],\"asks\":[[\"10.25\",\"1\"]]}'}\n"
        "        - {channel: depth.X, seq: 3, payload: '{\"bids\":[],\"asks\":[[\"10.25\",\"0.000\"]]}'}\n";
    ASSERT_EQ(run_config(cache_config(server().url(), "t2:", events)).exit_code, 0);
    auto c = server().connect();
    auto ticker = hgetall(c.get(), "t2:ticker:X");
    EXPECT_EQ(ticker["best_bid"], "9.75");
    EXPECT_EQ(ticker["best_ask"], "10.5");  // "10.5" beats "10.25" only after 10.25 is removed: exact decimal order
    EXPECT_EQ(hgetall(c.get(), "t2:depth:X").count("a:10.25"), 0u);
}

TEST(RedisCache, connects_over_a_unix_socket_with_a_database_number) {
    TempDir sock_dir;
    const std::string sock = sock_dir.file("redis.sock");
    RedisServer redis({"--unixsocket", sock, "--unixsocketperm", "700"});
    const std::string events = "        - {channel: depth.U, seq: 1, payload: '{\"bids\":[[\"1.00\",\"2\"]],\"asks\":[]}'}\n";
    ASSERT_EQ(run_config(cache_config("unix://" + sock + "?db=3", "t3:", events)).exit_code, 0);
    auto c = redis.connect();
    command(c.get(), {"SELECT", "3"});
    EXPECT_EQ(hgetall(c.get(), "t3:depth:U")["b:1.00"], "2");
    command(c.get(), {"SELECT", "0"});
    EXPECT_EQ(command(c.get(), {"EXISTS", "t3:depth:U"})->integer, 0) << "written to db 3, not 0";
}

// A delta is right only on the book just before it. If the cached book lacks
// events (here seq 3 never arrived; or Redis lost the whole hash in a restart
// without persistence, as scripts/faults.sh's redis_restart_lost does), a
// later delta must not build a wrong book that snapshots would serve as right.
TEST(RedisCache, refuses_a_depth_delta_that_skips_seqs_the_cached_book_lacks) {
    const std::string events =
        "        - {channel: depth.G, seq: 1, payload: '{\"bids\":[[\"10.00\",\"1\"]],\"asks\":[]}'}\n"
        "        - {channel: depth.G, seq: 2, payload: '{\"bids\":[[\"9.00\",\"2\"]],\"asks\":[]}'}\n"
        "        - {channel: depth.G, seq: 4, payload: '{\"bids\":[[\"10.00\",\"0\"]],\"asks\":[[\"11.00\",\"1\"]]}'}\n";
    const RunResult run = run_config(cache_config(server().url(), "t4:", events));
    ASSERT_EQ(run.exit_code, 0);
    auto c = server().connect();
    const std::map<std::string, std::string> as_of_2{{"seq", "2"}, {"b:10.00", "1"}, {"b:9.00", "2"}};
    EXPECT_EQ(hgetall(c.get(), "t4:depth:G"), as_of_2);
    EXPECT_EQ(run.metric(R"(tickcast_redis_cache_gaps_total{pipeline="fanout",plugin="redis_cache"})"), 1);
    EXPECT_EQ(hgetall(c.get(), "t4:ticker:G")["depth_seq"], "2");

    // The book is gone (a restart that lost the data): the next deltas build nothing.
    command(c.get(), {"DEL", "t4:depth:G"});
    const std::string later = "        - {channel: depth.G, seq: 5, payload: '{\"bids\":[[\"9.50\",\"1\"]],\"asks\":[]}'}\n";
    const RunResult after = run_config(cache_config(server().url(), "t4:", later));
    ASSERT_EQ(after.exit_code, 0);
    EXPECT_EQ(command(c.get(), {"EXISTS", "t4:depth:G"})->integer, 0);
    EXPECT_EQ(after.metric(R"(tickcast_redis_cache_gaps_total{pipeline="fanout",plugin="redis_cache"})"), 1);
}

namespace {

// The shortest decimal text of units / 10^8.
std::string decimal8(unsigned __int128 units) {
    std::string digits;
    do {
        digits.insert(digits.begin(), char('0' + int(units % 10)));
        units /= 10;
    } while (units != 0);
    if (digits.size() < 9) digits.insert(0, 9 - digits.size(), '0');
    std::string whole = digits.substr(0, digits.size() - 8), fraction = digits.substr(digits.size() - 8);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return fraction.empty() ? whole : whole + "." + fraction;
}

struct TimedTrade {
    std::int64_t second;           // origin time, seconds since the epoch
    std::uint64_t units;           // qty × 10^8
};

// What the gateway's ticker read says at `now_s`: {volume, trades}.
std::pair<std::string, long long> read_window(redisContext* c, const std::string& symbol_prefix, std::int64_t now_s) {
    Reply r = command(c, {"EVAL", tickcast::redis::scripts::ticker_reader(), "2", symbol_prefix + "ticker:V", symbol_prefix + "volume:V", std::to_string(now_s)});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return {"bad reply", -1};
    return {std::string(r->element[1]->str, r->element[1]->len), r->element[2]->integer};
}

}  // namespace

// The ticker's rolling 24-hour volume is exact: quantities with 0 to 8
// decimals and up to 14 digits, summed as decimal strings in Redis, equal
// the same sums in 128-bit integers, for windows that end anywhere after the
// last trade (23 h 59 min, exactly 24 h, past it), across a quiet two-day
// gap, with trades arriving up to 30 minutes out of time order, and over
// two daemon runs; a replay changes nothing.
TEST(RedisCache, rolling_24h_volume_is_exact_over_a_sliding_window) {
    std::mt19937_64 rng(11);
    std::vector<TimedTrade> trades;
    std::int64_t clock = 1'790'000'000;  // 2026-09
    for (int i = 0; i < 2400; ++i) {
        clock += std::int64_t(rng() % 200);
        if (i == 1500) clock += 2 * 86'400;  // a quiet two days: everything before falls out
        const std::int64_t late = rng() % 20 == 0 ? std::int64_t(rng() % 1800) : 0;
        const int fraction_digits = int(rng() % 9);
        std::uint64_t scale = 1;
        for (int d = 0; d < 8 - fraction_digits; ++d) scale *= 10;
        const std::uint64_t units = (rng() % 100'000'000'000'000ull) / scale * scale;
        trades.push_back({clock - late, units});
    }
    auto events = [&](std::size_t from, std::size_t to) {
        std::string yaml;
        for (std::size_t i = from; i < to; ++i)
            yaml += "        - {channel: trades.V, seq: " + std::to_string(i + 1) + ", origin_ns: " +
                    std::to_string(trades[i].second * 1'000'000'000 + std::int64_t(rng() % 1'000'000'000)) +
                    ", payload: '{\"price\":\"1.5\",\"qty\":\"" + decimal8(trades[i].units) + "\"}'}\n";
        return yaml;
    };
    // The sums a reader must get at now_s, for trades [0, upto): those in the 1,440 minutes up to now_s's.
    auto expected = [&](std::size_t upto, std::int64_t now_s) {
        unsigned __int128 sum = 0;
        long long n = 0;
        for (std::size_t i = 0; i < upto; ++i)
            if (trades[i].second / 60 > now_s / 60 - 1440) sum += trades[i].units, ++n;
        return std::pair<std::string, long long>{decimal8(sum), n};
    };
    auto c = server().connect();
    command(c.get(), {"DEL", "t5:volume:V", "t5:ticker:V", "t5:trades:V"});
    for (const std::size_t upto : {std::size_t(1200), trades.size()}) {
        ASSERT_EQ(run_config(cache_config(server().url(), "t5:", events(upto == 1200 ? 0 : 1200, upto))).exit_code, 0);
        std::int64_t newest = 0;
        for (std::size_t i = 0; i < upto; ++i) newest = std::max(newest, trades[i].second);
        for (const std::int64_t after : {0, 59, 3'600, 43'200, 86'340, 86'399, 86'400, 86'460, 90'000, 200'000}) {
            const auto want = expected(upto, newest + after);
            EXPECT_EQ(read_window(c.get(), "t5:", newest + after), want) << upto << " trades, " << after << " s after the last";
        }
        EXPECT_GT(expected(upto, newest).second, 100) << "the test must put many trades in the window";
    }
    // The writer keeps only the window's buckets, and its running totals match them.
    const auto held = hgetall(c.get(), "t5:volume:V");
    const std::int64_t to = std::stoll(held.at("to"));
    unsigned __int128 bucket_sum = 0;
    long long bucket_trades = 0;
    for (const auto& [field, value] : held) {
        if (field.rfind("v:", 0) == 0) {
            EXPECT_GT(std::stoll(field.substr(2)), to - 1440) << field;
            const auto dot = value.find('.');
            std::string fraction = dot == std::string::npos ? "" : value.substr(dot + 1);
            fraction.resize(8, '0');
            bucket_sum += (unsigned __int128)std::stoull(value.substr(0, dot)) * 100'000'000 + std::stoull(fraction);
        }
        if (field.rfind("n:", 0) == 0) bucket_trades += std::stoll(value);
    }
    EXPECT_EQ(held.at("sum"), decimal8(bucket_sum));
    EXPECT_EQ(std::stoll(held.at("count")), bucket_trades);
    Reply ttl = command(c.get(), {"PTTL", "t5:volume:V"});
    EXPECT_GT(ttl->integer, 86'400'000) << "kept a day and a minute after the last trade";

    const auto before = hgetall(c.get(), "t5:volume:V");
    ASSERT_EQ(run_config(cache_config(server().url(), "t5:", events(0, trades.size()))).exit_code, 0);
    EXPECT_EQ(hgetall(c.get(), "t5:volume:V"), before) << "a replay must not count trades twice";
}
