// JSON helpers shared by plugins and the host (Boost.JSON):
// - yaml_to_json: a YAML option (e.g. a mock event's payload) as JSON, where
//   plain scalars that look like numbers, booleans or null keep that type and
//   quoted scalars stay strings;
// - the event envelope, the JSON-lines form of a whole event used by
//   capture_sink, file_sink (format: envelope) and `tickcastd test`.
// Plugins that include this link Boost::json (tickcast::sdk brings it).
#pragma once

#include <string>

#include <boost/json.hpp>

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

// A payload as JSON when it parses as JSON, else as a JSON string.
inline boost::json::value payload_to_json(std::string_view payload) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(payload, ec);
    if (ec) return boost::json::value(std::string(payload));
    return v;
}

inline boost::json::object event_to_envelope(const Event& e) {
    boost::json::object o;
    o["channel"] = e.channel;
    o["key"] = e.key;
    o["seq"] = e.seq;
    o["origin_ns"] = e.origin_ns;
    if (!e.hops.empty()) {
        boost::json::object hops;
        for (const HopStamp& h : e.hops) hops[h.name()] = h.ns;
        o["hops"] = std::move(hops);
    }
    if (!e.headers.empty()) {
        boost::json::object headers;
        for (const Header& h : e.headers) headers[h.first] = h.second;
        o["headers"] = std::move(headers);
    }
    if (e.flags & event_flags::gap_before) o["gap"] = true;
    if (e.flags & event_flags::heartbeat) o["heartbeat"] = true;
    o["payload"] = payload_to_json(e.payload_view());
    return o;
}

inline std::string event_to_envelope_line(const Event& e) {
    return boost::json::serialize(event_to_envelope(e));
}

}  // namespace tickcast
