#include "config/daemon_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "loader/plugin_catalog.hpp"

namespace tickcast::core {

namespace {

using Keys = std::vector<std::string>;

const Keys top_keys = {"daemon", "resources", "pipelines"};
const Keys daemon_keys = {"threads", "admin", "plugin_path", "drain_timeout", "log_level"};
const Keys pipeline_keys = {"source", "stages", "sinks", "max_in_flight"};
const Keys host_entry_keys = {"plugin", "name"};
const Keys log_levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};

std::string join(const Keys& keys) {
    std::string out;
    for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
    return out;
}

bool valid_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

// yaml-cpp keeps repeated map keys and silently answers lookups with the
// first; a repeated key in a config is almost always a mistake, so say so.
void check_duplicate_keys(const ConfigNode& node, Diagnostics& d) {
    if (node.is_map()) {
        std::map<std::string, Location> seen;
        for (const auto& [key, value] : node.entries()) {
            if (key.is_scalar()) {
                auto [it, fresh] = seen.emplace(key.text(), key.location());
                if (!fresh)
                    d.add(key.location(), "duplicate key '" + key.text() + "' (first at line " +
                                              std::to_string(it->second.line) + ")");
            }
            check_duplicate_keys(value, d);
        }
    } else if (node.is_sequence()) {
        for (const ConfigNode& item : node.items()) check_duplicate_keys(item, d);
    }
}

void check_keys(const ConfigNode& map, const Keys& allowed, const std::string& where, Diagnostics& d) {
    for (const auto& [key, value] : map.entries()) {
        const std::string k = key.text();
        if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
        std::string msg = "unknown key '" + k + "' in " + where;
        if (std::string hint = closest_match(k, allowed); !hint.empty()) msg += " (did you mean '" + hint + "'?)";
        msg += "; expected one of: " + join(allowed);
        d.add(key.location(), msg);
    }
}

// Replaces ${VAR} and ${VAR:-default} in every scalar with the environment's
// value, in place (the node keeps its location). An unset variable without a
// default is an error. Secrets can thus stay out of config files.
void expand_environment(const ConfigNode& node, Diagnostics& d) {
    if (node.is_map()) {
        for (const auto& [k, v] : node.entries()) expand_environment(v, d);
        return;
    }
    if (node.is_sequence()) {
        for (const ConfigNode& item : node.items()) expand_environment(item, d);
        return;
    }
    if (!node.is_scalar()) return;
    const std::string& text = node.yaml().Scalar();
    if (text.find("${") == std::string::npos) return;
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto open = text.find("${", pos);
        if (open == std::string::npos) {
            out += text.substr(pos);
            break;
        }
        const auto close = text.find('}', open);
        if (close == std::string::npos) {
            d.add(node.location(), "unterminated ${...} in '" + text + "'");
            return;
        }
        out += text.substr(pos, open - pos);
        const std::string inner = text.substr(open + 2, close - open - 2);
        const auto dash = inner.find(":-");
        const std::string name = inner.substr(0, dash);
        if (const char* value = std::getenv(name.c_str()); value && *value)
            out += value;
        else if (dash != std::string::npos)
            out += inner.substr(dash + 2);
        else {
            d.add(node.location(), "environment variable '" + name + "' is not set (write ${" + name + ":-default} to give a default)");
            return;
        }
        pos = close + 1;
    }
    YAML::Node writable = node.yaml();  // YAML::Node assignment edits the node itself
    writable = out;
}

// yaml-cpp makes an alias the very node its anchor names, so a document is a
// graph, not a tree: `a: &a [*a]` contains itself, and a few aliases nested
// into each other stand for billions of nodes. Every walk over the config
// (ours and the plugins') would recurse until the stack overflows or run for
// hours, so such a file is refused before anything walks it. Plain anchors
// and aliases (shared defaults) stay allowed.
constexpr std::size_t max_config_nodes = 100'000;  // counted with aliases expanded; a real config has hundreds
constexpr std::size_t max_config_depth = 64;

// Walks the YAML nodes themselves: this runs up to a million times on a
// hostile file, so it builds no ConfigNode unless it reports.
bool check_graph(const YAML::Node& node, std::vector<YAML::Node>& path, std::size_t& visited,
                 const std::shared_ptr<const std::string>& file, Diagnostics& d) {
    const auto fail = [&](const std::string& message) {
        d.add(ConfigNode(node, file).location(), message);
        return false;
    };
    if (++visited > max_config_nodes)
        return fail("the config expands to more than " + std::to_string(max_config_nodes) +
                    " values (aliases nested into each other?)");
    if (!node.IsMap() && !node.IsSequence()) return true;
    for (const YAML::Node& outer : path)
        if (outer.is(node)) return fail("an alias refers to a map or list that contains it, so the config would be infinite");
    if (path.size() == max_config_depth)
        return fail("the config nests deeper than " + std::to_string(max_config_depth) + " levels");
    path.push_back(node);
    bool ok = true;
    for (auto it = node.begin(); ok && it != node.end(); ++it) {
        if (node.IsMap()) ok = check_graph(it->first, path, visited, file, d) && check_graph(it->second, path, visited, file, d);
        else ok = check_graph(*it, path, visited, file, d);
    }
    path.pop_back();
    return ok;
}

