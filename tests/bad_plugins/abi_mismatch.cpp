// A plugin built for another plugin ABI (CMake defines TICKCAST_ABI_VERSION=999).
#include <tickcast/tickcast.hpp>

namespace {
class NullSink final : public tickcast::Sink {
public:
    void write(tickcast::BatchRef, tickcast::Completion done) override { done(); }
};
void register_plugins(tickcast::PluginRegistry& r) {
    r.add_sink({"future_sink", tickcast::PluginKind::sink, "built for ABI 999", {}},
               [](const tickcast::ConfigNode&) { return std::make_unique<NullSink>(); });
}
}  // namespace

TICKCAST_PLUGIN_LIBRARY("abi_mismatch", "9.9.9", register_plugins)
