// redis_pubsub (sink side): PUBLISH each event to the Redis channel
// <prefix><event channel>, encoded once (wire.hpp); SPUBLISH when `sharded`.
// Pub/Sub keeps nothing: a subscriber that is away misses what is published
// meanwhile, and the source side reports that gap by seq.
#pragma once

#include "redis_sink_base.hpp"

namespace tickcast::redis {

class RedisPubSubSink final : public RedisSinkBase {
public:
    explicit RedisPubSubSink(const ConfigNode& options);
    static OptionSpecs options();

private:
    void write_event(const Event& e, const std::shared_ptr<Progress>& progress) override;
    const char* verb_;
};

}  // namespace tickcast::redis
