#include "redis_stream_sink.hpp"

#include <algorithm>

#include "wire.hpp"

namespace tickcast::redis {

namespace {
// KEYS[1]: the stream. ARGV: MAXLEN's "~" or "=", maxlen, then per entry
// id, seq, ts, key, hops, payload. Returns per entry 1, or the error text
// (a replay's "equal or smaller" included) without stopping the others.
constexpr std::string_view xadd_script = R"lua(
local out = {}
for b = 3, #ARGV, 6 do
  local r = redis.pcall('XADD', KEYS[1], 'MAXLEN', ARGV[1], ARGV[2], ARGV[b], 'seq', ARGV[b + 1], 'ts', ARGV[b + 2],
                        'key', ARGV[b + 3], 'hops', ARGV[b + 4], 'payload', ARGV[b + 5])
  if type(r) == 'table' and r.err then out[#out + 1] = r.err else out[#out + 1] = 1 end
end
return out
)lua";
}  // namespace

OptionSpecs RedisStreamSink::options() {
    OptionSpecs o = common_options();
    o.push_back({"maxlen", OptionType::integer, false, "10000", "Entries kept per stream (MAXLEN), the history a resuming reader can use"});
    o.push_back({"exact_trim", OptionType::boolean, false, "false", "Trim to exactly maxlen (slower) instead of MAXLEN ~ (whole nodes)"});
    return o;
}

RedisStreamSink::RedisStreamSink(const ConfigNode& o)
    : RedisSinkBase(o, "xadd"), script_sha_(script_sha1(xadd_script)), approximate_(!o["exact_trim"].as_bool()) {
    const std::int64_t n = o["maxlen"].as_int();
    if (n < 1) o["maxlen"].fail("maxlen must be at least 1");
    maxlen_ = std::to_string(n);
}

void RedisStreamSink::start(SinkContext& context) {
    duplicates_ = &context.metrics().counter("tickcast_redis_stream_duplicates_total",
                                             "Events Redis refused because their seq was already in the stream (replays)");
    RedisSinkBase::start(context);
}

void RedisStreamSink::on_connected() {
    // After a Redis restart the script cache is empty: load before anything else runs.
    client().command({"SCRIPT", "LOAD", xadd_script});
}

bool RedisStreamSink::accept_one(const redisReply& reply, std::string& error) {
    // A replay: "ERR The ID specified in XADD is equal or smaller than the
    // target stream top item", as an error reply to a plain XADD or as a
    // string in the script's results.
    const std::string_view text(reply.str ? reply.str : "", reply.str ? reply.len : 0);
    if (text.find("equal or smaller") != std::string_view::npos) {
        duplicates_->Increment();
        return true;
    }
    error = std::string(text);
    return false;
}

bool RedisStreamSink::accept(const redisReply& reply, std::string& error) {
    if (reply.type == REDIS_REPLY_ERROR) return accept_one(reply, error);
    if (reply.type != REDIS_REPLY_ARRAY) return RedisSinkBase::accept(reply, error);  // a plain XADD's ID
    // The script's results: 1 per entry added, else the error's text.
    bool ok = true;
    for (std::size_t i = 0; i < reply.elements; ++i)
        if (reply.element[i]->type != REDIS_REPLY_INTEGER && !accept_one(*reply.element[i], error)) ok = false;
    return ok;
}

void RedisStreamSink::write_events(std::span<const Event* const> events, Progress& progress) {
    // One script run per stream, its entries in batch order; events of
    // other streams keep their own order, since each stream is separate.
    same_stream_.assign(events.begin(), events.end());
    std::stable_sort(same_stream_.begin(), same_stream_.end(), [](const Event* a, const Event* b) { return a->channel < b->channel; });
    for (std::size_t i = 0; i < same_stream_.size();) {
        std::size_t j = i + 1;
        while (j < same_stream_.size() && same_stream_[j]->channel == same_stream_[i]->channel) ++j;
        if (j - i == 1) {
            write_event(*same_stream_[i], progress);
            i = j;
            continue;
        }
        texts_.clear();
        texts_.push_back(prefix() + same_stream_[i]->channel);
        for (std::size_t k = i; k < j; ++k) {
            const Event& e = *same_stream_[k];
            texts_.push_back(e.seq == 0 ? "*" : std::to_string(e.seq) + "-0");
            texts_.push_back(std::to_string(e.seq));
            texts_.push_back(std::to_string(e.origin_ns));
            texts_.push_back(encode_hops(stamped_hops(e)));
        }
        args_.assign({"EVALSHA", script_sha_, "1", texts_[0], approximate_ ? "~" : "=", maxlen_});
        for (std::size_t k = i, t = 1; k < j; ++k, t += 4) {
            const Event& e = *same_stream_[k];
            args_.insert(args_.end(), {texts_[t], texts_[t + 1], texts_[t + 2], e.key, texts_[t + 3], e.payload_view()});
        }
        send(args_, progress);
        i = j;
    }
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
