#include "messages.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

namespace tickcast::websocket {

namespace json = boost::json;

namespace {

bool name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Length of the well-formed UTF-8 sequence starting at s[i], 0 if none does
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
    const auto tail = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return at(k) >= lo && at(k) <= hi; };
    const unsigned c = at(i);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return tail(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const bool second = c == 0xE0 ? tail(i + 1, 0xA0) : c == 0xED ? tail(i + 1, 0x80, 0x9F) : tail(i + 1);
        return second && tail(i + 2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const bool second = c == 0xF0 ? tail(i + 1, 0x90) : c == 0xF4 ? tail(i + 1, 0x80, 0x8F) : tail(i + 1);
        return second && tail(i + 2) && tail(i + 3) ? 4 : 0;
    }
    return 0;
}

// Every message goes out in a WebSocket text frame, which must be valid
// UTF-8 (RFC 6455, 8.1): a client closes the connection on the first bad
// byte. Strings come from payloads and names that need not be UTF-8, and a
// name cut to a length can end inside a character, so each byte that starts
// no well-formed sequence becomes U+FFFD.
void append_string(std::string& out, std::string_view s) {
    std::size_t i = 0, n = 0;
    while (i < s.size() && (n = utf8_sequence(s, i)) != 0) i += n;
    if (i == s.size()) {
        out += json::serialize(json::string_view(s.data(), s.size()));
        return;
    }
    std::string valid(s.substr(0, i));
    for (; i < s.size(); i += n ? n : 1) {
        n = utf8_sequence(s, i);
        if (n) valid.append(s.substr(i, n));
        else valid.append("\xEF\xBF\xBD");
    }
    out += json::serialize(json::string_view(valid.data(), valid.size()));
}

void append_id(std::string& out, const json::value& id) {
    if (id.is_null()) return;
    out += ",\"id\":";
    out += json::serialize(id);
}

Message finish(std::string&& s) { return std::make_shared<const std::string>(std::move(s)); }

// The common head of channel messages: {"type":T,"channel":C
std::string head(std::string_view type, std::string_view channel) {
    std::string out;
    out.reserve(96);
    out += "{\"type\":\"";
    out += type;
    out += "\",\"channel\":";
    append_string(out, channel);
    return out;
}

}  // namespace

bool valid_symbol(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), name_char);
}

bool valid_channel(std::string_view c) {
    const auto dot = c.find('.');
    return c.size() <= 128 && dot != std::string_view::npos && dot > 0 && dot + 1 < c.size() &&
           std::all_of(c.begin(), c.end(), name_char);
}

std::pair<std::string_view, std::string_view> split_channel(std::string_view channel) {
    const auto dot = channel.find('.');
    if (dot == std::string_view::npos) return {channel, {}};
    return {channel.substr(0, dot), channel.substr(dot + 1)};
}

