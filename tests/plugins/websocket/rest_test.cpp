// The gateway's REST API on the WebSocket port: answers from the Redis cache,
// and JSON errors for bad parameters, unknown symbols and a missing cache.
#include <gtest/gtest.h>

#include "gateway_fixture.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {
struct HttpAnswer {
    int status = 0;
    json::object body;
};
HttpAnswer get(const std::string& address, const std::string& target) {
    const std::string raw = http_get(address, target);
    HttpAnswer a;
    a.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
    a.body = json::parse(raw.substr(raw.find("\r\n\r\n") + 4)).as_object();
    return a;
}
}  // namespace

TEST(WebSocketRest, serves_recent_trades_and_depth_from_the_cache) {
    GatewayUnderTest g;
    for (int i = 1; i <= 5; ++i) g.cache({"LPUSH", "trades:X", R"({"seq":)" + std::to_string(i) + "}"});
    g.cache({"HSET", "ticker:X", "trade_seq", "5"});
    g.cache({"HSET", "depth:X", "seq", "9", "b:9.5", "1", "b:10", "2", "b:8", "3", "a:10.5", "4", "a:11", "5"});

    auto trades = get(g.address(), "/api/v1/trades?symbol=X&limit=2");
    EXPECT_EQ(trades.status, 200);
    EXPECT_EQ(json::serialize(trades.body), R"({"symbol":"X","seq":5,"trades":[{"seq":4},{"seq":5}]})");
    EXPECT_EQ(get(g.address(), "/api/v1/trades?symbol=X").body.at("trades").as_array().size(), 5u);

    auto depth = get(g.address(), "/api/v1/depth?symbol=X&levels=2");
    EXPECT_EQ(depth.status, 200);
    EXPECT_EQ(json::serialize(depth.body), R"({"symbol":"X","seq":9,"bids":[["10","2"],["9.5","1"]],"asks":[["10.5","4"],["11","5"]]})");
}

// The ticker: the last trade and best prices from the cache's ticker hash,
// and the 24-hour volume summed at the time of the request, so a bucket that
// redis_cache still holds but that is now older than 24 hours does not count
// (redis_cache_test checks the sums themselves).
TEST(WebSocketRest, serves_the_ticker_with_the_volume_of_the_last_24_hours) {
    GatewayUnderTest g;
    g.cache({"HSET", "ticker:X", "trade_seq", "5", "trade_ts", "1790000000123456789", "last_price", "10.5", "last_qty", "0.25",
             "depth_seq", "9", "best_bid", "10", "best_ask", "10.5"});
    const std::int64_t minute = tickcast::now_ns() / 60'000'000'000;
    // Held since the last trade 10 minutes ago: 1,445 minutes old is out of the window now.
    g.cache({"HSET", "volume:X", "v:" + std::to_string(minute - 10), "1.5", "n:" + std::to_string(minute - 10), "2",
             "v:" + std::to_string(minute - 1445), "100", "n:" + std::to_string(minute - 1445), "1", "sum", "101.5", "count", "3",
             "from", std::to_string(minute - 1445), "to", std::to_string(minute - 10)});
    auto ticker = get(g.address(), "/api/v1/ticker?symbol=X");
    EXPECT_EQ(ticker.status, 200);
    EXPECT_EQ(json::serialize(ticker.body),
              R"({"symbol":"X","seq":5,"trade_seq":5,"last_price":"10.5","last_qty":"0.25","last_trade_ns":1790000000123456789,)"
              R"("depth_seq":9,"best_bid":"10","best_ask":"10.5","volume_24h":"1.5","trades_24h":2})");

    // A symbol with a book but no trades yet: nulls, and no volume.
    g.cache({"HSET", "ticker:Y", "depth_seq", "1", "best_bid", "3"});
    EXPECT_EQ(json::serialize(get(g.address(), "/api/v1/ticker?symbol=Y").body),
              R"({"symbol":"Y","seq":0,"trade_seq":null,"last_price":null,"last_qty":null,"last_trade_ns":null,)"
              R"("depth_seq":1,"best_bid":"3","best_ask":null,"volume_24h":"0","trades_24h":0})");
}

