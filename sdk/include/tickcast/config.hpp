// Typed access to a plugin's YAML options, with every error located.
//
// A plugin declares its options (OptionSpec) once; the host checks every
// entry against that table before anything starts (unknown keys, types,
// required options, resource references) and fills in defaults. The plugin
// then reads values through ConfigNode, whose errors name file:line:column.
// ConfigNode is a cheap handle; it is read-only and not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "tickcast/abi.hpp"

namespace tickcast {

// Where something is in a config file; line and column are 1-based, 0 when
// unknown (a default the host filled in).
struct Location {
    std::string file;
    int line = 0;
    int column = 0;

    std::string str() const {
        if (line == 0) return file;
        return file + ":" + std::to_string(line) + ":" + std::to_string(column);
    }
};

class TICKCAST_SDK_API ConfigError : public std::runtime_error {
public:
    ConfigError(Location where, const std::string& message)
        : std::runtime_error(where.str() + ": " + message), where_(std::move(where)), message_(message) {}
    const Location& where() const noexcept { return where_; }
    const std::string& message() const noexcept { return message_; }

private:
    Location where_;
    std::string message_;
};

enum class OptionType {
    string,
    integer,      // signed 64-bit
    boolean,
    duration,     // "250us", "5ms", "10s", "2m", "1h"
    size,         // bytes: 4096, "64KiB", "16MiB", "1GiB"
    string_list,  // [a, b] (a single string is not accepted)
    map,          // a map the plugin validates itself
    list,         // a sequence the plugin validates itself
    any,          // scalar, map or sequence; the plugin validates it
    resource,     // the name of a resource declared under `resources:`
};

std::string_view to_string(OptionType t) noexcept;

struct OptionSpec {
    std::string name;
    OptionType type = OptionType::string;
    bool required = false;
    std::string default_value;  // YAML text (strings as they are), empty for none
    std::string doc = {};
    std::string resource_plugin = {};  // for OptionType::resource: the plugin the resource must use
};

using OptionSpecs = std::vector<OptionSpec>;

class ConfigNode {
public:
    ConfigNode() = default;
    ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, Location fallback = {})
        : node_(std::move(node)), file_(std::move(file)), fallback_(std::move(fallback)) {}
    ConfigNode(const ConfigNode&) = default;
    ConfigNode(ConfigNode&&) = default;
    // YAML::Node's assignment writes through to the node it refers to (it
    // edits the document); a ConfigNode must instead rebind, like a handle.
    ConfigNode& operator=(const ConfigNode& other) {
        if (this != &other) {
            node_.~Node();
            new (&node_) YAML::Node(other.node_);
            file_ = other.file_;
            fallback_ = other.fallback_;
        }
        return *this;
    }
    ConfigNode& operator=(ConfigNode&& other) noexcept { return *this = static_cast<const ConfigNode&>(other); }

    // False for an absent key and for an explicit null (`key: ~`).
    bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
    bool is_map() const { return node_.IsDefined() && node_.IsMap(); }
    bool is_sequence() const { return node_.IsDefined() && node_.IsSequence(); }
    bool is_scalar() const { return node_.IsDefined() && node_.IsScalar(); }
    bool has(const std::string& key) const { return is_map() && node_[key].IsDefined(); }

    // A child of a map; an undefined node (located at this node) if absent.
    ConfigNode operator[](const std::string& key) const;
    // Entries of a sequence, in order.
    std::vector<ConfigNode> items() const;
    // Key/value pairs of a map, in file order.
    std::vector<std::pair<ConfigNode, ConfigNode>> entries() const;

    std::string as_string() const;
    std::int64_t as_int() const;
    std::uint64_t as_uint() const;
    bool as_bool() const;
    std::chrono::nanoseconds as_duration() const;
    std::uint64_t as_size() const;
    std::vector<std::string> as_strings() const;

    // The option's scalar text, for messages.
    std::string text() const { return is_scalar() ? node_.Scalar() : std::string(); }
    Location location() const;
    [[noreturn]] void fail(const std::string& message) const { throw ConfigError(location(), message); }

    const YAML::Node& yaml() const { return node_; }
    const std::string& file() const;

private:
    [[noreturn]] void type_error(std::string_view expected) const;

    YAML::Node node_;
    std::shared_ptr<const std::string> file_;
    Location fallback_;  // where an absent node would have been: its parent
};

// Parsers shared by ConfigNode and the host; each returns false on bad input.
bool parse_duration(std::string_view text, std::chrono::nanoseconds& out);
bool parse_size(std::string_view text, std::uint64_t& out);

}  // namespace tickcast

#include "tickcast/impl/config.ipp"
