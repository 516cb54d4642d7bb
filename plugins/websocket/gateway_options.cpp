#include "gateway_options.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace tickcast::websocket {

OptionSpecs GatewayOptions::specs() {
    return {
        {"listen", OptionType::string, true, "", "host:port to serve WebSocket and REST on (port 0 picks a free one; the address is logged)"},
        {"cache", OptionType::resource, false, "", "A redis resource holding redis_cache's keys: snapshots on subscribe and REST answers", "redis"},
        {"prefix", OptionType::string, false, "tc:", "Key prefix the redis_cache sink uses"},
        {"stream_prefix", OptionType::string, false, "", "Key prefix of the redis_stream sink's streams in the cache's Redis, read to resume a subscription from a seq (default: prefix)"},
        {"max_connections", OptionType::integer, false, "10000", "WebSocket connections at once; more are closed with 1013"},
        {"max_subscriptions", OptionType::integer, false, "100", "Channels one connection may subscribe to"},
        {"max_message_size", OptionType::size, false, "16KiB", "Largest client message; a bigger one closes the connection with 1009"},
        {"messages_per_second", OptionType::integer, false, "50", "Client messages per second per connection (bursts of as many); more close it with 4029"},
        {"allowed_origins", OptionType::string_list, false, "", "Origins allowed to open a WebSocket (exact match); empty allows any, and requests without Origin are always allowed"},
        {"send_queue_limit", OptionType::size, false, "4MiB", "Outbound bytes queued per connection; past it the client is closed with 4008 (slow consumer)"},
        {"conflate_depth", OptionType::boolean, false, "false", "For a client with more than conflate_above bytes queued, replace its queued depth deltas of a channel by that channel's latest book (a snapshot with \"conflated\":true) instead of closing it; trades are never conflated"},
        {"conflate_above", OptionType::size, false, "1MiB", "The queued bytes past which conflate_depth applies (below send_queue_limit)"},
        {"coalesce_max_messages", OptionType::integer, false, "31", "Most messages in one frame for a client that connected with ?coalesce=1 (a frame also stops at 64KiB); 1 turns coalescing off. 31 messages make 63 buffers plus the frame header: the most one sendmsg takes (Asio gathers at most 64)"},
        {"write_threads", OptionType::integer, false, "0", "Threads that start the socket writes of one batch's fan-out, the pipeline's own included: 1 writes from the pipeline thread alone; 0 takes one per CPU core, at most 4. A write is mostly kernel time, so a second thread shortens the time to reach the last of many subscribers (by ~40% at 1,000 on two cores)"},
        {"heartbeat", OptionType::duration, false, "5s", "A quiet subscribed channel gets a heartbeat with its last seq this often; 0 disables"},
        {"tls", OptionType::map, false, "", "Serve wss:// and https:// only: {cert: PEM certificate chain file, key: PEM private key file}"},
        {"auth_secret", OptionType::string, false, "", "HMAC-SHA256 secret (at least 16 bytes) that signs access tokens for private orders.<user> channels; never logged"},
        {"auth_secret_env", OptionType::string, false, "", "Name of an environment variable holding the token secret (instead of auth_secret)"},
    };
}

namespace {
constexpr std::size_t min_secret = 16;

std::size_t positive(const ConfigNode& node, const char* what) {
    const std::int64_t v = node.as_int();
    if (v < 1) node.fail(std::string(what) + " must be at least 1, got " + node.text());
    return std::size_t(v);
}
}  // namespace

GatewayOptions::GatewayOptions(const ConfigNode& o)
    : listen(o["listen"].as_string()), prefix(o["prefix"].as_string()) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
        o["listen"].fail("expected host:port, e.g. 127.0.0.1:8080, got '" + listen + "'");
    if (o.has("cache")) cache = o["cache"].as_string();
    stream_prefix = o.has("stream_prefix") ? o["stream_prefix"].as_string() : prefix;
    max_connections = positive(o["max_connections"], "max_connections");
    max_subscriptions = positive(o["max_subscriptions"], "max_subscriptions");
    max_message_size = std::size_t(o["max_message_size"].as_size());
    if (max_message_size < 64) o["max_message_size"].fail("max_message_size must be at least 64 bytes");
    messages_per_second = double(positive(o["messages_per_second"], "messages_per_second"));
    if (o.has("allowed_origins")) allowed_origins = o["allowed_origins"].as_strings();
    send_queue_limit = std::size_t(o["send_queue_limit"].as_size());
    if (send_queue_limit < 1024) o["send_queue_limit"].fail("send_queue_limit must be at least 1KiB");
    heartbeat = o["heartbeat"].as_duration();
    coalesce_max_messages = positive(o["coalesce_max_messages"], "coalesce_max_messages");
    const std::int64_t threads = o["write_threads"].as_int();
    if (threads < 0 || threads > 64) o["write_threads"].fail("write_threads must be 0 (one per core, at most 4) to 64, got " + o["write_threads"].text());
    write_threads = threads > 0 ? std::size_t(threads) : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
    conflate_depth = o["conflate_depth"].as_bool();
    conflate_above = std::size_t(o["conflate_above"].as_size());
    if (conflate_depth && conflate_above >= send_queue_limit)
        o["conflate_above"].fail("conflate_above (" + std::to_string(conflate_above) + " bytes) must be below send_queue_limit (" +
                                 std::to_string(send_queue_limit) + " bytes)");
    if (o.has("tls")) {
        const ConfigNode tls = o["tls"];
        if (!tls.is_map()) tls.fail("tls must be a map {cert: PATH, key: PATH}");
        for (const auto& [key, value] : tls.entries())
            if (key.text() != "cert" && key.text() != "key") key.fail("unknown key '" + key.text() + "' in tls; expected cert and key");
        if (!tls.has("cert") || !tls.has("key")) tls.fail("tls needs both cert and key (PEM file paths)");
        for (const char* name : {"cert", "key"}) {
            const std::string path = tls[name].as_string();
            if (!std::ifstream(path)) tls[name].fail("cannot read the TLS " + std::string(name) + " file '" + path + "'");
        }
        tls_cert = tls["cert"].as_string();
        tls_key = tls["key"].as_string();
    }
    if (o.has("auth_secret") && o.has("auth_secret_env"))
        o["auth_secret_env"].fail("give either auth_secret or auth_secret_env, not both");
    if (o.has("auth_secret")) {
        auth_secret = o["auth_secret"].as_string();
        if (auth_secret.size() < min_secret) o["auth_secret"].fail("auth_secret must be at least 16 bytes");
    } else if (o.has("auth_secret_env")) {
        const std::string name = o["auth_secret_env"].as_string();
        const char* value = std::getenv(name.c_str());
        if (!value) o["auth_secret_env"].fail("the environment variable '" + name + "' is not set");
        auth_secret = value;
        if (auth_secret.size() < min_secret)
            o["auth_secret_env"].fail("the secret in the environment variable '" + name + "' must be at least 16 bytes");
    }
}

}  // namespace tickcast::websocket