// Runs `read`, turning a ConfigError into a diagnostic; false if it failed.
template <class F>
bool attempt(Diagnostics& d, F&& read) {
    try {
        read();
        return true;
    } catch (const ConfigError& e) {
        d.add(e);
        return false;
    }
}

void read_daemon(const ConfigNode& node, DaemonSettings& s, Diagnostics& d) {
    if (!node.is_map()) {
        d.add(node.location(), "'daemon' must be a map with keys: " + join(daemon_keys));
        return;
    }
    check_keys(node, daemon_keys, "daemon", d);
    if (node.has("threads"))
        attempt(d, [&] {
            const std::int64_t t = node["threads"].as_int();
            if (t < 1 || t > 256) node["threads"].fail("daemon.threads must be between 1 and 256, got " + std::to_string(t));
            s.threads = static_cast<int>(t);
        });
    if (node.has("admin"))
        attempt(d, [&] {
            const ConfigNode a = node["admin"];
            s.admin = a.as_string();
            s.admin_where = a.location();
            const auto colon = s.admin.rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == s.admin.size())
                a.fail("daemon.admin must be host:port, e.g. 127.0.0.1:9100, got '" + s.admin + "'");
        });
    if (node.has("plugin_path")) attempt(d, [&] { s.plugin_path = node["plugin_path"].as_strings(); });
    if (node.has("drain_timeout")) attempt(d, [&] { s.drain_timeout = node["drain_timeout"].as_duration(); });
    if (node.has("log_level"))
        attempt(d, [&] {
            const ConfigNode l = node["log_level"];
            s.log_level = l.as_string();
            if (std::find(log_levels.begin(), log_levels.end(), s.log_level) == log_levels.end())
                l.fail("daemon.log_level must be one of " + join(log_levels) + ", got '" + s.log_level + "'");
        });
}

void read_pipeline(const std::string& name, const ConfigNode& node, PipelineConfig& p, Diagnostics& d) {
    p.name = name;
    p.where = node.location();
    if (!node.is_map()) {
        d.add(node.location(), "pipeline '" + name + "' must be a map with source, optional stages, and sinks");
        return;
    }
    check_keys(node, pipeline_keys, "pipeline '" + name + "'", d);
    if (!node.has("source"))
        d.add(node.location(), "pipeline '" + name + "' has no 'source'");
    else
        read_plugin_entry(node["source"], p.source, d);

    auto read_list = [&](const char* key, std::vector<PluginEntry>& out) {
        const ConfigNode list = node[key];
        if (!list.defined()) return;
        if (!list.is_sequence()) {
            d.add(list.location(), "'" + std::string(key) + "' of pipeline '" + name + "' must be a list of plugin entries");
            return;
        }
        for (const ConfigNode& item : list.items()) {
            PluginEntry e;
            if (read_plugin_entry(item, e, d)) out.push_back(std::move(e));
        }
    };
    read_list("stages", p.stages);
    read_list("sinks", p.sinks);
    if (!node["sinks"].defined() || (node["sinks"].is_sequence() && node["sinks"].items().empty()))
        d.add(node.location(), "pipeline '" + name + "' has no sinks: give at least one under 'sinks:'");
    if (node.has("max_in_flight"))
        attempt(d, [&] {
            const std::int64_t m = node["max_in_flight"].as_int();
            if (m < 1) node["max_in_flight"].fail("max_in_flight must be at least 1, got " + std::to_string(m));
            p.max_in_flight = static_cast<std::size_t>(m);
        });

    // Instance names identify sinks in metrics, logs and pipeline tests.
    std::map<std::string, Location> names;
    auto claim = [&](const PluginEntry& e) {
        auto [it, fresh] = names.emplace(e.name, e.where());
        if (!fresh)
            d.add(e.where(), "duplicate plugin instance name '" + e.name + "' in pipeline '" + name +
                                 "' (first at " + it->second.str() + "); give one of them a distinct `name:`");
    };
    if (!p.source.plugin.empty()) claim(p.source);
    for (const PluginEntry& e : p.stages) claim(e);
    for (const PluginEntry& e : p.sinks) claim(e);
}

}  // namespace

