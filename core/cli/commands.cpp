#include "cli/commands.hpp"

#include <pthread.h>

#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <spdlog/spdlog.h>

#include "config/daemon_config.hpp"
#include "loader/plugin_catalog.hpp"
#include "runtime/daemon.hpp"
#include "testing/pipeline_test.hpp"

namespace tickcast::core {

namespace {

// A config read, checked against the plugins and built: what run and
// validate share. `ok()` is false if any diagnostic was reported.
struct LoadedConfig {
    DaemonConfig config;
    std::unique_ptr<PluginCatalog> catalog;
    BuiltConfig built;
    Diagnostics diagnostics;
    bool ok() const { return diagnostics.empty(); }
};

std::unique_ptr<LoadedConfig> load(const std::vector<std::string>& files) {
    auto l = std::make_unique<LoadedConfig>();
    l->config = read_config_files(files, l->diagnostics);
    l->catalog = std::make_unique<PluginCatalog>(PluginCatalog::search_path(l->config.daemon.plugin_path));
    l->catalog->scan();
    check_plugins(l->config, *l->catalog, l->diagnostics);
    if (l->ok()) l->built = build_instances(l->config, l->diagnostics);
    return l;
}

void describe_plugin(const LoadedPlugin& p) {
    std::cout << p.info.name << " (" << to_string(p.info.kind) << ", " << p.library_path.string() << ")\n  " << p.info.summary
              << "\n  options:\n";
    for (const OptionSpec& o : p.info.options) {
        std::cout << "    " << o.name << ": " << to_string(o.type);
        if (o.required) std::cout << ", required";
        if (!o.default_value.empty()) std::cout << ", default " << o.default_value;
        if (!o.resource_plugin.empty()) std::cout << " (a '" << o.resource_plugin << "' resource)";
        std::cout << "\n      " << o.doc << "\n";
    }
}

void report(const Diagnostics& d) {
    std::cerr << d.str() << d.size() << (d.size() == 1 ? " error\n" : " errors\n");
}

}  // namespace

int command_validate(const std::vector<std::string>& files) {
    auto l = load(files);
    if (!l->ok()) {
        report(l->diagnostics);
        return exit_usage;
    }
    std::size_t plugins = l->config.resources.size();
    for (const PipelineConfig& p : l->config.pipelines) plugins += 1 + p.stages.size() + p.sinks.size();
    std::cout << "ok: " << l->config.pipelines.size() << " pipeline(s), " << l->config.resources.size()
              << " resource(s), " << plugins << " plugin instance(s)\n";
    return exit_ok;
}

int command_run(const std::vector<std::string>& files, const std::string& admin, spdlog::level::level_enum level) {
    // A stop signal while the config and plugins load stays pending until
    // the daemon listens for it (Daemon::run unblocks), so it drains instead
    // of dying half-started.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    auto l = load(files);
    if (!admin.empty()) {
        l->config.daemon.admin = admin;
        l->config.daemon.admin_where = {"--admin", 0, 0};
    }
    if (!l->ok()) {
        report(l->diagnostics);
        return exit_usage;
    }
    if (!l->config.daemon.log_level.empty()) {
        level = spdlog::level::from_str(l->config.daemon.log_level);
        spdlog::set_level(level);
    }
    Daemon daemon(l->config, l->built, {.handle_signals = true, .serve_admin = true, .log_level = level});
    const int status = daemon.run();
    if (daemon.forced()) {
        // Undrained plugins may block in their destructors (a consumer
        // waiting for an unreachable broker): leave without them.
        spdlog::default_logger()->flush();
        std::fflush(nullptr);
        std::_Exit(status);
    }
    return status;
}

int command_plugins(const std::vector<std::string>& names) {
    PluginCatalog catalog(PluginCatalog::search_path({}));
    catalog.scan();
    if (names.empty()) {
        std::cout << "search path:\n";
        for (const auto& f : catalog.folders()) std::cout << "  " << f.string() << "\n";
        std::cout << "plugins:\n";
        for (const LoadedPlugin* p : catalog.plugins())
            std::cout << "  " << p->info.name << std::string(p->info.name.size() < 18 ? 18 - p->info.name.size() : 1, ' ')
                      << to_string(p->info.kind) << std::string(10 - to_string(p->info.kind).size(), ' ')
                      << p->library_name << " " << p->library_version << "  " << p->info.summary << "\n";
        for (const RefusedLibrary& r : catalog.refused())
            std::cout << "refused " << r.path.string() << ": " << r.reason << "\n";
        return exit_ok;
    }
    int status = exit_ok;
    for (const std::string& name : names) {
        if (!catalog.find(name)) {
            std::cerr << catalog.not_found_message(name) << "\n";
            status = exit_usage;
            continue;
        }
        for (const LoadedPlugin* p : catalog.plugins())
            if (p->info.name == name) describe_plugin(*p);
    }
    return status;
}

int command_test(const std::vector<std::string>& paths, spdlog::level::level_enum level) {
    return run_pipeline_tests(paths, level, std::cout);
}

}  // namespace tickcast::core
