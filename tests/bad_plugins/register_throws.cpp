// A plugin whose registration throws: the loader must refuse it, not crash.
#include <stdexcept>

#include <tickcast/tickcast.hpp>

namespace {
void register_plugins(tickcast::PluginRegistry&) { throw std::runtime_error("registration exploded on purpose"); }
}  // namespace

TICKCAST_PLUGIN_LIBRARY("register_throws", "0.0.1", register_plugins)
