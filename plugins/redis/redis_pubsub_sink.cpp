#include "redis_pubsub_sink.hpp"

#include "wire.hpp"

namespace tickcast::redis {

OptionSpecs RedisPubSubSink::options() {
    OptionSpecs o = common_options();
    o.push_back({"sharded", OptionType::boolean, false, "false", "Use Redis 7 sharded Pub/Sub (SPUBLISH), for Redis Cluster"});
    o.push_back({"heartbeat", OptionType::duration, false, "1s",
                 "How often a quiet channel's last seq is published, so a subscriber learns of a loss at the tail; 0 for never"});
    o.push_back({"heartbeat_for", OptionType::duration, false, "1m", "How long after its last event a channel still gets heartbeats"});
    return o;
}

RedisPubSubSink::RedisPubSubSink(const ConfigNode& o)
    : RedisSinkBase(o, "publish"), verb_(o["sharded"].as_bool() ? "SPUBLISH" : "PUBLISH"),
      heartbeat_(std::chrono::duration_cast<std::chrono::milliseconds>(o["heartbeat"].as_duration())) {
    if (heartbeat_.count() > 0) beats_kept_ = std::max<std::int64_t>(1, o["heartbeat_for"].as_duration() / heartbeat_);
}

void RedisPubSubSink::start(SinkContext& context) {
    RedisSinkBase::start(context);
    beats_ = &context.metrics().counter("tickcast_redis_heartbeats_total", "Heartbeats published for quiet Pub/Sub channels");
    timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
    schedule_beat();
}

void RedisPubSubSink::stop() {
    if (timer_) timer_->cancel();
    RedisSinkBase::stop();
}

void RedisPubSubSink::write_event(const Event& e, Progress& progress) {
    // Reused buffers: the command is encoded before send() returns.
    channel_.assign(prefix()).append(e.channel);
    message_.clear();
    append_message(message_, e, stamped_hops(e));
    send({verb_, channel_, message_}, progress);
    if (heartbeat_.count() > 0 && e.seq != 0) {
        ChannelState& c = channels_[e.channel];
        c.last_seq = std::max(c.last_seq, e.seq);
        c.active = true;
        c.quiet_beats = 0;
    }
}

void RedisPubSubSink::schedule_beat() {
    if (heartbeat_.count() <= 0) return;
    timer_->expires_after(heartbeat_);
    timer_->async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        beat();
        schedule_beat();
    });
}

void RedisPubSubSink::beat() {
    // On the sink's executor, like write_event: the beat follows the channel's
    // last PUBLISH on the same connection, so Redis delivers it after that.
    Event hb;
    hb.flags = event_flags::heartbeat;
    for (auto it = channels_.begin(); it != channels_.end();) {
        ChannelState& c = it->second;
        if (std::exchange(c.active, false)) {  // its events speak for it
            ++it;
            continue;
        }
        if (c.quiet_beats++ >= beats_kept_) {
            it = channels_.erase(it);
            continue;
        }
        hb.seq = c.last_seq;
        hb.origin_ns = now_ns();
        const std::string channel = prefix() + it->first;
        const std::string message = encode_message(hb);
        client().command({verb_, channel, message});
        beats_->Increment();
        ++it;
    }
}

}  // namespace tickcast::redis
