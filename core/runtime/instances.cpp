#include "runtime/instances.hpp"

#include <boost/dll/shared_library.hpp>

#include "loader/plugin_catalog.hpp"

namespace tickcast::core {

namespace {
template <class T>
bool build(const PluginEntry& entry, Instance<T>& out, Diagnostics& d) {
    const auto* make = std::get_if<Factory<T>>(&entry.loaded->factory);
    if (!make) return false;  // check_plugins already reported the wrong kind
    try {
        out.library = entry.loaded->library;
        out.object = (*make)(entry.node);
        out.entry = entry;
        if (!out.object) {
            d.add(entry.where(), "plugin '" + entry.plugin + "' returned no instance");
            return false;
        }
        return true;
    } catch (const ConfigError& e) {
        d.add(e);
    } catch (const std::exception& e) {
        d.add(entry.where(), "plugin '" + entry.plugin + "' rejected its options: " + e.what());
    } catch (...) {
        d.add(entry.where(), "plugin '" + entry.plugin + "' threw an unknown exception while being created");
    }
    return false;
}
}  // namespace

BuiltConfig build_instances(const DaemonConfig& config, Diagnostics& d) {
    BuiltConfig built;
    for (const ResourceConfig& r : config.resources) {
        if (!r.entry.loaded) continue;
        ResourceInstance ri;
        ri.name = r.name;
        if (build(r.entry, ri.instance, d)) built.resources.push_back(std::move(ri));
    }
    for (const PipelineConfig& p : config.pipelines) {
        PipelineInstances pi;
        pi.config = &p;
        bool ok = p.source.loaded && build(p.source, pi.source, d);
        for (const PluginEntry& e : p.stages) {
            Instance<Stage> s;
            ok = e.loaded && build(e, s, d) && ok;
            pi.stages.push_back(std::move(s));
        }
        for (const PluginEntry& e : p.sinks) {
            Instance<Sink> s;
            ok = e.loaded && build(e, s, d) && ok;
            pi.sinks.push_back(std::move(s));
        }
        if (ok) built.pipelines.push_back(std::move(pi));
    }
    return built;
}

}  // namespace tickcast::core
