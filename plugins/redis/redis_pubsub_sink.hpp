// redis_pubsub (sink side): PUBLISH each event to the Redis channel
// <prefix><event channel>, encoded once (wire.hpp); SPUBLISH when `sharded`.
// Pub/Sub keeps nothing: a subscriber that is away misses what is published
// meanwhile, and the source side reports that gap by seq. A loss at the tail
// of a channel has no later seq to reveal it, so every `heartbeat` the sink
// also publishes, for each channel that was quiet since the last beat and
// had an event within `heartbeat_for`, a payload-less message carrying the
// channel's last seq (event_flags::heartbeat). Channels quiet for longer are
// forgotten, so a million idle orders.<user> channels cost nothing.
#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include "redis_sink_base.hpp"

namespace tickcast::redis {

class RedisPubSubSink final : public RedisSinkBase {
public:
    explicit RedisPubSubSink(const ConfigNode& options);
    static OptionSpecs options();

    void start(SinkContext& context) override;
    void stop() override;

private:
    struct ChannelState {
        std::uint64_t last_seq = 0;
        bool active = false;  // published since the last beat
        std::int64_t quiet_beats = 0;
    };

    void write_event(const Event& e, Progress& progress) override;
    void schedule_beat();
    void beat();

    const char* verb_;
    std::chrono::milliseconds heartbeat_;
    std::int64_t beats_kept_ = 0;  // heartbeat_for / heartbeat
    std::unordered_map<std::string, ChannelState> channels_;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    prometheus::Counter* beats_ = nullptr;
    std::string channel_, message_;  // one PUBLISH's arguments, reused
};

}  // namespace tickcast::redis
