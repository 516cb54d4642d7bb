// tickcastd: the tickcast host daemon.
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <tickcast/abi.hpp>

#include "cli/commands.hpp"

using namespace tickcast::core;

int main(int argc, char** argv) {
    CLI::App app{"tickcastd: runs YAML-declared pipelines of market-data plugins"};
    app.require_subcommand(0, 1);
    app.fallthrough();  // global options may follow the subcommand
    app.footer(
        "Exit status: 0 success, 1 runtime failure or failing tests, 2 bad configuration or usage.\n"
        "Plugins are searched on daemon.plugin_path, TICKCAST_PLUGIN_PATH, then beside the binary.");
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    bool version = false;
    app.add_flag("--version", version, "Print the version and the plugin ABI, then exit");

    std::vector<std::string> run_files, validate_files, test_paths, plugin_names;
    auto* run = app.add_subcommand("run", "Run the pipelines in FILE... until their sources end or a signal arrives");
    run->add_option("files", run_files, "YAML config files (merged)")->required()->check(CLI::ExistingFile);
    std::string admin;
    run->add_option("--admin", admin, "Serve /health and /metrics on host:port, overriding daemon.admin (port 0: any free port)");
    auto* validate = app.add_subcommand("validate", "Check FILE... and report every error without starting anything");
    validate->add_option("files", validate_files, "YAML config files (merged)")->required();
    auto* test = app.add_subcommand("test", "Run pipeline tests (YAML files, or folders of them)");
    test->add_option("paths", test_paths, "test files or folders")->required();
    auto* plugins = app.add_subcommand("plugins", "List the plugins found, or describe the named ones");
    plugins->add_option("names", plugin_names, "plugins to describe with their options");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }
    // Logs go to stderr: stdout belongs to data (file_sink path: /dev/stdout).
    spdlog::set_default_logger(spdlog::stderr_color_mt("tickcastd"));
    const auto level = spdlog::level::from_str(log_level);
    spdlog::set_level(level);
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");

    if (version) {
        std::cout << "tickcastd " << TICKCAST_SDK_VERSION << " (plugin ABI " << TICKCAST_ABI_VERSION << ")\n";
        return exit_ok;
    }
    if (*run) return command_run(run_files, admin, level);
    if (*validate) return command_validate(validate_files);
    if (*test) return command_test(test_paths, level);
    if (*plugins) return command_plugins(plugin_names);
    std::cout << app.help();
    return exit_usage;
}
