#include "redis_stream_sink.hpp"

#include "wire.hpp"

namespace tickcast::redis {

OptionSpecs RedisStreamSink::options() {
    OptionSpecs o = common_options();
    o.push_back({"maxlen", OptionType::integer, false, "10000", "Entries kept per stream (MAXLEN), the history a resuming reader can use"});
    o.push_back({"exact_trim", OptionType::boolean, false, "false", "Trim to exactly maxlen (slower) instead of MAXLEN ~ (whole nodes)"});
    return o;
}

RedisStreamSink::RedisStreamSink(const ConfigNode& o) : RedisSinkBase(o, "xadd"), approximate_(!o["exact_trim"].as_bool()) {
    const std::int64_t n = o["maxlen"].as_int();
    if (n < 1) o["maxlen"].fail("maxlen must be at least 1");
    maxlen_ = std::to_string(n);
}

void RedisStreamSink::start(SinkContext& context) {
    duplicates_ = &context.metrics().counter("tickcast_redis_stream_duplicates_total",
                                             "Events Redis refused because their seq was already in the stream (replays)");
    RedisSinkBase::start(context);
}

bool RedisStreamSink::accept(const redisReply& reply, std::string& error) {
    // "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    if (reply.type == REDIS_REPLY_ERROR && std::string_view(reply.str, reply.len).find("equal or smaller") != std::string_view::npos) {
        duplicates_->Increment();
        return true;
    }
    return RedisSinkBase::accept(reply, error);
}

void RedisStreamSink::write_event(const Event& e, Progress& progress) {
    const std::string key = prefix() + e.channel;
    const std::string id = e.seq == 0 ? "*" : std::to_string(e.seq) + "-0";
    const std::string seq = std::to_string(e.seq), ts = std::to_string(e.origin_ns), hops = encode_hops(stamped_hops(e));
    send({"XADD", key, "MAXLEN", approximate_ ? "~" : "=", maxlen_, id, "seq", seq, "ts", ts, "key", e.key, "hops", hops,
          "payload", e.payload_view()},
         progress);
}

}  // namespace tickcast::redis