int compare_decimal(std::string_view a, std::string_view b) {
    auto split = [](std::string_view s) {
        const auto dot = s.find('.');
        std::string_view whole = s.substr(0, dot), frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
        while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
        return std::pair{whole, frac};
    };
    const auto [aw, af] = split(a);
    const auto [bw, bf] = split(b);
    if (aw.size() != bw.size()) return aw.size() < bw.size() ? -1 : 1;
    if (const int c = aw.compare(bw); c != 0) return c < 0 ? -1 : 1;
    for (std::size_t i = 0; i < std::max(af.size(), bf.size()); ++i) {
        const char x = i < af.size() ? af[i] : '0', y = i < bf.size() ? bf[i] : '0';
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

void append_json(std::string& out, std::string_view payload) {
    // Validating costs one parse per event (not per subscriber); a payload
    // that is not JSON must not break the client's parser.
    json::error_code ec;
    json::stream_parser p;
    p.write(payload.data(), payload.size(), ec);
    if (!ec) p.finish(ec);
    if (!ec && !payload.empty())
        out += payload;
    else
        append_string(out, payload);
}

namespace {
// "since": {CHANNEL: SEQ} or {CHANNEL: {"seq": SEQ, "epoch": EPOCH}}, each CHANNEL among "channels".
bool parse_since(const json::value& since, ClientRequest& r, RequestError& error) {
    const auto fail = [&error](std::string message) {
        error = {error_code::bad_request, std::move(message)};
        return false;
    };
    if (!since.is_object()) return fail("\"since\" must be an object {channel: seq} or {channel: {\"seq\": seq, \"epoch\": epoch}}");
    for (const auto& [key, value] : since.as_object()) {
        ResumePoint point;
        point.channel = std::string(key);
        if (std::find(r.channels.begin(), r.channels.end(), point.channel) == r.channels.end())
            return fail("\"since\" names '" + point.channel.substr(0, 128) + "', which is not in \"channels\"");
        const json::value* seq = &value;
        if (value.is_object()) {
            seq = value.as_object().if_contains("seq");
            if (const json::value* epoch = value.as_object().if_contains("epoch")) {
                if (!epoch->is_string()) return fail("\"since\"." + point.channel + ".epoch must be a string");
                point.epoch = epoch->as_string().c_str();
            }
        }
        json::error_code ec;
        const std::uint64_t n = seq && (seq->is_int64() || seq->is_uint64()) ? seq->to_number<std::uint64_t>(ec) : 0;
        if (!seq || (!seq->is_int64() && !seq->is_uint64()) || ec)
            return fail("\"since\"." + point.channel.substr(0, 128) + " needs a seq: a non-negative integer");
        point.seq = n;
        r.since.push_back(std::move(point));
    }
    return true;
}
}  // namespace

bool parse_request(std::string_view text, ClientRequest& r, RequestError& error) {
    json::error_code ec;
    json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
    if (ec) {
        error = {error_code::bad_json, "the message is not valid JSON: " + ec.message()};
        return false;
    }
    if (!v.is_object()) {
        error = {error_code::bad_request, "expected a JSON object like {\"op\":\"subscribe\",\"channels\":[...],\"id\":1}"};
        return false;
    }
    const json::object& o = v.as_object();
    if (const json::value* id = o.if_contains("id")) {
        // Boost.JSON reads 1e999 as infinity, which it would echo as the
        // non-JSON token Infinity.
        if ((!id->is_number() && !id->is_string()) || (id->is_double() && !std::isfinite(id->get_double()))) {
            error = {error_code::bad_request, "\"id\" must be a string or a finite number"};
            return false;
        }
        r.id = *id;
    }
    const json::value* op = o.if_contains("op");
    if (!op || !op->is_string()) {
        error = {error_code::bad_request, "missing \"op\" (subscribe, unsubscribe, auth or ping)"};
        return false;
    }
    r.op = op->as_string().c_str();
    if (r.op == "ping") return true;
    if (r.op == "auth") {
        const json::value* token = o.if_contains("token");
        if (!token || !token->is_string() || token->as_string().empty()) {
            error = {error_code::bad_request, "auth needs \"token\": a non-empty string"};
            return false;
        }
        r.token = token->as_string().c_str();
        return true;
    }
    if (r.op != "subscribe" && r.op != "unsubscribe") {
        error = {error_code::unknown_op, "unknown op '" + r.op.substr(0, 64) + "'; expected subscribe, unsubscribe, auth or ping"};
        return false;
    }
    const json::value* channels = o.if_contains("channels");
    if (!channels || !channels->is_array() || channels->as_array().empty()) {
        error = {error_code::bad_request, "\"channels\" must be a non-empty list of channel names"};
        return false;
    }
    for (const json::value& c : channels->as_array()) {
        if (!c.is_string()) {
            error = {error_code::bad_request, "\"channels\" must hold strings"};
            return false;
        }
        std::string name(c.as_string().c_str(), c.as_string().size());
        if (!valid_channel(name)) {
            error = {error_code::bad_channel, "bad channel name '" + name.substr(0, 128) +
                                                  "': expected KIND.NAME of letters, digits, '.', '_' and '-' (at most 128)"};
            return false;
        }
        if (std::find(r.channels.begin(), r.channels.end(), name) == r.channels.end()) r.channels.push_back(std::move(name));
    }
    if (const json::value* since = o.if_contains("since")) return r.op == "subscribe" ? parse_since(*since, r, error) : true;
    return true;
}

Message encode_event(std::string_view channel, std::uint64_t seq, std::string_view epoch, std::string_view payload,
                     std::optional<std::uint32_t> checksum) {
    std::string out = head("event", channel);
    out.reserve(out.size() + payload.size() + 80);
    out += ",\"seq\":";
    out += std::to_string(seq);
    out += ",\"epoch\":";
    append_string(out, epoch);
    if (checksum) out += ",\"checksum\":" + std::to_string(*checksum);
    out += ",\"data\":";
    append_json(out, payload);
    out += '}';
    return finish(std::move(out));
}

Message encode_heartbeat(std::string_view channel, std::uint64_t seq, std::string_view epoch) {
    std::string out = head("heartbeat", channel);
    out += ",\"seq\":" + std::to_string(seq) + ",\"epoch\":";
    append_string(out, epoch);
    out += '}';
    return finish(std::move(out));
}

Message encode_snapshot(std::string_view channel, std::uint64_t seq, std::string_view epoch, std::string_view data_json,
                        std::optional<std::uint32_t> checksum, bool conflated) {
    std::string out = head("snapshot", channel);
    out.reserve(out.size() + data_json.size() + 80);
    out += ",\"seq\":" + std::to_string(seq) + ",\"epoch\":";
    append_string(out, epoch);
    if (checksum) out += ",\"checksum\":" + std::to_string(*checksum);
    if (conflated) out += ",\"conflated\":true";
    out += ",\"data\":";
    out += data_json;
    out += '}';
    return finish(std::move(out));
}

Message encode_resumed(std::string_view channel, std::uint64_t seq, std::string_view epoch) {
    std::string out = head("resumed", channel);
    out += ",\"seq\":" + std::to_string(seq) + ",\"epoch\":";
    append_string(out, epoch);
    out += '}';
    return finish(std::move(out));
}

Message encode_auth_ack(const json::value& id, std::string_view user, std::int64_t expires) {
    std::string out = "{\"type\":\"ack\"";
    append_id(out, id);
    out += ",\"op\":\"auth\",\"user\":";
    append_string(out, user);
    out += ",\"expires\":" + std::to_string(expires) + "}";
    return finish(std::move(out));
}

Message encode_draining(std::string_view reason) {
    std::string out = "{\"type\":\"draining\",\"reason\":";
    append_string(out, reason);
    out += '}';
    return finish(std::move(out));
}

Message encode_resnapshot(std::string_view channel, std::string_view epoch, std::string_view reason) {
    std::string out = head("resnapshot", channel);
    out += ",\"epoch\":";
    append_string(out, epoch);
    out += ",\"reason\":";
    append_string(out, reason);
    out += '}';
    return finish(std::move(out));
}

Message encode_ack(const json::value& id, std::string_view op, const std::vector<std::string>& channels) {
    std::string out = "{\"type\":\"ack\"";
    append_id(out, id);
    out += ",\"op\":";
    append_string(out, op);
    out += ",\"channels\":[";
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (i) out += ',';
        append_string(out, channels[i]);
    }
    out += "]}";
    return finish(std::move(out));
}

Message encode_pong(const json::value& id) {
    std::string out = "{\"type\":\"pong\"";
    append_id(out, id);
    out += '}';
    return finish(std::move(out));
}

Message encode_error(const json::value& id, std::string_view code, std::string_view message, std::string_view channel) {
    std::string out = "{\"type\":\"error\"";
    append_id(out, id);
    out += ",\"code\":";
    append_string(out, code);
    out += ",\"message\":";
    append_string(out, message);
    if (!channel.empty()) {
        out += ",\"channel\":";
        append_string(out, channel);
    }
    out += '}';
    return finish(std::move(out));
}

}  // namespace tickcast::websocket
