// Registration of the matching-engine plugins: the engine stage and the
// orderflow generator that feeds it in demos and benchmarks.
#include <tickcast/tickcast.hpp>

#include "matching_stage.hpp"
#include "orderflow_source.hpp"

namespace {

void register_plugins(tickcast::PluginRegistry& r) {
    using namespace tickcast;
    using namespace tickcast::matching;
    r.add_stage({"matching_engine", PluginKind::stage, "Price-time priority order books: orders in, trades, depth and order updates out",
                 MatchingStage::options()},
                [](const ConfigNode& o) { return std::make_unique<MatchingStage>(o); });
    r.add_source({"orderflow", PluginKind::source, "A seeded, realistic order stream (limits near the touch, cancels, marketable orders, modifies)",
                  OrderflowSource::options()},
                 [](const ConfigNode& o) { return std::make_unique<OrderflowSource>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("matching_engine", TICKCAST_SDK_VERSION, register_plugins)
