// PluginCatalog: finds plugin libraries on the search path, checks their
// handshake and keeps every plugin they register, by name.
//
// Lifetime: libraries stay mapped while the catalog or any LoadedPlugin (and
// so any instance created from it) lives; the daemon keeps the catalog until
// exit, so no library is ever unloaded under a live object.
// Not thread-safe: scan once at start-up, then only read.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <tickcast/plugin.hpp>

namespace boost::dll { class shared_library; }

namespace tickcast::core {

struct LoadedPlugin {
    PluginInfo info;
    std::variant<Factory<Source>, Factory<Stage>, Factory<Sink>, Factory<Resource>> factory;
    std::filesystem::path library_path;
    std::string library_name;
    std::string library_version;
    std::shared_ptr<boost::dll::shared_library> library;  // keeps the code mapped
};

// A library found on the path that could not be used, and why.
struct RefusedLibrary {
    std::filesystem::path path;
    std::string reason;
};

class PluginCatalog {
public:
    // Folders are searched in order; the first library to register a name wins.
    explicit PluginCatalog(std::vector<std::filesystem::path> folders);
    ~PluginCatalog();
    PluginCatalog(const PluginCatalog&) = delete;
    PluginCatalog& operator=(const PluginCatalog&) = delete;

    // Loads every *.so in the folders. Never throws; bad libraries are refused.
    void scan();
    // Loads one library file; returns the refusal reason or an empty string.
    std::string load_library(const std::filesystem::path& path);

    // One name may be registered once per kind (redis_pubsub is both a
    // source and a sink); without a kind, the first registration is returned.
    const LoadedPlugin* find(const std::string& name) const;
    const LoadedPlugin* find(const std::string& name, PluginKind kind) const;
    // Why `name` is not available: the folders searched and any refused library.
    std::string not_found_message(const std::string& name) const;

    const std::vector<std::filesystem::path>& folders() const { return folders_; }
    const std::vector<RefusedLibrary>& refused() const { return refused_; }
    std::vector<const LoadedPlugin*> plugins() const;

    // The folders to search: daemon.plugin_path, then TICKCAST_PLUGIN_PATH
    // (colon-separated), then the default beside the executable
    // (../plugins in the build tree, ../lib/tickcast/plugins when installed).
    static std::vector<std::filesystem::path> search_path(const std::vector<std::string>& configured);

private:
    std::vector<std::filesystem::path> folders_;
    std::multimap<std::string, LoadedPlugin> plugins_;
    std::vector<RefusedLibrary> refused_;
    std::vector<std::shared_ptr<boost::dll::shared_library>> libraries_;
};

// Compares a library's handshake with the host's; empty when compatible.
std::string check_abi(const AbiInfo& theirs);

}  // namespace tickcast::core
