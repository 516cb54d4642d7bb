#include "auth_token.hpp"

#include <charconv>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "messages.hpp"

namespace tickcast::websocket {

std::string TokenVerifier::signature(std::string_view signed_part) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret_.data(), int(secret_.size()), reinterpret_cast<const unsigned char*>(signed_part.data()),
         signed_part.size(), mac, &length);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(2 * length, '0');
    for (unsigned int i = 0; i < length; ++i) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    return hex;
}

std::string TokenVerifier::mint(std::string_view user, std::int64_t expires) const {
    std::string signed_part = std::string(user) + "." + std::to_string(expires);
    return signed_part + "." + signature(signed_part);
}

TokenCheck TokenVerifier::verify(std::string_view token, std::int64_t now) const {
    TokenCheck c;
    c.code = error_code::bad_token;
    const auto last = token.rfind('.');
    const auto middle = last == std::string_view::npos || last == 0 ? std::string_view::npos : token.rfind('.', last - 1);
    if (middle == std::string_view::npos || middle == 0) {
        c.message = "a token is USER.EXPIRY.SIGNATURE (see docs/protocol.md)";
        return c;
    }
    const std::string_view user = token.substr(0, middle), exp = token.substr(middle + 1, last - middle - 1),
                           sig = token.substr(last + 1);
    const auto [end, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), c.expires);
    if (!valid_symbol(user) || exp.empty() || ec != std::errc() || end != exp.data() + exp.size() || c.expires <= 0) {
        c.message = "a token is USER.EXPIRY.SIGNATURE with USER 1-64 of letters, digits, '.', '_', '-' and EXPIRY in Unix seconds";
        return c;
    }
    const std::string want = signature(token.substr(0, last));
    if (sig.size() != want.size() || CRYPTO_memcmp(sig.data(), want.data(), want.size()) != 0) {
        c.message = "the token's signature does not match";
        return c;
    }
    if (c.expires <= now) {
        c.code = error_code::token_expired;
        c.message = "the token expired at " + std::to_string(c.expires) + " (now " + std::to_string(now) + ")";
        return c;
    }
    c.ok = true;
    c.code = {};
    c.user = std::string(user);
    return c;
}

}  // namespace tickcast::websocket
