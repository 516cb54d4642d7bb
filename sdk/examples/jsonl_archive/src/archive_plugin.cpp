// Registration of the jsonl_archive library: one sink.
#include <tickcast/tickcast.hpp>

#include "archive_sink.hpp"

namespace jsonl_archive {

void register_plugins(tickcast::PluginRegistry& registry) {
    registry.add_sink({"jsonl_archive", tickcast::PluginKind::sink,
                       "Appends events as JSON lines to rotated files, with an fsync policy", ArchiveSink::options()},
                      [](const tickcast::ConfigNode& o) { return std::make_unique<ArchiveSink>(o); });
}

}  // namespace jsonl_archive

TICKCAST_PLUGIN_LIBRARY("jsonl_archive", "1.0.0", jsonl_archive::register_plugins)
