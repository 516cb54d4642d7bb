// Fuzz target: the daemon's YAML config loader (core/config), on bytes as
// `tickcastd validate` would read them from a file.
//
// The input is read with read_config_text, then every plugin entry is
// checked (check_options) against one option table that has every option
// type, as check_plugins does with a real plugin's table. A ConfigError is
// an expected outcome; any other exception escaping, a crash, or a hang is a
// finding. Invariants: every diagnostic names the file and says something;
// a config read without diagnostics has what the runtime relies on (each
// pipeline a source and a sink, threads in range, defaults filled in).
#include <string>

#include "config/daemon_config.hpp"
#include "fuzz_check.hpp"
#include "loader/plugin_catalog.hpp"

namespace {

using namespace tickcast;
using namespace tickcast::core;

const LoadedPlugin& every_option_type() {
    static const LoadedPlugin plugin = [] {
        LoadedPlugin p;
        p.info.name = "fuzz";
        p.info.kind = PluginKind::sink;
        p.info.options = {
            {"text", OptionType::string, false, "tc:"},
            {"count", OptionType::integer, false, "3"},
            {"flag", OptionType::boolean, false, "false"},
            {"every", OptionType::duration, false, "250ms"},
            {"bytes", OptionType::size, false, "64KiB"},
            {"names", OptionType::string_list, false, ""},
            {"table", OptionType::map, false, ""},
            {"items", OptionType::list, false, ""},
            {"anything", OptionType::any, false, ""},
            {"store", OptionType::resource, false, "", "a redis resource", "redis"},
            {"other", OptionType::resource, false, ""},
        };
        return p;
    }();
    return plugin;
}

void check_entry(PluginEntry& entry, const DaemonConfig& config, Diagnostics& d) {
    if (entry.plugin.empty()) return;
    entry.loaded = &every_option_type();
    try {
        check_options(entry, config, d);
    } catch (const ConfigError& e) {
        d.add(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(tickcast::fuzz::as_text(data, size));
    DaemonConfig config;
    Diagnostics d;
    try {
        read_config_text(text, "fuzz.yaml", config, d);
    } catch (const ConfigError& e) {
        d.add(e);
    }
    const bool read_clean = d.empty();
    if (read_clean) {
        FUZZ_CHECK(config.daemon.threads >= 1 && config.daemon.threads <= 256, text);
        for (const PipelineConfig& p : config.pipelines)
            FUZZ_CHECK(!p.source.plugin.empty() && !p.sinks.empty(), text);
    }

    for (ResourceConfig& r : config.resources) check_entry(r.entry, config, d);
    for (PipelineConfig& p : config.pipelines) {
        check_entry(p.source, config, d);
        for (PluginEntry& e : p.stages) check_entry(e, config, d);
        for (PluginEntry& e : p.sinks) check_entry(e, config, d);
    }

    for (const Diagnostic& x : d.items()) {
        FUZZ_CHECK(x.where.file == "fuzz.yaml" && x.where.line >= 0 && x.where.column >= 0, x.str());
        FUZZ_CHECK(!x.message.empty(), text);
    }
    if (d.empty()) {
        // Defaults now stand in the document, where the plugin will read them.
        for (const PipelineConfig& p : config.pipelines)
            for (const PluginEntry& e : p.sinks)
                FUZZ_CHECK(e.node["every"].defined() && e.node["every"].as_duration().count() >= 0, text);
    }
    return 0;
}
