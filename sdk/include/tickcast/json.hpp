// JSON helpers shared by plugins and the host (Boost.JSON):
// - yaml_to_json: a YAML option (e.g. a mock event's payload) as JSON, where
//   plain scalars that look like numbers, booleans or null keep that type and
//   quoted scalars stay strings;
// - the event envelope, the JSON-lines form of a whole event used by
//   capture_sink, file_sink (format: envelope) and `tickcastd test`.
// Plugins that include this link Boost::json (tickcast::sdk brings it).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include "tickcast/config.hpp"
#include "tickcast/event.hpp"

namespace tickcast {

inline boost::json::value yaml_to_json(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map: {
            boost::json::object o;
            for (const auto& kv : node) o[kv.first.Scalar()] = yaml_to_json(kv.second);
            return o;
        }
        case YAML::NodeType::Sequence: {
            boost::json::array a;
            for (const auto& item : node) a.push_back(yaml_to_json(item));
            return a;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = node.Scalar();
            if (node.Tag() != "?") return boost::json::value(s);  // quoted: always a string
            if (s == "true") return true;
            if (s == "false") return false;
            if (s == "null" || s == "~") return nullptr;
            boost::system::error_code ec;
            boost::json::value number = boost::json::parse(s, ec);
            if (!ec && number.is_number()) return number;
            return boost::json::value(s);
        }
        default:
            return nullptr;
    }
}

namespace detail {
// scan_json's handler: the parser validates the text; this only watches for
// one top-level member and keeps its string value.
struct JsonFieldScan {
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    using ec_t = boost::system::error_code;
    using sv = boost::json::string_view;

    JsonFieldScan(std::string_view field, std::string* value) : want(field), out(value) {}
    std::string_view want;
    std::string* out;
    int depth = 0;
    std::string key;         // a top-level key arriving in parts
    bool capturing = false;  // the value being parsed is the wanted member's
    bool found = false;      // its value was a string (in *out)

    bool other() {  // a value other than a string
        if (capturing) found = false;
        capturing = false;
        return true;
    }
    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_array_begin(ec_t&) { return other(), ++depth, true; }
    bool on_array_end(std::size_t, ec_t&) { return --depth, true; }
    bool on_object_begin(ec_t&) { return other(), ++depth, true; }
    bool on_object_end(std::size_t, ec_t&) { return --depth, true; }
    bool on_string_part(sv s, std::size_t, ec_t&) {
        if (capturing) out->append(s.data(), s.size());
        return true;
    }
    bool on_string(sv s, std::size_t, ec_t&) {
        if (capturing) {
            out->append(s.data(), s.size());
            found = true;  // a later duplicate of the member replaces it, as in a parsed object
        }
        capturing = false;
        return true;
    }
    bool on_key_part(sv s, std::size_t, ec_t&) {
        if (depth == 1 && out) key.append(s.data(), s.size());
        return true;
    }
    bool on_key(sv s, std::size_t, ec_t&) {
        if (depth == 1 && out) {
            key.append(s.data(), s.size());
            capturing = key == want;
            if (capturing) out->clear();
            key.clear();
        }
        return true;
    }
    bool on_number_part(sv, ec_t&) { return true; }
    bool on_int64(std::int64_t, sv, ec_t&) { return other(); }
    bool on_uint64(std::uint64_t, sv, ec_t&) { return other(); }
    bool on_double(double, sv, ec_t&) { return other(); }
    bool on_bool(bool, ec_t&) { return other(); }
    bool on_null(ec_t&) { return other(); }
    bool on_comment_part(sv, ec_t&) { return true; }
    bool on_comment(sv, ec_t&) { return true; }
};
}  // namespace detail

