// Access tokens for private channels (docs/protocol.md, "Authentication").
//
//   token = USER "." EXP "." hex(HMAC-SHA256(secret, USER "." EXP))
//
// USER is 1-64 of [A-Za-z0-9._-] (it names the channel orders.USER), EXP the
// expiry in Unix seconds, the signature 64 lowercase hex digits. Anyone who
// holds the secret can mint one with the openssl CLI (scripts/token.sh).
//
// Thread-safety: a TokenVerifier is immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tickcast::websocket {

struct TokenCheck {
    bool ok = false;
    std::string user;
    std::int64_t expires = 0;  // Unix seconds
    std::string_view code;     // error_code::bad_token or error_code::token_expired when !ok
    std::string message;
};

class TokenVerifier {
public:
    explicit TokenVerifier(std::string secret) : secret_(std::move(secret)) {}

    // `now` in Unix seconds.
    TokenCheck verify(std::string_view token, std::int64_t now) const;
    // The token for `user` expiring at `expires` (for tests and tools).
    std::string mint(std::string_view user, std::int64_t expires) const;

private:
    std::string signature(std::string_view signed_part) const;
    std::string secret_;
};

}  // namespace tickcast::websocket
