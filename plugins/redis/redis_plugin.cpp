// Registration of the Redis plugins: the `redis` resource, the cache, and
// push through Pub/Sub or Streams (each both a sink and a source, so that
// swapping one for the other in YAML is a change of plugin name and options).
#include <tickcast/tickcast.hpp>

#include "redis_cache_sink.hpp"
#include "redis_pubsub_sink.hpp"
#include "redis_pubsub_source.hpp"
#include "redis_resource.hpp"
#include "redis_stream_sink.hpp"
#include "redis_stream_source.hpp"

namespace {

template <class T>
auto factory() {
    return [](const tickcast::ConfigNode& o) { return std::make_unique<T>(o); };
}

void register_plugins(tickcast::PluginRegistry& r) {
    using namespace tickcast;
    using namespace tickcast::redis;
    r.add_resource({"redis", PluginKind::resource, "A Redis server (URL, credentials, reconnect policy)", RedisResource::options()},
                   factory<RedisResource>());
    r.add_sink({"redis_cache", PluginKind::sink, "Keeps recent trades, the depth book and a ticker per symbol in Redis",
                RedisCacheSink::options()},
               factory<RedisCacheSink>());
    r.add_sink({"redis_pubsub", PluginKind::sink, "Publishes each event to a Redis Pub/Sub channel", RedisPubSubSink::options()},
               factory<RedisPubSubSink>());
    r.add_source({"redis_pubsub", PluginKind::source, "Subscribes to Redis Pub/Sub channels and patterns; reports seq gaps",
                  RedisPubSubSource::options()},
                 factory<RedisPubSubSource>());
    r.add_sink({"redis_stream", PluginKind::sink, "Appends each event to a Redis Stream per channel (MAXLEN ~)", RedisStreamSink::options()},
               factory<RedisStreamSink>());
    r.add_source({"redis_stream", PluginKind::source, "Reads Redis Streams from the last ID, resumable by seq; optional consumer group",
                  RedisStreamSource::options()},
                 factory<RedisStreamSource>());
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("redis", TICKCAST_SDK_VERSION, register_plugins)
