// Reads redis_cache's keys (docs/redis.md) for snapshots and REST: a
// symbol's recent trades with their seq, and its depth book with its seq,
// each as of one consistent point (a single HGETALL; one EVAL for the trades
// list and trade_seq together).
//
// Thread-safety: none; use on the executor of the RedisClient it wraps.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "redis_client.hpp"

namespace tickcast::websocket {

struct CacheSnapshot {
    bool found = false;      // the cache holds something for the symbol
    std::uint64_t seq = 0;   // the last event applied (0 when nothing)
    std::string data_json;   // trades: [payload, ...] oldest first; depth: {"bids":[[p,q],...],"asks":[...]} best first
};

class CacheReader {
public:
    // `error` is empty on success.
    using Handler = std::function<void(const std::string& error, CacheSnapshot snapshot)>;

    CacheReader(std::shared_ptr<redis::RedisClient> client, std::string prefix);

    bool connected() const { return client_->connected(); }
    // The last `limit` trades (0: all kept).
    void read_trades(std::string_view symbol, std::size_t limit, Handler handler);
    // The best `levels` per side (0: all).
    void read_depth(std::string_view symbol, std::size_t levels, Handler handler);

private:
    std::shared_ptr<redis::RedisClient> client_;
    std::string prefix_;
};

}  // namespace tickcast::websocket
