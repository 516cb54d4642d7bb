// redis_stream (sink side): XADD each event to the stream <prefix><channel>,
// capped with MAXLEN ~ maxlen. The entry ID is "<seq>-0", so Redis itself
// refuses a replayed event (its ID is not above the stream's top) and a
// reader can resume from any seq. Events without a seq get auto IDs.
#pragma once

#include "redis_sink_base.hpp"

namespace tickcast::redis {

class RedisStreamSink final : public RedisSinkBase {
public:
    explicit RedisStreamSink(const ConfigNode& options);
    static OptionSpecs options();
    void start(SinkContext& context) override;

private:
    void write_event(const Event& e, Progress& progress) override;
    bool accept(const redisReply& reply, std::string& error) override;

    std::string maxlen_;
    bool approximate_ = true;
    prometheus::Counter* duplicates_ = nullptr;
};

}  // namespace tickcast::redis
