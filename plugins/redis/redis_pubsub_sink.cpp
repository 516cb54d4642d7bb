#include "redis_pubsub_sink.hpp"

#include "wire.hpp"

namespace tickcast::redis {

OptionSpecs RedisPubSubSink::options() {
    OptionSpecs o = common_options();
    o.push_back({"sharded", OptionType::boolean, false, "false", "Use Redis 7 sharded Pub/Sub (SPUBLISH), for Redis Cluster"});
    return o;
}

RedisPubSubSink::RedisPubSubSink(const ConfigNode& o)
    : RedisSinkBase(o, "publish"), verb_(o["sharded"].as_bool() ? "SPUBLISH" : "PUBLISH") {}

void RedisPubSubSink::write_event(const Event& e, const std::shared_ptr<Progress>& progress) {
    const std::string channel = prefix() + e.channel;
    const std::string message = encode_message(e, stamped_hops(e));
    send({verb_, channel, message}, progress);
}

}  // namespace tickcast::redis
