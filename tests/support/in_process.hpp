// Runs a YAML config to completion inside the test process (the real loader,
// config checks, plugins and runtime) and returns its exit status and metrics.
#pragma once

#include <gtest/gtest.h>

#include "config/daemon_config.hpp"
#include "loader/plugin_catalog.hpp"
#include "runtime/daemon.hpp"

namespace tickcast::test {

struct RunResult {
    int exit_code = -1;
    std::string metrics;

    // The value of one sample (`name{labels}`), or -1 if absent.
    double metric(const std::string& name_and_labels) const {
        const auto at = metrics.find(name_and_labels + " ");
        return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name_and_labels.size() + 1));
    }
};

inline core::PluginCatalog& test_catalog() {
    static core::PluginCatalog* catalog = [] {
        auto* c = new core::PluginCatalog({TICKCAST_PLUGIN_DIR, TICKCAST_BAD_PLUGIN_DIR});  // kept for the whole run
        c->scan();
        return c;
    }();
    return *catalog;
}

inline RunResult run_config(const std::string& yaml) {
    core::DaemonConfig config;
    core::Diagnostics d;
    core::read_config_text(yaml, "test.yaml", config, d);
    core::check_plugins(config, test_catalog(), d);
    core::BuiltConfig built;
    if (d.empty()) built = core::build_instances(config, d);
    EXPECT_TRUE(d.empty()) << d.str();
    if (!d.empty()) return {};
    core::Daemon daemon(config, built, {.handle_signals = false, .serve_admin = false, .log_level = spdlog::level::warn});
    RunResult r;
    r.exit_code = daemon.run();
    r.metrics = daemon.metrics_text();
    return r;
}

}  // namespace tickcast::test
