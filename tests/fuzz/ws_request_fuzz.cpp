// Fuzz target: what a WebSocket client can send the gateway, and what the
// gateway then writes back (plugins/websocket/messages.cpp).
//
// The whole input is one text message for parse_request. An accepted
// request must be one of the three ops with valid, distinct channels; the
// ack, pong or error the gateway answers with must be valid JSON that echoes
// the request's id. The same bytes, as an event payload, must give an event
// message that is valid JSON (and so UTF-8) whose data is the payload (when
// it is JSON) or the payload as a string, bytes that are not UTF-8 replaced. Split at the first newline, two decimal strings
// must compare consistently (compare_decimal orders depth levels).
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "fuzz_check.hpp"
#include "messages.hpp"

namespace {

namespace json = boost::json;
using namespace tickcast::websocket;

json::object parse_object(const Message& m, const std::string& context) {
    json::error_code ec;
    json::value v = json::parse(*m, ec);
    FUZZ_CHECK(!ec && v.is_object(), context + "\n  -> " + *m);
    return std::move(v.as_object());
}

// The id a reply echoes. Integers and strings come back exactly; a fraction
// may come back one unit in the last place off, because Boost 1.81's parser
// does not round every decimal correctly (known, documented: clients should
// use integer or string ids).
bool same_id(const json::value& echoed, const json::value& sent) {
    if (echoed == sent) return true;
    if (!echoed.is_double() || !sent.is_double()) return false;
    const double a = echoed.get_double(), b = sent.get_double();
    return std::isfinite(a) && std::fabs(a - b) <= std::fabs(b) * 4e-16;
}

void check_request(std::string_view text) {
    const std::string context(text);
    ClientRequest request;
    RequestError error;
    if (!parse_request(text, request, error)) {
        const std::string_view known[] = {error_code::bad_json, error_code::bad_request, error_code::unknown_op,
                                          error_code::bad_channel};
        FUZZ_CHECK(std::find(std::begin(known), std::end(known), error.code) != std::end(known), context);
        FUZZ_CHECK(!error.message.empty(), context);
        const json::object reply = parse_object(encode_error(request.id, error.code, error.message), context);
        FUZZ_CHECK(reply.at("type") == "error" && reply.at("code") == json::string_view(error.code.data(), error.code.size()), context);
        FUZZ_CHECK(request.id.is_null() ? !reply.contains("id") : same_id(reply.at("id"), request.id), context);
        return;
    }
    FUZZ_CHECK(request.id.is_null() || request.id.is_number() || request.id.is_string(), context);
    if (request.op == "ping") {
        const json::object pong = parse_object(encode_pong(request.id), context);
        FUZZ_CHECK(request.id.is_null() ? !pong.contains("id") : same_id(pong.at("id"), request.id), context);
        return;
    }
    FUZZ_CHECK(request.op == "subscribe" || request.op == "unsubscribe", context);
    FUZZ_CHECK(!request.channels.empty(), context);
    for (std::size_t i = 0; i < request.channels.size(); ++i) {
        const std::string& c = request.channels[i];
        FUZZ_CHECK(valid_channel(c), context);
        const auto [kind, name] = split_channel(c);
        FUZZ_CHECK(!kind.empty() && !name.empty() && kind.size() + 1 + name.size() == c.size(), context);
        FUZZ_CHECK(std::find(request.channels.begin() + i + 1, request.channels.end(), c) == request.channels.end(), context);
    }
    const json::object ack = parse_object(encode_ack(request.id, request.op, request.channels), context);
    FUZZ_CHECK(ack.at("channels").as_array().size() == request.channels.size(), context);
}

// UTF-8 validity by Boost.JSON's own check of string contents: ASCII bytes
// (which it would reject unescaped) become 'a', the rest must decode.
bool valid_utf8(std::string_view s) {
    std::string quoted = "\"";
    for (char c : s) quoted += static_cast<unsigned char>(c) < 0x80 ? 'a' : c;
    json::error_code ec;
    json::parse(quoted + "\"", ec);
    return !ec;
}

void check_event(std::string_view payload) {
    const std::string context(payload);
    const json::object event = parse_object(encode_event("trades.X", 7, "e1", payload), context);
    json::error_code ec;
    const json::value as_json = json::parse(json::string_view(payload.data(), payload.size()), ec);
    if (!ec && !payload.empty())
        // Compared as text: Boost.JSON reads 0e4002 as NaN, never equal to itself.
        FUZZ_CHECK(json::serialize(event.at("data")) == json::serialize(as_json), context);
    else if (valid_utf8(payload))
        FUZZ_CHECK(event.at("data") == json::string_view(payload.data(), payload.size()), context);
    else  // sent as a string all the same, its bad bytes replaced
        FUZZ_CHECK(event.at("data").is_string() && event.at("data").as_string().find("\xEF\xBF\xBD") != json::string::npos, context);
}

bool plain_decimal(std::string_view s) {
    const std::size_t point = s.find('.');
    const auto digits = [](std::string_view d) { return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos; };
    return digits(s.substr(0, point)) && (point == std::string_view::npos || digits(s.substr(point + 1)));
}

void check_compare(std::string_view text) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return;
    const std::string_view a = text.substr(0, newline), b = text.substr(newline + 1);
    if (!plain_decimal(a) || !plain_decimal(b)) return;
    const std::string context = std::string(a) + " vs " + std::string(b);
    const int ab = compare_decimal(a, b);
    FUZZ_CHECK(ab >= -1 && ab <= 1, context);
    FUZZ_CHECK(compare_decimal(b, a) == -ab, context);
    FUZZ_CHECK(compare_decimal(a, a) == 0, context);
    // Equal values written differently ("1.50" and "01.5") compare equal.
    std::string padded = "0" + std::string(a) + (a.find('.') == std::string_view::npos ? ".0" : "0");
    FUZZ_CHECK(compare_decimal(padded, a) == 0, context + " padded " + padded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = tickcast::fuzz::as_text(data, size);
    check_request(text);
    check_event(text);
    check_compare(text);
    return 0;
}
