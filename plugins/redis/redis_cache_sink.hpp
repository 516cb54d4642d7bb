// redis_cache: keeps, per symbol, the last N trades, the full depth book with
// its seq, and a ticker, for REST and for WebSocket snapshots. Key layout in
// docs/redis.md. Every write is an atomic, seq-checked script, so replays
// after a Kafka redelivery change nothing.
#pragma once

#include "redis_sink_base.hpp"

namespace tickcast::redis {

class RedisCacheSink final : public RedisSinkBase {
public:
    explicit RedisCacheSink(const ConfigNode& options);
    static OptionSpecs options();
    void start(SinkContext& context) override;

private:
    void write_event(const Event& e, Progress& progress) override;
    void on_connected() override;
    bool accept(const redisReply& reply, std::string& error) override;

    std::string trade_script_, depth_script_;
    std::string trade_sha_, depth_sha_;
    std::string trades_kept_, ttl_ms_;
    prometheus::Counter* applied_ = nullptr;
    prometheus::Counter* stale_ = nullptr;
    prometheus::Counter* skipped_ = nullptr;
    prometheus::Counter* gaps_ = nullptr;
};

// Cache keys for a symbol, shared with readers (the gateway, tests).
struct CacheKeys {
    std::string trades, depth, ticker, volume;
    CacheKeys(const std::string& prefix, std::string_view symbol)
        : trades(prefix + "trades:" + std::string(symbol)), depth(prefix + "depth:" + std::string(symbol)),
          ticker(prefix + "ticker:" + std::string(symbol)), volume(prefix + "volume:" + std::string(symbol)) {}
};

}  // namespace tickcast::redis