const ResourceConfig* DaemonConfig::resource(const std::string& name) const {
    for (const ResourceConfig& r : resources)
        if (r.name == name) return &r;
    return nullptr;
}

const PipelineConfig* DaemonConfig::pipeline(const std::string& name) const {
    for (const PipelineConfig& p : pipelines)
        if (p.name == name) return &p;
    return nullptr;
}

bool read_plugin_entry(const ConfigNode& node, PluginEntry& out, Diagnostics& d) {
    out.node = node;
    if (!node.is_map()) {
        d.add(node.location(), "expected a plugin entry (a map with 'plugin:'), got " +
                                   (node.is_sequence() ? std::string("a list") : "'" + node.text() + "'"));
        return false;
    }
    if (!node.has("plugin")) {
        d.add(node.location(), "plugin entry has no 'plugin:' key naming the plugin to use");
        return false;
    }
    bool ok = attempt(d, [&] { out.plugin = node["plugin"].as_string(); });
    out.name = out.plugin;
    if (node.has("name"))
        ok &= attempt(d, [&] {
            out.name = node["name"].as_string();
            if (!valid_name(out.name)) node["name"].fail("instance name '" + out.name + "' may use only letters, digits, '_', '-' and '.'");
        });
    return ok;
}

void read_config_text(const std::string& text, const std::string& file, DaemonConfig& into, Diagnostics& d) {
    const auto file_name = std::make_shared<const std::string>(file);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        d.add({file, e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
        return;
    }
    const ConfigNode top(root, file_name, {file, 1, 1});
    if (!top.defined()) {
        d.add({file, 1, 1}, "the file is empty: expected a map with 'pipelines:'");
        return;
    }
    if (!top.is_map()) {
        d.add(top.location(), "expected a map with keys " + join(top_keys));
        return;
    }
    std::vector<YAML::Node> path;
    std::size_t visited = 0;
    if (!check_graph(root, path, visited, file_name, d)) return;
    check_duplicate_keys(top, d);
    expand_environment(top, d);
    check_keys(top, top_keys, "the top level", d);

    if (top.has("daemon")) {
        const ConfigNode daemon = top["daemon"];
        if (into.daemon.where.line != 0)
            d.add(daemon.location(), "'daemon' settings are given twice (first at " + into.daemon.where.str() + ")");
        else
            into.daemon.where = daemon.location();
        read_daemon(daemon, into.daemon, d);
    }
    const ConfigNode resources = top["resources"];
    if (resources.defined() && !resources.is_map())
        d.add(resources.location(), "'resources' must be a map from resource name to a plugin entry");
    for (const auto& [key, value] : resources.entries()) {
        ResourceConfig r;
        r.name = key.text();
        if (!valid_name(r.name)) d.add(key.location(), "resource name '" + r.name + "' may use only letters, digits, '_', '-' and '.'");
        if (const ResourceConfig* prev = into.resource(r.name))
            d.add(key.location(), "resource '" + r.name + "' is declared twice (first at " + prev->entry.where().str() + ")");
        if (read_plugin_entry(value, r.entry, d)) into.resources.push_back(std::move(r));
    }
    const ConfigNode pipelines = top["pipelines"];
    if (!pipelines.defined()) {
        if (!top.has("resources") && !top.has("daemon")) d.add(top.location(), "no 'pipelines:' in the file");
        return;
    }
    if (!pipelines.is_map()) {
        d.add(pipelines.location(), "'pipelines' must be a map from pipeline name to {source, stages, sinks}");
        return;
    }
    for (const auto& [key, value] : pipelines.entries()) {
        const std::string name = key.text();
        if (!valid_name(name)) d.add(key.location(), "pipeline name '" + name + "' may use only letters, digits, '_', '-' and '.'");
        if (const PipelineConfig* prev = into.pipeline(name)) {
            d.add(key.location(), "pipeline '" + name + "' is declared twice (first at " + prev->where.str() + ")");
            continue;
        }
        PipelineConfig p;
        read_pipeline(name, value, p, d);
        into.pipelines.push_back(std::move(p));
    }
}

DaemonConfig read_config_files(const std::vector<std::string>& files, Diagnostics& d) {
    DaemonConfig config;
    for (const std::string& f : files) {
        std::ifstream in(f);
        if (!in) {
            d.add({f, 0, 0}, "cannot open the config file");
            continue;
        }
        std::stringstream text;
        text << in.rdbuf();
        read_config_text(text.str(), f, config, d);
    }
    if (d.empty() && config.pipelines.empty() && !files.empty())
        d.add({files.front(), 1, 1}, "no pipelines declared in " + join(files));
    return config;
}

void check_options(PluginEntry& e, const DaemonConfig& config, Diagnostics& d) {
    const PluginInfo& info = e.loaded->info;
    Keys allowed = host_entry_keys;
    for (const OptionSpec& s : info.options) allowed.push_back(s.name);
    for (const auto& [key, value] : e.node.entries()) {
        const std::string k = key.text();
        if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
        std::string msg = "unknown option '" + k + "' for plugin '" + info.name + "'";
        if (std::string hint = closest_match(k, allowed); !hint.empty()) msg += " (did you mean '" + hint + "'?)";
        Keys own(allowed.begin() + host_entry_keys.size(), allowed.end());
        msg += own.empty() ? "; it takes no options" : "; its options are: " + join(own);
        d.add(key.location(), msg);
    }
    YAML::Node writable = e.node.yaml();  // shares the document: defaults land in place
    for (const OptionSpec& s : info.options) {
        const ConfigNode v = e.node[s.name];
        if (!v.defined()) {
            if (s.required)
                d.add(e.where(), "plugin '" + info.name + "' needs option '" + s.name + "' (" +
                                     std::string(to_string(s.type)) + "): " + s.doc);
            else if (!s.default_value.empty())
                // A string default is taken as written ("tc:" is not a YAML map).
                writable[s.name] = s.type == OptionType::string ? YAML::Node(s.default_value) : YAML::Load(s.default_value);
            continue;
        }
        attempt(d, [&] {
            switch (s.type) {
                case OptionType::string: v.as_string(); break;
                case OptionType::integer: v.as_int(); break;
                case OptionType::boolean: v.as_bool(); break;
                case OptionType::duration: v.as_duration(); break;
                case OptionType::size: v.as_size(); break;
                case OptionType::string_list: v.as_strings(); break;
                case OptionType::map:
                    if (!v.is_map()) v.fail("option '" + s.name + "' must be a map");
                    break;
                case OptionType::list:
                    if (!v.is_sequence()) v.fail("option '" + s.name + "' must be a list");
                    break;
                case OptionType::any: break;
                case OptionType::resource: {
                    const std::string name = v.as_string();
                    const ResourceConfig* r = config.resource(name);
                    if (!r) {
                        Keys declared;
                        for (const ResourceConfig& rc : config.resources) declared.push_back(rc.name);
                        std::string msg = "option '" + s.name + "' refers to resource '" + name + "', which is not declared under 'resources:'";
                        if (std::string hint = closest_match(name, declared); !hint.empty()) msg += " (did you mean '" + hint + "'?)";
                        v.fail(msg);
                    }
                    if (!s.resource_plugin.empty() && r->entry.plugin != s.resource_plugin)
                        v.fail("option '" + s.name + "' needs a '" + s.resource_plugin + "' resource, but '" + name +
                               "' uses plugin '" + r->entry.plugin + "'");
                    break;
                }
            }
        });
    }
}

void check_plugins(DaemonConfig& config, const PluginCatalog& catalog, Diagnostics& d) {
    auto resolve = [&](PluginEntry& e, PluginKind expected, const std::string& role) {
        if (e.plugin.empty()) return;
        const ConfigNode plugin_node = e.node["plugin"];
        const LoadedPlugin* p = catalog.find(e.plugin, expected);
        if (!p) p = catalog.find(e.plugin);  // to name its kind below
        if (!p) {
            std::string msg = catalog.not_found_message(e.plugin);
            Keys known;
            for (const LoadedPlugin* lp : catalog.plugins()) known.push_back(lp->info.name);
            if (std::string hint = closest_match(e.plugin, known); !hint.empty()) msg += " (did you mean '" + hint + "'?)";
            d.add(plugin_node.location(), msg);
            return;
        }
        if (p->info.kind != expected) {
            d.add(plugin_node.location(), "plugin '" + e.plugin + "' is a " + std::string(to_string(p->info.kind)) +
                                              "; it cannot be used as a " + std::string(to_string(expected)) + " (" + role + ")");
            return;
        }
        e.loaded = p;
        check_options(e, config, d);
    };
    for (ResourceConfig& r : config.resources) resolve(r.entry, PluginKind::resource, "resource '" + r.name + "'");
    for (PipelineConfig& p : config.pipelines) {
        resolve(p.source, PluginKind::source, "source of pipeline '" + p.name + "'");
        for (PluginEntry& e : p.stages) resolve(e, PluginKind::stage, "stage of pipeline '" + p.name + "'");
        for (PluginEntry& e : p.sinks) resolve(e, PluginKind::sink, "sink of pipeline '" + p.name + "'");
    }
}

}  // namespace tickcast::core