TEST(WebSocketRest, bad_parameters_unknown_symbols_and_a_missing_cache_get_json_errors) {
    GatewayUnderTest g;
    const std::vector<std::pair<std::string, int>> cases = {
        {"/api/v1/trades", 400},
        {"/api/v1/trades?symbol=", 400},
        {"/api/v1/trades?symbol=X:Y", 400},            // would name another key
        {"/api/v1/depth?symbol=%2A", 400},             // '*'
        {"/api/v1/trades?symbol=X&limit=0", 400},
        {"/api/v1/trades?symbol=X&limit=abc", 400},
        {"/api/v1/trades?symbol=X&limit=100000", 400},
        {"/api/v1/depth?symbol=X&levels=-1", 400},
        {"/api/v1/depth?symbol=X&limit=5", 400},       // depth takes levels
        {"/api/v1/depth?symbol=NOPE", 404},
        {"/api/v1/trades?symbol=NOPE", 404},
        {"/api/v1/ticker?symbol=NOPE", 404},
        {"/api/v1/ticker?symbol=X&limit=5", 400},      // the ticker takes only symbol
        {"/api/v1/ticker", 400},
        {"/api/v1/orders", 404},
    };
    for (const auto& [target, status] : cases) {
        auto a = get(g.address(), target);
        EXPECT_EQ(a.status, status) << target;
        EXPECT_TRUE(a.body.contains("error")) << target;
    }
    auto no_cache = get(g.no_cache_address(), "/api/v1/depth?symbol=X");
    EXPECT_EQ(no_cache.status, 503);
    EXPECT_TRUE(no_cache.body.contains("error"));
}

// Security review (docs/reliability.md): `symbol`, `limit` and `levels` only
// ever name keys of the cache's layout (PREFIX{trades,depth,ticker,volume}:SYMBOL,
// docs/redis.md) and no file. Keys planted next to the layout, which a
// path, a glob, a ':' or an injected command could reach, never show, and
// the cache is intact afterwards.
TEST(WebSocketRest, parameters_cannot_reach_files_or_keys_outside_the_cache_layout) {
    GatewayUnderTest g;
    g.cache({"HSET", "depth:X", "seq", "9", "b:10", "2", "a:11", "5"});
    g.cache({"HSET", "depth:X:hidden", "seq", "1", "b:1", "31337"});  // reachable only through a ':'
    g.cache({"HSET", "depth:Xa", "seq", "1", "b:1", "31338"});        // only through a glob
    auto redis = shared_redis().connect();
    command(redis.get(), {"HSET", "depth:X", "seq", "1", "b:1", "31339"});  // outside the prefix
    const std::string long_symbol(4000, 'A');
    const std::vector<std::string> hostile = {
        "/api/v1/depth?symbol=X:hidden",
        "/api/v1/depth?symbol=X%3Ahidden",
        "/api/v1/depth?symbol=X*",
        "/api/v1/depth?symbol=X%2A",
        "/api/v1/depth?symbol=X%3F",                 // '?'
        "/api/v1/depth?symbol=X[a]",
        "/api/v1/depth?symbol=X%5Ba%5D",
        "/api/v1/depth?symbol=..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/v1/depth?symbol=../../../etc/passwd",
        "/api/v1/depth?symbol=%2Fetc%2Fpasswd",
        "/api/v1/trades?symbol=X%0D%0AFLUSHALL",     // CRLF: a second Redis command
        "/api/v1/trades?symbol=X%0AFLUSHALL",
        "/api/v1/trades?symbol=X%00hidden",
        "/api/v1/trades?symbol=X%20Y",
        "/api/v1/trades?symbol=" + long_symbol,
        "/api/v1/trades?symbol=X&limit=1%0D%0AFLUSHALL",
        "/api/v1/trades?symbol=X&limit=18446744073709551617",
        "/api/v1/depth?symbol=X&levels=1e3",
        "/api/v1/depth?symbol=X&levels=%2A",
        "/api/v1/ticker?symbol=X:hidden",
        "/api/v1/ticker?symbol=X%0D%0AFLUSHALL",
    };
    for (const std::string& target : hostile) {
        const std::string raw = http_get(g.address(), target);
        EXPECT_EQ(raw.substr(0, raw.find("\r\n")).substr(8), " 400 Bad Request") << target << "\n" << raw.substr(0, 200);
        for (const char* planted : {"31337", "31338", "31339", "root:"}) EXPECT_EQ(raw.find(planted), std::string::npos) << target;
    }
    // Paths other than the page and the endpoints are not files.
    for (const char* target : {"/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/www/index.html", "/api/v1/../../etc/passwd"}) {
        const std::string raw = http_get(g.address(), target);
        EXPECT_EQ(raw.substr(0, raw.find("\r\n")).substr(8), " 404 Not Found") << target;
        EXPECT_EQ(raw.find("root:"), std::string::npos) << target;
    }
    // Dots are symbol characters, and ".." names the key PREFIXdepth:.. (absent), nothing above it.
    EXPECT_EQ(get(g.address(), "/api/v1/depth?symbol=..").status, 404);
    // Nothing was injected: the cache still answers, with its own key.
    auto depth = get(g.address(), "/api/v1/depth?symbol=X");
    EXPECT_EQ(json::serialize(depth.body), R"({"symbol":"X","seq":9,"bids":[["10","2"]],"asks":[["11","5"]]})");
    command(redis.get(), {"DEL", "depth:X"});
}
