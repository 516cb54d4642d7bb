// redis_stream (sink side): XADD each event to the stream <prefix><channel>,
// capped with MAXLEN ~ maxlen. The entry ID is "<seq>-0", so Redis itself
// refuses a replayed event (its ID is not above the stream's top) and a
// reader can resume from any seq. Events without a seq get auto IDs.
//
// A batch's entries for one stream go in one transaction (MULTI, an XADD
// each, EXEC), so Redis serves a reader blocked in XREAD once, with all of
// them, rather than first with one entry and then, a round trip later, with
// the rest. A replayed entry fails alone inside it; the others are added.
// (A Lua script did the same at 1.4 times Redis's CPU per entry.)
//
// The first time it writes to a stream, it also announces the stream's key
// on <prefix>tickcast:new-streams (wire.hpp), after the entries, so that
// readers with patterns read the new stream at once.
#pragma once

#include <set>

#include "redis_sink_base.hpp"

namespace tickcast::redis {

class RedisStreamSink final : public RedisSinkBase {
public:
    explicit RedisStreamSink(const ConfigNode& options);
    static OptionSpecs options();
    void start(SinkContext& context) override;

private:
    void write_event(const Event& e, Progress& progress) override;
    void write_events(std::span<const Event* const> events, Progress& progress) override;
    bool accept(const redisReply& reply, std::string& error) override;
    bool accept_one(const redisReply& reply, std::string& error);
    // One stream's entries of a batch: a plain XADD for one, else one transaction.
    void write_run(std::span<const Event* const> run, Progress& progress);

    std::string maxlen_;
    // Reused per batch: the events sorted by stream, and one command's texts
    // (one buffer, `ends_` marking where each ends) and arguments.
    std::vector<const Event*> same_stream_;
    std::string text_;
    std::vector<std::size_t> ends_;
    std::vector<std::string_view> args_;
    std::vector<std::span<const std::string_view>> commands_;
    bool approximate_ = true;
    prometheus::Counter* duplicates_ = nullptr;
    std::string announce_key_;                   // <prefix>tickcast:new-streams
    std::set<std::string, std::less<>> announced_;  // streams this sink has announced
};

}  // namespace tickcast::redis
