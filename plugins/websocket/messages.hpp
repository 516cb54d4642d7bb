// The client protocol's wire forms (docs/protocol.md, "WebSocket clients"):
// parsing what a client sends, encoding what the gateway sends, and the
// name checks that keep clients to public channels and cache keys.
//
// An event's message is encoded once per event into a shared, immutable
// buffer that every subscribed session queues as it is.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace tickcast::websocket {

using Message = std::shared_ptr<const std::string>;

// Error codes sent in {"type":"error","code":...}.
namespace error_code {
inline constexpr std::string_view bad_json = "bad_json";
inline constexpr std::string_view bad_request = "bad_request";
inline constexpr std::string_view unknown_op = "unknown_op";
inline constexpr std::string_view binary_not_supported = "binary_not_supported";
inline constexpr std::string_view bad_channel = "bad_channel";
inline constexpr std::string_view forbidden = "forbidden";
inline constexpr std::string_view too_many_subscriptions = "too_many_subscriptions";
inline constexpr std::string_view snapshot_unavailable = "snapshot_unavailable";
inline constexpr std::string_view auth_required = "auth_required";      // a private channel on an unauthenticated connection
inline constexpr std::string_view auth_unavailable = "auth_unavailable";  // the gateway has no secret configured
inline constexpr std::string_view bad_token = "bad_token";              // malformed, or the signature does not match
inline constexpr std::string_view token_expired = "token_expired";
}  // namespace error_code

// WebSocket close codes the gateway uses besides the standard ones.
namespace close_code {
inline constexpr std::uint16_t going_away = 1001;        // the gateway stops
inline constexpr std::uint16_t message_too_big = 1009;   // over max_message_size (sent by Beast)
inline constexpr std::uint16_t service_restart = 1012;   // draining on shutdown: reconnect (elsewhere)
inline constexpr std::uint16_t try_again_later = 1013;   // max_connections reached
inline constexpr std::uint16_t slow_consumer = 4008;     // send queue over send_queue_limit
inline constexpr std::uint16_t rate_limited = 4029;      // over messages_per_second
}  // namespace close_code

// A subscribe's "since" for one channel: resume after `seq` (of `epoch`, when given).
struct ResumePoint {
    std::string channel;
    std::uint64_t seq = 0;
    std::string epoch;  // empty: not given
};

struct ClientRequest {
    std::string op;
    boost::json::value id;  // null when absent; echoed as given (number or string)
    std::vector<std::string> channels;
    std::string token;               // op auth
    std::vector<ResumePoint> since;  // op subscribe; each channel is also in `channels`
};

struct RequestError {
    std::string_view code;
    std::string message;
};

// Parses one text message; on failure fills `error` (and `request.id` when
// the id could be read, so the error can echo it).
bool parse_request(std::string_view text, ClientRequest& request, RequestError& error);

// Channel names clients may use: 1-128 of [A-Za-z0-9._-] with a '.' after
// a non-empty kind ("trades.BTC-USDT").
bool valid_channel(std::string_view channel);
// Symbols in REST queries and cache keys: 1-64 of [A-Za-z0-9._-], so that no
// other Redis key can be named.
bool valid_symbol(std::string_view symbol);
// "trades.BTC-USDT" -> {"trades", "BTC-USDT"}.
std::pair<std::string_view, std::string_view> split_channel(std::string_view channel);

// Exact order of non-negative decimal strings ("10.5" > "9.75"): <0, 0, >0.
int compare_decimal(std::string_view a, std::string_view b);

// `payload` as JSON text when it is valid JSON, else as a JSON string.
void append_json(std::string& out, std::string_view payload);

// `checksum` (depth channels) is added when given: CRC32 of the book's top levels after the event.
Message encode_event(std::string_view channel, std::uint64_t seq, std::string_view epoch, std::string_view payload,
                     std::optional<std::uint32_t> checksum = std::nullopt);
Message encode_heartbeat(std::string_view channel, std::uint64_t seq, std::string_view epoch);
// `conflated`: the latest state sent in place of depth events a slow client had not yet taken.
Message encode_snapshot(std::string_view channel, std::uint64_t seq, std::string_view epoch, std::string_view data_json,
                        std::optional<std::uint32_t> checksum = std::nullopt, bool conflated = false);
Message encode_resumed(std::string_view channel, std::uint64_t seq, std::string_view epoch);
Message encode_auth_ack(const boost::json::value& id, std::string_view user, std::int64_t expires);
Message encode_draining(std::string_view reason);
Message encode_resnapshot(std::string_view channel, std::string_view epoch, std::string_view reason);
Message encode_ack(const boost::json::value& id, std::string_view op, const std::vector<std::string>& channels);
Message encode_pong(const boost::json::value& id);
Message encode_error(const boost::json::value& id, std::string_view code, std::string_view message,
                     std::string_view channel = {});

}  // namespace tickcast::websocket
