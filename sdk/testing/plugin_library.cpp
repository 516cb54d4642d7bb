// PluginLibrary: a plugin library for a test, loaded through the daemon's own
// loader (PluginCatalog), so its handshake check is the one tickcastd applies.
#include "plugin_library_impl.hpp"

#include <algorithm>

namespace tickcast::testing {

namespace {

// Collects what a registration function registers, kind by kind.
class CollectingRegistry final : public PluginRegistry {
public:
    explicit CollectingRegistry(std::vector<core::LoadedPlugin>& into) : into_(into) {}
    void add_source(PluginInfo info, Factory<Source> make) override { add(std::move(info), PluginKind::source, std::move(make)); }
    void add_stage(PluginInfo info, Factory<Stage> make) override { add(std::move(info), PluginKind::stage, std::move(make)); }
    void add_sink(PluginInfo info, Factory<Sink> make) override { add(std::move(info), PluginKind::sink, std::move(make)); }
    void add_resource(PluginInfo info, Factory<Resource> make) override { add(std::move(info), PluginKind::resource, std::move(make)); }

private:
    template <class F>
    void add(PluginInfo info, PluginKind kind, F make) {
        info.kind = kind;
        core::LoadedPlugin p;
        p.info = std::move(info);
        p.factory = std::move(make);
        p.library_name = "(linked into the test)";
        into_.push_back(std::move(p));
    }
    std::vector<core::LoadedPlugin>& into_;
};

}  // namespace

PluginLibrary PluginLibrary::load(const std::filesystem::path& file) {
    auto impl = std::make_shared<Impl>();
    impl->catalog = std::make_unique<core::PluginCatalog>(std::vector<std::filesystem::path>{});
    if (std::string why = impl->catalog->load_library(file); !why.empty())
        throw LoadError("tickcast plugin library " + file.string() + " refused: " + why);
    impl->plugins = impl->catalog->plugins();
    return PluginLibrary(std::move(impl));
}

PluginLibrary PluginLibrary::from_registration(const std::function<void(PluginRegistry&)>& register_plugins) {
    auto impl = std::make_shared<Impl>();
    CollectingRegistry registry(impl->registered);
    register_plugins(registry);
    for (const core::LoadedPlugin& p : impl->registered) impl->plugins.push_back(&p);
    return PluginLibrary(std::move(impl));
}

std::vector<PluginInfo> PluginLibrary::plugins() const {
    std::vector<PluginInfo> out;
    for (const core::LoadedPlugin* p : impl_->plugins) out.push_back(p->info);
    return out;
}

const core::LoadedPlugin& PluginLibrary::Impl::find(const std::string& name, PluginKind kind) const {
    auto it = std::find_if(plugins.begin(), plugins.end(),
                           [&](const core::LoadedPlugin* p) { return p->info.name == name && p->info.kind == kind; });
    if (it != plugins.end()) return **it;
    std::string known;
    for (const core::LoadedPlugin* p : plugins)
        known += (known.empty() ? "" : ", ") + p->info.name + " (" + std::string(to_string(p->info.kind)) + ")";
    throw std::out_of_range("the library registers no " + std::string(to_string(kind)) + " named '" + name +
                            "'; it registers: " + (known.empty() ? "nothing" : known));
}

const PluginInfo& PluginLibrary::info(const std::string& name, PluginKind kind) const { return impl_->find(name, kind).info; }

}  // namespace tickcast::testing
