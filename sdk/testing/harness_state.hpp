// Private to the tickcast::testing library: the host state behind a harness.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <tickcast/testing.hpp>

#include "config/daemon_config.hpp"
#include "plugin_library_impl.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/plugin_context.hpp"

namespace tickcast::testing {

// Keeps every line logged through the plugin's context.
class CaptureLogSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<LogLine> lines;  // guarded by lines_mutex()
    std::mutex& lines_mutex() { return mutex_; }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}
};

struct Host::State {
    std::shared_ptr<const PluginLibrary::Impl> library;  // first: released last
    const core::LoadedPlugin* loaded = nullptr;
    std::string name;
    std::vector<TestResource> resources;
    core::MetricsRegistry metrics;
    std::shared_ptr<CaptureLogSink> log = std::make_shared<CaptureLogSink>();
    core::HostServices services{metrics, nullptr, spdlog::level::trace, {}, {}};
    core::DaemonConfig config;  // only the resources, for option checks
    core::PluginEntry entry;    // the options, defaults filled in
    std::unique_ptr<core::InstanceContext> context;
};

}  // namespace tickcast::testing
