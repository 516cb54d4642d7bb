// Registration of the WebSocket gateway: the `websocket_server` sink.
#include <tickcast/tickcast.hpp>

#include "websocket_sink.hpp"

namespace {

void register_plugins(tickcast::PluginRegistry& r) {
    using namespace tickcast;
    r.add_sink({"websocket_server", PluginKind::sink,
                "WebSocket gateway: per-channel push with snapshot then gap-free deltas, and REST, from the Redis cache",
                websocket::WebSocketSink::options()},
               [](const ConfigNode& o) { return std::make_unique<websocket::WebSocketSink>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("websocket", TICKCAST_SDK_VERSION, register_plugins)
