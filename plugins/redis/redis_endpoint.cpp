#include "redis_endpoint.hpp"

#include <charconv>

namespace tickcast::redis {

std::string RedisEndpoint::display() const {
    const std::string where = socket_path.empty() ? host + ":" + std::to_string(port) : "unix:" + socket_path;
    return db == 0 ? where : where + "/" + std::to_string(db);
}

namespace {

bool parse_int(std::string_view s, int& out, int lo, int hi) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

// Splits "user:password@rest" into credentials and rest.
void take_credentials(std::string& rest, RedisEndpoint& e) {
    const auto at = rest.rfind('@');
    if (at == std::string::npos) return;
    const std::string creds = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = creds.find(':');
    if (colon == std::string::npos) {
        e.password = creds;  // redis://secret@host: a password alone
    } else {
        e.user = creds.substr(0, colon);
        e.password = creds.substr(colon + 1);
    }
}

// The URL as an error may quote it: credentials (anything before the last
// '@' after the scheme) become "***". The URL often comes from an
// environment variable (${REDIS_URL}) precisely to keep the password out of
// files; tickcastd validate and the log must not print it either.
std::string redacted(const std::string& url) {
    const auto at = url.rfind('@');
    if (at == std::string::npos) return url;
    const auto scheme = url.find("://");
    const std::size_t from = scheme != std::string::npos && scheme < at ? scheme + 3 : 0;
    return url.substr(0, from) + "***" + url.substr(at);
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(const std::string& url, std::string& error) {
    RedisEndpoint e;
    if (url.rfind("unix://", 0) == 0) {
        std::string rest = url.substr(7);
        take_credentials(rest, e);
        const auto q = rest.find('?');
        e.socket_path = rest.substr(0, q);
        if (e.socket_path.empty() || e.socket_path[0] != '/') {
            error = "a unix socket URL needs an absolute path: unix:///path/to/redis.sock";
            return std::nullopt;
        }
        if (q != std::string::npos) {
            const std::string query = rest.substr(q + 1);
            if (query.rfind("db=", 0) != 0 || !parse_int(std::string_view(query).substr(3), e.db, 0, 1 << 20)) {
                error = "unsupported query '" + query + "'; only ?db=N is understood";
                return std::nullopt;
            }
        }
        return e;
    }
    if (url.rfind("redis://", 0) != 0) {
        error = "expected redis://[user:password@]host[:port][/db] or unix:///path, got '" + redacted(url) + "'";
        return std::nullopt;
    }
    std::string rest = url.substr(8);
    take_credentials(rest, e);
    const auto slash = rest.find('/');
    if (slash != std::string::npos) {
        const std::string db = rest.substr(slash + 1);
        if (!db.empty() && !parse_int(db, e.db, 0, 1 << 20)) {
            error = "database '" + db + "' is not a number";
            return std::nullopt;
        }
        rest = rest.substr(0, slash);
    }
    const auto colon = rest.rfind(':');
    e.host = rest.substr(0, colon);
    if (colon != std::string::npos) {
        int port = 0;
        if (!parse_int(std::string_view(rest).substr(colon + 1), port, 1, 65535)) {
            error = "port '" + rest.substr(colon + 1) + "' is not a number from 1 to 65535";
            return std::nullopt;
        }
        e.port = static_cast<unsigned short>(port);
    }
    if (e.host.empty()) {
        error = "no host in '" + redacted(url) + "'";
        return std::nullopt;
    }
    return e;
}

}  // namespace tickcast::redis
