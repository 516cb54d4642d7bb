// The `redis` resource: one Redis server, declared once and used by the
// cache, Pub/Sub and Streams plugins. It holds the parsed address and
// credentials; each plugin opens its own connections on its own executor
// (a subscriber or a blocking XREAD needs a connection to itself anyway).
#pragma once

#include <memory>

#include <tickcast/tickcast.hpp>

#include "redis_client.hpp"
#include "redis_endpoint.hpp"

namespace tickcast::redis {

class RedisResource final : public Resource {
public:
    explicit RedisResource(const ConfigNode& options);
    static OptionSpecs options();

    void start(ResourceContext& context) override;

    // A new, unstarted client for `context`'s executor, logging through it.
    std::shared_ptr<RedisClient> make_client(PluginContext& context, const std::string& name, bool subscriber) const;
    const RedisEndpoint& endpoint() const { return endpoint_; }

private:
    RedisEndpoint endpoint_;
    RedisClient::Options client_options_;
};

// The Redis resource a plugin's `redis:` option names (validated as a
// 'redis' resource before anything starts).
std::shared_ptr<RedisResource> redis_resource(PluginContext& context, const std::string& name);

}  // namespace tickcast::redis
