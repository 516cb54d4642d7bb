// Registration of the mock plugins: test doubles for pipelines.
#include <tickcast/tickcast.hpp>

#include "capture_sink.hpp"
#include "fail_sink.hpp"
#include "mock_source.hpp"

namespace {

void register_plugins(tickcast::PluginRegistry& r) {
    using namespace tickcast;
    using namespace tickcast::mock;
    r.add_source({"mock_source", PluginKind::source, "Emits the events listed in its options (repeat, rate)", MockSource::options()},
                 [](const ConfigNode& o) { return std::make_unique<MockSource>(o); });
    r.add_sink({"capture_sink", PluginKind::sink, "Keeps events; with path: writes them as JSON lines", CaptureSink::options()},
               [](const ConfigNode& o) { return std::make_unique<CaptureSink>(o); });
    r.add_sink({"fail_sink", PluginKind::sink, "Fails every Nth event and/or completes slowly, for fault tests", FailSink::options()},
               [](const ConfigNode& o) { return std::make_unique<FailSink>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("mock", TICKCAST_SDK_VERSION, register_plugins)
