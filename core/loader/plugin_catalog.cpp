#include "loader/plugin_catalog.hpp"

#include <algorithm>
#include <cstdlib>

#include <dlfcn.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <spdlog/spdlog.h>

#include <tickcast/export.hpp>

// The build sets it from CMAKE_INSTALL_LIBDIR; others (the SDK's testing
// library) search only the build tree's and the common installed layout.
#ifndef TICKCAST_PLUGIN_INSTALL_RELDIR
#define TICKCAST_PLUGIN_INSTALL_RELDIR "lib/tickcast/plugins"
#endif

namespace tickcast::core {

namespace fs = std::filesystem;

namespace {

// Collects what one library registers, so that a library whose registration
// throws halfway adds nothing.
class CollectingRegistry final : public PluginRegistry {
public:
    void add_source(PluginInfo info, Factory<Source> make) override { add(std::move(info), PluginKind::source, std::move(make)); }
    void add_stage(PluginInfo info, Factory<Stage> make) override { add(std::move(info), PluginKind::stage, std::move(make)); }
    void add_sink(PluginInfo info, Factory<Sink> make) override { add(std::move(info), PluginKind::sink, std::move(make)); }
    void add_resource(PluginInfo info, Factory<Resource> make) override { add(std::move(info), PluginKind::resource, std::move(make)); }

    std::vector<LoadedPlugin> found;

private:
    template <class F>
    void add(PluginInfo info, PluginKind kind, F make) {
        info.kind = kind;
        LoadedPlugin p;
        p.info = std::move(info);
        p.factory = std::move(make);
        found.push_back(std::move(p));
    }
};

std::string describe(const AbiInfo& a) {
    return "ABI " + std::to_string(a.abi_version) + " (SDK " + (a.sdk_version ? a.sdk_version : "?") + ")";
}

}  // namespace

std::string check_abi(const AbiInfo& theirs) {
    const AbiInfo ours = make_abi_info("tickcastd", TICKCAST_SDK_VERSION);
    if (theirs.magic != abi_magic) return "not a tickcast plugin: its handshake has the wrong magic number";
    if (theirs.abi_version != ours.abi_version)
        return "ABI mismatch: the library was built for tickcast plugin " + describe(theirs) +
               ", this tickcastd speaks " + describe(ours) + "; rebuild the plugin against this SDK";
    std::string diffs;
    auto differ = [&](const char* what, std::uint32_t a, std::uint32_t b) {
        if (a != b) diffs += std::string(diffs.empty() ? "" : ", ") + what + " " + std::to_string(a) + " vs " + std::to_string(b);
    };
    differ("compiler major version", theirs.compiler_major, ours.compiler_major);
    differ("libstdc++ string ABI", theirs.cxx11_string_abi, ours.cxx11_string_abi);
    differ("Boost version", theirs.boost_version, ours.boost_version);
    differ("sizeof(Event)", theirs.event_size, ours.event_size);
    if (!diffs.empty()) return "ABI mismatch (plugin vs tickcastd): " + diffs + "; rebuild the plugin with this toolchain";
    return {};
}

PluginCatalog::PluginCatalog(std::vector<fs::path> folders) : folders_(std::move(folders)) {}

PluginCatalog::~PluginCatalog() {
    // Plugins (and their factories, whose code lives in the libraries) go
    // first; the libraries are unmapped last.
    plugins_.clear();
}

std::vector<fs::path> PluginCatalog::search_path(const std::vector<std::string>& configured) {
    std::vector<fs::path> out;
    auto add = [&](const fs::path& p) {
        if (p.empty()) return;
        fs::path abs = fs::absolute(p).lexically_normal();
        if (std::find(out.begin(), out.end(), abs) == out.end()) out.push_back(abs);
    };
    for (const std::string& p : configured) add(p);
    if (const char* env = std::getenv("TICKCAST_PLUGIN_PATH")) {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            add(fs::path(std::string(rest.substr(0, colon))));
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
    }
    boost::system::error_code ec;
    const fs::path exe_dir = boost::dll::program_location(ec).parent_path().string();
    if (!ec) {
        for (const fs::path& candidate : {exe_dir / ".." / "plugins", exe_dir / ".." / TICKCAST_PLUGIN_INSTALL_RELDIR,
                                          exe_dir / ".." / "lib" / "tickcast" / "plugins"}) {
            if (fs::is_directory(candidate)) add(candidate);
        }
    }
    return out;
}

void PluginCatalog::scan() {
    for (const fs::path& folder : folders_) {
        std::error_code ec;
        if (!fs::is_directory(folder, ec)) continue;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(folder, ec))
            if (entry.is_regular_file() && entry.path().extension() == ".so") files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const fs::path& f : files) {
            std::string why = load_library(f);
            if (!why.empty()) {
                spdlog::debug("plugin library {} refused: {}", f.string(), why);
                refused_.push_back({f, std::move(why)});
            }
        }
    }
}

