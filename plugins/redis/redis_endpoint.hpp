// Where a Redis server is and how to log in: parsed from a URL.
//   redis://[[user]:password@]host[:port][/db]    (port 6379, db 0 by default)
//   unix:///path/to/redis.sock[?db=N]             (credentials as for redis://, before the path)
#pragma once

#include <optional>
#include <string>

namespace tickcast::redis {

struct RedisEndpoint {
    std::string host;         // empty for a unix socket
    unsigned short port = 6379;
    std::string socket_path;  // set for unix sockets
    std::string user;         // Redis 6 ACL user; empty for the default user
    std::string password;     // empty: no AUTH
    int db = 0;

    // host:port or the socket path, never the password: safe for logs and metrics.
    std::string display() const;
};

// Parses `url`; on failure returns nullopt and sets `error` to what is wrong.
std::optional<RedisEndpoint> parse_redis_url(const std::string& url, std::string& error);

}  // namespace tickcast::redis
