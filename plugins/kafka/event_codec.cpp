#include "event_codec.hpp"

#include <charconv>

#include <tickcast/input_position.hpp>
#include <tickcast/json.hpp>

namespace tickcast::kafka {

namespace {

void add(rd_kafka_headers_t* h, std::string_view name, std::string_view value) {
    rd_kafka_header_add(h, name.data(), ssize_t(name.size()), value.data(), ssize_t(value.size()));
}

void add_number(rd_kafka_headers_t* h, std::string_view name, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    add(h, name, std::string_view(buf, std::size_t(r.ptr - buf)));
}

template <class T>
bool parse_number(std::string_view text, T& out) {
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

rd_kafka_headers_t* encode_headers(const Event& e, const Hops& hops) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(3 + hops.size() + e.headers.size());
    add(h, header::channel, e.channel);
    add_number(h, header::seq, std::int64_t(e.seq));
    add_number(h, header::origin_ns, e.origin_ns);
    std::string name(header::hop_prefix);
    for (const HopStamp& s : hops) {
        name.resize(header::hop_prefix.size());
        name += s.name();
        add_number(h, name, s.ns);
    }
    for (const Header& x : e.headers)
        // A note from a replaying stage to its sinks, not part of the event.
        if (x.first != input_position::replay_since_header) add(h, x.first, x.second);
    return h;
}

std::string_view message_key(const Event& e, KeyField field) {
    switch (field) {
        case KeyField::key: return e.key;
        case KeyField::channel: return e.channel;
        case KeyField::none: return {};
    }
    return {};
}

bool decode_message(const MessageView& m, const DecodeRules& rules, Event& out, std::string& error, PayloadSlabs* slabs) {
    out.key.assign(m.key);
    out.payload = slabs ? slabs->make(m.value) : make_payload(std::string(m.value));
    bool has_channel = false, has_origin = false;
    if (m.headers) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(m.headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
            const std::string_view n(name), v(static_cast<const char*>(value), value ? size : 0);
            if (n == header::channel) {
                out.channel.assign(v);
                has_channel = true;
            } else if (n == header::seq) {
                parse_number(v, out.seq);
            } else if (n == header::origin_ns) {
                has_origin = parse_number(v, out.origin_ns);
            } else if (starts_with(n, header::hop_prefix)) {
                std::int64_t ns;
                if (parse_number(v, ns)) out.hops.add(n.substr(header::hop_prefix.size()), ns);
            } else {
                out.headers.emplace_back(std::string(n), std::string(v));
            }
        }
    }
    if (!has_origin && m.timestamp_ms > 0) out.origin_ns = m.timestamp_ms * 1'000'000;
    if (has_channel) return true;
    if (rules.codec == Codec::json) {
        // A foreign message: check that it is JSON, and route it by its field.
        const bool routed = !rules.channel_field.empty();
        const JsonScan scan = scan_json(m.value, rules.channel_field, routed ? &out.channel : nullptr);
        if (scan.error) {
            error = "the value is not JSON (" + scan.error.message() + ")";
            return false;
        }
        if (routed) {
            if (!scan.found) {
                error = "the value has no string field '" + rules.channel_field + "'";
                return false;
            }
            return true;
        }
    }
    out.channel.assign(rules.channel.empty() ? m.topic : std::string_view(rules.channel));
    return true;
}

}  // namespace tickcast::kafka
