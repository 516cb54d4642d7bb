// redis_pubsub (source side): SUBSCRIBE to plain channels and PSUBSCRIBE to
// patterns (or SSUBSCRIBE with `sharded`, plain channels only), and turn each
// message back into an Event. What was published while the connection was
// down is gone; the seq check marks and counts that gap.
#pragma once

#include <memory>

#include "redis_client.hpp"
#include "redis_source_base.hpp"

namespace tickcast::redis {

class RedisPubSubSource final : public RedisSourceBase {
public:
    explicit RedisPubSubSource(const ConfigNode& options);
    static OptionSpecs options();
    void start(SourceContext& context) override;

private:
    void subscribe();
    void on_message(const redisReply& reply);
    void on_backlog(bool full) override;
    void stop_reading() override;

    bool sharded_ = false;
    std::shared_ptr<RedisClient> client_;
    prometheus::Counter* malformed_ = nullptr;
    std::uint64_t malformed_count_ = 0;
};

}  // namespace tickcast::redis