// Checks that `text` is one JSON text (whitespace around it allowed) without
// building a document: no allocation for the check itself. With `value`,
// also reads the top-level string member `field` into *value (the last one,
// as a parsed object keeps it). `found`: that member exists and is a string.
struct JsonScan {
    boost::system::error_code error;
    bool found = false;
};
inline JsonScan scan_json(std::string_view text, std::string_view field = {}, std::string* value = nullptr) {
    boost::json::basic_parser<detail::JsonFieldScan> parser(boost::json::parse_options{}, field, value);
    JsonScan r;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), r.error);
    if (!r.error && used < text.size()) r.error = boost::json::error::extra_data;
    r.found = !r.error && parser.handler().found;
    return r;
}

// A payload as JSON when it parses as JSON, else as a JSON string.
inline boost::json::value payload_to_json(std::string_view payload) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(payload, ec);
    if (ec) return boost::json::value(std::string(payload));
    return v;
}

// Appends `s` as a JSON string: quotes, backslashes and control characters
// escaped, every other byte as it is (as Boost.JSON's serializer does).
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;  // start of the bytes not yet copied
    for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

// Appends the event envelope as one JSON line (no newline): channel, key,
// seq, origin_ns, hops and headers when there are any, gap and heartbeat
// when set, and the payload as JSON when it parses as JSON (its own bytes,
// so numbers keep their digits; re-serialized only when it spans lines),
// else as a JSON string. Written directly rather than through a
// boost::json::object: a sink writing every event (capture_sink, file_sink)
// spent most of its time building and freeing those objects.
inline void append_envelope_line(std::string& out, const Event& e) {
    auto number = [&out](auto v) {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    };
    out += "{\"channel\":";
    append_json_string(out, e.channel);
    out += ",\"key\":";
    append_json_string(out, e.key);
    out += ",\"seq\":";
    number(e.seq);
    out += ",\"origin_ns\":";
    number(e.origin_ns);
    // `,"field":{name: value, ...}`. A name given twice keeps its first place
    // and its last value, as assigning into a JSON object would; `same` says
    // whether two items have one name.
    auto members = [&](const char* field, const auto& items, auto same, auto name_of, auto write_value) {
        if (items.begin() == items.end()) return;
        out += ",\"";
        out += field;
        out += "\":{";
        bool first = true;
        for (auto it = items.begin(); it != items.end(); ++it) {
            if (std::any_of(items.begin(), it, [&](const auto& x) { return same(x, *it); })) continue;
            auto last = it;
            for (auto later = std::next(it); later != items.end(); ++later)
                if (same(*later, *it)) last = later;
            if (!first) out += ',';
            first = false;
            append_json_string(out, name_of(*it));
            out += ':';
            write_value(*last);
        }
        out += '}';
    };
    // Hop names are compared as their fixed-size bytes (zero-filled past the name).
    members(
        "hops", e.hops, [](const HopStamp& a, const HopStamp& b) { return a.name_bytes == b.name_bytes; },
        [](const HopStamp& h) { return h.name(); }, [&](const HopStamp& h) { number(h.ns); });
    members(
        "headers", e.headers, [](const Header& a, const Header& b) { return a.first == b.first; },
        [](const Header& h) { return std::string_view(h.first); }, [&](const Header& h) { append_json_string(out, h.second); });
    if (e.flags & event_flags::gap_before) out += ",\"gap\":true";
    if (e.flags & event_flags::heartbeat) out += ",\"heartbeat\":true";
    out += ",\"payload\":";
    const std::string_view payload = e.payload_view();
    // JSON goes in as it is, unless a line break inside would split the
    // line: then (rarely) it is parsed and written compact.
    if (scan_json(payload).error)
        append_json_string(out, payload);
    else if (std::memchr(payload.data(), '\n', payload.size()) || std::memchr(payload.data(), '\r', payload.size()))
        out += boost::json::serialize(boost::json::parse(payload));
    else
        out += payload;
    out += '}';
}

inline std::string event_to_envelope_line(const Event& e) {
    std::string line;
    line.reserve(160 + e.payload_view().size());
    append_envelope_line(line, e);
    return line;
}

}  // namespace tickcast