std::string PluginCatalog::load_library(const fs::path& path) {
    auto lib = std::make_shared<boost::dll::shared_library>();
    boost::system::error_code ec;
    lib->load(path.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) {
        const char* dl = dlerror();
        return "cannot load: " + (dl ? std::string(dl) : ec.message());
    }
    if (!lib->has("tickcast_handshake"))
        return "not a tickcast plugin: it exports no 'tickcast_handshake' symbol (build it with TICKCAST_PLUGIN_LIBRARY)";
    const AbiInfo* abi = nullptr;
    try {
        abi = lib->get_alias<detail::HandshakeFn>("tickcast_handshake")();
    } catch (const std::exception& e) {
        return std::string("handshake failed: ") + e.what();
    }
    if (!abi) return "handshake failed: it returned no ABI description";
    if (std::string why = check_abi(*abi); !why.empty()) return why;
    if (!lib->has("tickcast_register"))
        return "not a tickcast plugin: it exports no 'tickcast_register' symbol (build it with TICKCAST_PLUGIN_LIBRARY)";

    CollectingRegistry registry;
    try {
        lib->get_alias<detail::RegisterFn>("tickcast_register")(registry);
    } catch (const std::exception& e) {
        return std::string("its registration threw: ") + e.what();
    } catch (...) {
        return "its registration threw an unknown exception";
    }
    for (LoadedPlugin& p : registry.found) {
        if (const LoadedPlugin* earlier = find(p.info.name, p.info.kind)) {
            spdlog::debug("plugin '{}' in {} is shadowed by {}", p.info.name, path.string(), earlier->library_path.string());
            continue;
        }
        p.library_path = path;
        p.library_name = abi->library_name ? abi->library_name : "";
        p.library_version = abi->library_version ? abi->library_version : "";
        p.library = lib;
        std::string name = p.info.name;
        plugins_.emplace(std::move(name), std::move(p));
    }
    libraries_.push_back(std::move(lib));
    return {};
}

const LoadedPlugin* PluginCatalog::find(const std::string& name) const {
    auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : &it->second;
}

const LoadedPlugin* PluginCatalog::find(const std::string& name, PluginKind kind) const {
    auto [first, last] = plugins_.equal_range(name);
    for (auto it = first; it != last; ++it)
        if (it->second.info.kind == kind) return &it->second;
    return nullptr;
}

std::vector<const LoadedPlugin*> PluginCatalog::plugins() const {
    std::vector<const LoadedPlugin*> out;
    for (const auto& [name, p] : plugins_) out.push_back(&p);
    return out;
}

std::string PluginCatalog::not_found_message(const std::string& name) const {
    std::string msg = "unknown plugin '" + name + "'; searched ";
    if (folders_.empty()) msg += "no folders (set daemon.plugin_path or TICKCAST_PLUGIN_PATH)";
    for (std::size_t i = 0; i < folders_.size(); ++i) msg += (i ? ", " : "") + folders_[i].string();
    for (const RefusedLibrary& r : refused_) msg += "; refused " + r.path.string() + ": " + r.reason;
    return msg;
}

}  // namespace tickcast::core
