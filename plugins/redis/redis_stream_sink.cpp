#include "redis_stream_sink.hpp"

#include <algorithm>

#include "wire.hpp"

namespace tickcast::redis {

OptionSpecs RedisStreamSink::options() {
    OptionSpecs o = common_options();
    o.push_back({"maxlen", OptionType::integer, false, "10000", "Entries kept per stream (MAXLEN), the history a resuming reader can use"});
    o.push_back({"exact_trim", OptionType::boolean, false, "false", "Trim to exactly maxlen (slower) instead of MAXLEN ~ (whole nodes)"});
    return o;
}

RedisStreamSink::RedisStreamSink(const ConfigNode& o)
    : RedisSinkBase(o, "xadd"), approximate_(!o["exact_trim"].as_bool()) {
    const std::int64_t n = o["maxlen"].as_int();
    if (n < 1) o["maxlen"].fail("maxlen must be at least 1");
    maxlen_ = std::to_string(n);
}

void RedisStreamSink::start(SinkContext& context) {
    duplicates_ = &context.metrics().counter("tickcast_redis_stream_duplicates_total",
                                             "Events Redis refused because their seq was already in the stream (replays)");
    announce_key_ = prefix() + std::string(new_streams_key);
    RedisSinkBase::start(context);
}

bool RedisStreamSink::accept_one(const redisReply& reply, std::string& error) {
    // A replay: "ERR The ID specified in XADD is equal or smaller than the
    // target stream top item", as the reply to a plain XADD or in EXEC's.
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
    // EXEC's: per XADD the new entry's ID, or the error it met.
    bool ok = true;
    for (std::size_t i = 0; i < reply.elements; ++i)
        if (reply.element[i]->type == REDIS_REPLY_ERROR && !accept_one(*reply.element[i], error)) ok = false;
    return ok;
}

void RedisStreamSink::write_events(std::span<const Event* const> events, Progress& progress) {
    // One command per stream, its entries in batch order; events of other
    // streams keep their own order, since each stream is separate.
    same_stream_.assign(events.begin(), events.end());
    std::stable_sort(same_stream_.begin(), same_stream_.end(), [](const Event* a, const Event* b) { return a->channel < b->channel; });
    for (std::size_t i = 0; i < same_stream_.size();) {
        std::size_t j = i + 1;
        while (j < same_stream_.size() && same_stream_[j]->channel == same_stream_[i]->channel) ++j;
        write_run(std::span<const Event* const>(same_stream_).subspan(i, j - i), progress);
        i = j;
    }
}

void RedisStreamSink::write_event(const Event& e, Progress& progress) {
    const Event* one = &e;
    write_run(std::span(&one, 1), progress);
}

void RedisStreamSink::write_run(std::span<const Event* const> run, Progress& progress) {
    // Every text first, then the views into it: the buffer must not move under them.
    text_.assign(prefix()).append(run.front()->channel);
    ends_.assign(1, text_.size());
    for (const Event* e : run) append_entry_texts(text_, ends_, *e, stamped_hops(*e));
    const std::string_view all(text_);
    // text(0) is the stream's key; entry k's ID, seq, ts and hops are text(1 + 4k) to text(4 + 4k).
    auto text = [&](std::size_t n) {
        const std::size_t from = n == 0 ? 0 : ends_[n - 1];
        return all.substr(from, ends_[n] - from);
    };
    const std::string_view trim = approximate_ ? "~" : "=";
    args_.clear();
    for (std::size_t k = 0; k < run.size(); ++k) {
        const std::size_t t = 1 + 4 * k;
        args_.insert(args_.end(), {"XADD", text(0), "MAXLEN", trim, maxlen_, text(t), "seq", text(t + 1), "ts", text(t + 2), "key",
                                   run[k]->key, "hops", text(t + 3), "payload", run[k]->payload_view()});
    }
    if (run.size() == 1) {
        send(args_, progress);
    } else {
        // Entry k's XADD is the k-th of equal slices.
        const std::size_t arity = args_.size() / run.size();
        commands_.clear();
        for (std::size_t k = 0; k < run.size(); ++k) commands_.push_back(std::span<const std::string_view>(args_).subspan(arity * k, arity));
        send_transaction(commands_, progress);
    }
    // After the entries, on the same connection, so a reader that hears of the
    // stream finds them in it. Not part of the batch: a lost announcement
    // only leaves the stream to the readers' next SCAN.
    if (!announced_.contains(text(0))) {
        announced_.emplace(text(0));
        client().command({"XADD", announce_key_, "MAXLEN", "~", new_streams_maxlen, "*", "key", text(0)});
    }
}

}  // namespace tickcast::redis
