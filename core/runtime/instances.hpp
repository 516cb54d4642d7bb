// Plugin instances built from a checked DaemonConfig. Each keeps the library
// its code lives in mapped for as long as it exists.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <tickcast/plugin.hpp>

#include "config/daemon_config.hpp"

namespace tickcast::core {

template <class T>
struct Instance {
    std::shared_ptr<void> library;  // declared first: released after `object`
    std::shared_ptr<T> object;
    PluginEntry entry;

    Instance() = default;
    Instance(Instance&&) noexcept = default;
    Instance& operator=(Instance&&) noexcept = default;
    ~Instance() { object.reset(); }
};

struct PipelineInstances {
    const PipelineConfig* config = nullptr;
    Instance<Source> source;
    std::vector<Instance<Stage>> stages;
    std::vector<Instance<Sink>> sinks;
};

struct ResourceInstance {
    std::string name;
    Instance<Resource> instance;
};

struct BuiltConfig {
    std::vector<ResourceInstance> resources;
    std::vector<PipelineInstances> pipelines;
};

// Calls every plugin's factory; a factory's ConfigError (or any exception)
// becomes a diagnostic naming the entry. Needs check_plugins to have passed.
BuiltConfig build_instances(const DaemonConfig& config, Diagnostics& diagnostics);

}  // namespace tickcast::core
