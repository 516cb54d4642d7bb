#include "redis_cache_sink.hpp"

#include "cache_scripts.hpp"

namespace tickcast::redis {

OptionSpecs RedisCacheSink::options() {
    OptionSpecs o = common_options();
    o.push_back({"trades_kept", OptionType::integer, false, "100", "Recent trades kept per symbol (a capped list, newest first)"});
    o.push_back({"ttl", OptionType::duration, false, "0", "Expiry of each symbol's trades list, refreshed on every trade; 0 keeps it"});
    return o;
}

RedisCacheSink::RedisCacheSink(const ConfigNode& o)
    : RedisSinkBase(o, "cache"),
      trade_script_(std::string(scripts::decimal_helpers) + scripts::volume_helpers + scripts::apply_trade),
      depth_script_(std::string(scripts::decimal_helpers) + scripts::apply_depth),
      trade_sha_(script_sha1(trade_script_)), depth_sha_(script_sha1(depth_script_)) {
    const std::int64_t kept = o["trades_kept"].as_int();
    if (kept < 1) o["trades_kept"].fail("trades_kept must be at least 1");
    trades_kept_ = std::to_string(kept);
    ttl_ms_ = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(o["ttl"].as_duration()).count());
}

void RedisCacheSink::start(SinkContext& context) {
    applied_ = &context.metrics().counter("tickcast_redis_cache_applied_total", "Trade and depth events applied to the cache");
    stale_ = &context.metrics().counter("tickcast_redis_cache_stale_total", "Events ignored because their seq was not newer (replays)");
    skipped_ = &context.metrics().counter("tickcast_redis_cache_skipped_total", "Events on channels the cache does not keep");
    gaps_ = &context.metrics().counter("tickcast_redis_cache_gaps_total",
                                       "Depth events refused because the cached book lacks the events before them");
    RedisSinkBase::start(context);
}

void RedisCacheSink::on_connected() {
    // After a Redis restart the script cache is empty: load before anything else runs.
    client().command({"SCRIPT", "LOAD", trade_script_});
    client().command({"SCRIPT", "LOAD", depth_script_});
}

bool RedisCacheSink::accept(const redisReply& reply, std::string& error) {
    if (reply.type == REDIS_REPLY_INTEGER) {
        if (reply.integer >= 0) {
            (reply.integer == 1 ? applied_ : stale_)->Increment();
            return true;
        }
        // Handled, though not applied: the book cannot take it, now or on a retry.
        if (gaps_->Value() < 10)
            context().log().warn("a depth event skips seqs its cached book never had (Redis lost data?): the book stays as of "
                                 "its seq until market-events is replayed from the start");
        gaps_->Increment();
        return true;
    }
    return RedisSinkBase::accept(reply, error);
}

void RedisCacheSink::write_event(const Event& e, Progress& progress) {
    const std::string_view channel = e.channel;
    const auto dot = channel.find('.');
    const std::string_view kind = channel.substr(0, dot);
    if (dot == std::string_view::npos || (kind != "trades" && kind != "depth")) {
        skipped_->Increment();
        return;
    }
    const CacheKeys keys(prefix(), channel.substr(dot + 1));
    const std::string seq = std::to_string(e.seq);
    if (kind == "trades") {
        const std::string ts = std::to_string(e.origin_ns);
        send({"EVALSHA", trade_sha_, "3", keys.trades, keys.ticker, keys.volume, seq, e.payload_view(), trades_kept_, ttl_ms_, ts},
             progress);
    } else {
        send({"EVALSHA", depth_sha_, "2", keys.depth, keys.ticker, seq, e.payload_view()}, progress);
    }
}

}  // namespace tickcast::redis
