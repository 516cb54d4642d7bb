// The daemon's configuration model, read from one or more YAML files:
//
//   daemon:    {threads, admin, plugin_path, drain_timeout, log_level}
//   resources: {NAME: {plugin: P, ...options}}
//   pipelines: {NAME: {source: ENTRY, stages: [ENTRY...], sinks: [ENTRY...], max_in_flight}}
//
// where ENTRY is {plugin: P, name: optional instance name, ...options}.
// Reading never stops at the first problem: every one goes to Diagnostics.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <tickcast/config.hpp>

#include "config/diagnostics.hpp"

namespace tickcast::core {

struct LoadedPlugin;
class PluginCatalog;

struct PluginEntry {
    std::string plugin;             // the plugin's registered name
    std::string name;               // instance name: `name:` or the plugin name
    ConfigNode node;                // the entry's map, defaults filled in after check_plugins
    const LoadedPlugin* loaded = nullptr;  // set by check_plugins
    Location where() const { return node.location(); }
};

struct PipelineConfig {
    std::string name;
    Location where;
    PluginEntry source;
    std::vector<PluginEntry> stages;
    std::vector<PluginEntry> sinks;
    std::size_t max_in_flight = 10'000;  // events accepted from the source and not yet acknowledged
};

struct ResourceConfig {
    std::string name;
    PluginEntry entry;
};

struct DaemonSettings {
    Location where;  // of the `daemon:` key's map; line 0 when no file set it
    int threads = 2;
    std::string admin;  // host:port, empty for no admin endpoint
    Location admin_where;
    std::vector<std::string> plugin_path;
    std::chrono::nanoseconds drain_timeout = std::chrono::seconds(10);
    std::string log_level;  // empty: keep the command line's
};

struct DaemonConfig {
    DaemonSettings daemon;
    std::vector<ResourceConfig> resources;
    std::vector<PipelineConfig> pipelines;

    const ResourceConfig* resource(const std::string& name) const;
    const PipelineConfig* pipeline(const std::string& name) const;
};

// Reads and merges the files: structure, host keys and their types, names.
DaemonConfig read_config_files(const std::vector<std::string>& files, Diagnostics& diagnostics);

// Reads one file's contents under a given name (tests and `tickcastd test`).
void read_config_text(const std::string& text, const std::string& file, DaemonConfig& into, Diagnostics& diagnostics);

// Parses one plugin entry (a map with `plugin:`) found at `node`.
bool read_plugin_entry(const ConfigNode& node, PluginEntry& out, Diagnostics& diagnostics);

// Resolves every entry's plugin, checks kinds, checks options against each
// plugin's OptionSpecs (unknown keys, types, required, resource references)
// and fills in defaults.
void check_plugins(DaemonConfig& config, const PluginCatalog& catalog, Diagnostics& diagnostics);

// Checks one entry's options against its plugin's table; exposed for tests.
void check_options(PluginEntry& entry, const DaemonConfig& config, Diagnostics& diagnostics);

}  // namespace tickcast::core
