// Inline definitions for config.hpp (the SDK is header-only so that plugins
// link nothing of tickcast's own).
#pragma once

#include <cctype>
#include <charconv>
#include <limits>

namespace tickcast {

inline std::string_view to_string(OptionType t) noexcept {
    switch (t) {
        case OptionType::string: return "string";
        case OptionType::integer: return "integer";
        case OptionType::boolean: return "boolean";
        case OptionType::duration: return "duration";
        case OptionType::size: return "size";
        case OptionType::string_list: return "list of strings";
        case OptionType::map: return "map";
        case OptionType::list: return "list";
        case OptionType::any: return "any";
        case OptionType::resource: return "resource name";
    }
    return "?";
}

inline const std::string& ConfigNode::file() const {
    static const std::string unknown = "<config>";
    return file_ ? *file_ : unknown;
}

inline Location ConfigNode::location() const {
    if (node_.IsDefined()) {
        const YAML::Mark m = node_.Mark();
        if (m.line >= 0) return {file(), m.line + 1, m.column + 1};
    }
    if (fallback_.file.empty()) return {file(), 0, 0};
    return fallback_;
}

inline ConfigNode ConfigNode::operator[](const std::string& key) const {
    if (!is_map()) return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, location());
    // const access: never inserts the key into the document
    const YAML::Node& self = node_;
    return ConfigNode(self[key], file_, location());
}

inline std::vector<ConfigNode> ConfigNode::items() const {
    std::vector<ConfigNode> out;
    if (!is_sequence()) return out;
    for (const YAML::Node& n : node_) out.emplace_back(n, file_, location());
    return out;
}

inline std::vector<std::pair<ConfigNode, ConfigNode>> ConfigNode::entries() const {
    std::vector<std::pair<ConfigNode, ConfigNode>> out;
    if (!is_map()) return out;
    for (const auto& kv : node_)
        out.emplace_back(ConfigNode(kv.first, file_, location()), ConfigNode(kv.second, file_, location()));
    return out;
}

inline void ConfigNode::type_error(std::string_view expected) const {
    std::string got = !node_.IsDefined() ? "nothing"
                    : node_.IsNull()     ? "null"
                    : node_.IsMap()      ? "a map"
                    : node_.IsSequence() ? "a list"
                                         : "'" + node_.Scalar() + "'";
    fail("expected " + std::string(expected) + ", got " + got);
}

inline std::string ConfigNode::as_string() const {
    if (!is_scalar()) type_error("a string");
    return node_.Scalar();
}

inline std::int64_t ConfigNode::as_int() const {
    if (!is_scalar()) type_error("an integer");
    const std::string& s = node_.Scalar();
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) fail("integer '" + s + "' is out of range");
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) type_error("an integer");
    return v;
}

inline std::uint64_t ConfigNode::as_uint() const {
    const std::int64_t v = as_int();
    if (v < 0) fail("expected a non-negative integer, got " + node_.Scalar());
    return static_cast<std::uint64_t>(v);
}

inline bool ConfigNode::as_bool() const {
    if (!is_scalar()) type_error("true or false");
    const std::string& s = node_.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
    type_error("true or false");
}

inline std::chrono::nanoseconds ConfigNode::as_duration() const {
    if (!is_scalar()) type_error("a duration such as 500ms or 10s");
    std::chrono::nanoseconds d{};
    if (!parse_duration(node_.Scalar(), d)) type_error("a duration such as 500ms or 10s (units: ns, us, ms, s, m, h)");
    return d;
}

inline std::uint64_t ConfigNode::as_size() const {
    if (!is_scalar()) type_error("a size such as 65536 or 64KiB");
    std::uint64_t v = 0;
    if (!parse_size(node_.Scalar(), v)) type_error("a size such as 65536 or 64KiB (units: B, KiB, MiB, GiB)");
    return v;
}

inline std::vector<std::string> ConfigNode::as_strings() const {
    if (!is_sequence()) type_error("a list of strings");
    std::vector<std::string> out;
    for (const ConfigNode& item : items()) out.push_back(item.as_string());
    return out;
}

namespace detail {
// Splits "123unit" into its number and unit; false without digits or on overflow.
inline bool split_number(std::string_view text, std::uint64_t& number, std::string_view& unit) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end == text.data()) return false;
    unit = text.substr(static_cast<std::size_t>(end - text.data()));
    return true;
}
inline bool scale(std::uint64_t number, std::uint64_t factor, std::uint64_t& out) {
    if (factor != 0 && number > std::numeric_limits<std::uint64_t>::max() / factor) return false;
    out = number * factor;
    return true;
}
}  // namespace detail

inline bool parse_duration(std::string_view text, std::chrono::nanoseconds& out) {
    std::uint64_t n = 0;
    std::string_view unit;
    if (!detail::split_number(text, n, unit)) return false;
    std::uint64_t factor = 0;
    if (unit == "ns") factor = 1;
    else if (unit == "us") factor = 1'000;
    else if (unit == "ms") factor = 1'000'000;
    else if (unit == "s") factor = 1'000'000'000;
    else if (unit == "m") factor = 60'000'000'000;
    else if (unit == "h") factor = 3'600'000'000'000;
    else if (unit.empty() && n == 0) factor = 1;  // a bare 0 is unambiguous
    else return false;
    std::uint64_t ns = 0;
    if (!detail::scale(n, factor, ns) || ns > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return false;
    out = std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
    return true;
}

inline bool parse_size(std::string_view text, std::uint64_t& out) {
    std::uint64_t n = 0;
    std::string_view unit;
    if (!detail::split_number(text, n, unit)) return false;
    std::uint64_t factor = 0;
    if (unit.empty() || unit == "B") factor = 1;
    else if (unit == "KiB") factor = 1ull << 10;
    else if (unit == "MiB") factor = 1ull << 20;
    else if (unit == "GiB") factor = 1ull << 30;
    else return false;
    return detail::scale(n, factor, out);
}

}  // namespace tickcast
