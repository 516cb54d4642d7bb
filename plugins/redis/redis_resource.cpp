#include "redis_resource.hpp"

#include <cstdlib>

namespace tickcast::redis {

OptionSpecs RedisResource::options() {
    return {
        {"url", OptionType::string, true, "", "redis://[user:password@]host:port/db or unix:///path/redis.sock[?db=N]"},
        {"password_env", OptionType::string, false, "", "Name of an environment variable holding the password (overrides the URL's; keeps the secret out of the file)"},
        {"connect_timeout", OptionType::duration, false, "2s", "Give up one connection attempt after this long"},
        {"reconnect_max", OptionType::duration, false, "5s", "Longest wait between reconnection attempts (backoff doubles from 100ms up to this)"},
    };
}

RedisResource::RedisResource(const ConfigNode& o) {
    std::string error;
    auto parsed = parse_redis_url(o["url"].as_string(), error);
    if (!parsed) o["url"].fail("bad Redis URL: " + error);
    endpoint_ = *parsed;
    if (o.has("password_env")) {
        const std::string var = o["password_env"].as_string();
        const char* value = std::getenv(var.c_str());
        if (!value) o["password_env"].fail("environment variable '" + var + "' is not set");
        endpoint_.password = value;
    }
    client_options_.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(o["connect_timeout"].as_duration());
    client_options_.backoff_max = std::chrono::duration_cast<std::chrono::milliseconds>(o["reconnect_max"].as_duration());
    if (client_options_.backoff_max < client_options_.backoff_min) client_options_.backoff_max = client_options_.backoff_min;
}

void RedisResource::start(ResourceContext& context) {
    context.log().info("Redis at {}", endpoint_.display());
}

std::shared_ptr<RedisClient> RedisResource::make_client(PluginContext& context, const std::string& name, bool subscriber) const {
    RedisClient::Options o = client_options_;
    o.name = name;
    o.subscriber = subscriber;
    // The context owns its logger and outlives the plugin that owns the client.
    std::shared_ptr<spdlog::logger> log(std::shared_ptr<void>(), &context.log());
    return std::make_shared<RedisClient>(context.executor(), endpoint_, std::move(o), std::move(log), &context.metrics());
}

std::shared_ptr<RedisResource> redis_resource(PluginContext& context, const std::string& name) {
    return context.resource_as<RedisResource>(name);
}

}  // namespace tickcast::redis
