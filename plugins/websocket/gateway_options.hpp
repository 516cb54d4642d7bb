// The websocket_server sink's options, parsed once from YAML (the table is
// documented in docs/configuration.md and printed by `tickcastd plugins`).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <tickcast/config.hpp>

namespace tickcast::websocket {

struct GatewayOptions {
    std::string listen;  // host:port; port 0 picks a free one
    std::string cache;   // name of a `redis` resource; empty: no snapshots, no REST data
    std::string prefix;  // cache key prefix (redis_cache's `prefix`)
    std::string stream_prefix;  // redis_stream's key prefix, for resumes (default: prefix)
    std::size_t max_connections = 10000;
    std::size_t max_subscriptions = 100;     // per connection
    std::size_t max_message_size = 16384;    // inbound, bytes
    double messages_per_second = 50;         // inbound, per connection (burst of as many)
    std::vector<std::string> allowed_origins;  // empty: any Origin
    std::size_t send_queue_limit = 4 << 20;  // outbound bytes queued per connection
    bool conflate_depth = false;             // past conflate_above, depth deltas give way to the latest state
    std::size_t conflate_above = 1 << 20;
    std::size_t coalesce_max_messages = 31;  // per frame, for clients that asked for coalescing (2n+1 buffers + header <= 64: one sendmsg)
    // Threads that start one batch's socket writes, the pipeline's own
    // included (WriteWorkers); 1: the pipeline thread alone.
    std::size_t write_threads = 1;
    std::chrono::nanoseconds heartbeat = std::chrono::seconds(5);  // 0: no heartbeats
    // HMAC secret for access tokens (auth_secret, or the environment variable
    // auth_secret_env names); empty: no authentication, private channels refused.
    // Never logged.
    std::string auth_secret;
    // TLS (wss:// and https://): PEM certificate chain and private key; empty: plain.
    std::string tls_cert, tls_key;

    GatewayOptions() = default;
    explicit GatewayOptions(const ConfigNode& options);
    static OptionSpecs specs();
};

}  // namespace tickcast::websocket
