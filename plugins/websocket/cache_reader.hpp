// Reads redis_cache's keys (docs/redis.md) for snapshots and REST: a
// symbol's recent trades with their seq, its depth book with its seq, and
// its ticker with the rolling 24-hour volume, each as of one consistent point
// (a single HGETALL for the book; one EVAL for the others).
//
// Thread-safety: none; use on the executor of the RedisClient it wraps.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis_client.hpp"

namespace tickcast::websocket {

struct CacheSnapshot {
    bool found = false;      // the cache holds something for the symbol
    std::uint64_t seq = 0;   // the last event applied (0 when nothing)
    std::string data_json;   // trades: [payload, ...] oldest first; depth: {"bids":[[p,q],...],"asks":[...]} best first
};

// One entry of a channel's redis_stream history.
struct HistoryEntry {
    std::uint64_t seq = 0;
    std::string payload;
};

class CacheReader {
public:
    using HistoryHandler = std::function<void(const std::string& error, std::vector<HistoryEntry> entries)>;

    // `error` is empty on success.
    using Handler = std::function<void(const std::string& error, CacheSnapshot snapshot)>;

    // `stream_prefix`: the key prefix of redis_stream's streams (<stream_prefix><channel>).
    CacheReader(std::shared_ptr<redis::RedisClient> client, std::string prefix, std::string stream_prefix);

    bool connected() const { return client_->connected(); }
    // The last `limit` trades (0: all kept).
    void read_trades(std::string_view symbol, std::size_t limit, Handler handler);
    // The best `levels` per side (0: all).
    void read_depth(std::string_view symbol, std::size_t levels, Handler handler);
    // The ticker (last trade, best bid and ask) with the volume and trade
    // count of the 24 hours up to the minute of `now_s` (seconds since the
    // Unix epoch), as of one point. data_json: an object's members,
    // "trade_seq":..,"volume_24h":.. (no braces); seq: the last trade's.
    void read_ticker(std::string_view symbol, std::int64_t now_s, Handler handler);
    // Up to `count` entries of the channel's stream from seq `from` on
    // (inclusive), oldest first (the entry IDs are "<seq>-0").
    void read_history(std::string_view channel, std::uint64_t from, std::size_t count, HistoryHandler handler);

private:
    std::shared_ptr<redis::RedisClient> client_;
    std::string prefix_;
    std::string stream_prefix_;
};

}  // namespace tickcast::websocket
