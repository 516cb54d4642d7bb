// Registration of the file plugins: with them `tickcastd run` is a replay tool.
#include <tickcast/tickcast.hpp>

#include "file_sink.hpp"
#include "file_source.hpp"

namespace {

void register_plugins(tickcast::PluginRegistry& r) {
    using namespace tickcast;
    using namespace tickcast::file;
    r.add_source({"file_source", PluginKind::source, "Replays a file, one event per line", FileSource::options()},
                 [](const ConfigNode& o) { return std::make_unique<FileSource>(o); });
    r.add_sink({"file_sink", PluginKind::sink, "Writes one line per event: the payload or a JSON envelope", FileSink::options()},
               [](const ConfigNode& o) { return std::make_unique<FileSink>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("file", TICKCAST_SDK_VERSION, register_plugins)
