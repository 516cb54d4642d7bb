// Every config mistake is reported with its file:line:column and a message
// that says what was wrong and what was expected.
#include <gtest/gtest.h>

#include "config/daemon_config.hpp"
#include "loader/plugin_catalog.hpp"
#include "runtime/instances.hpp"

using namespace tickcast;
using namespace tickcast::core;

namespace {

PluginCatalog& catalog() {
    static PluginCatalog* c = [] {
        auto* cat = new PluginCatalog({TICKCAST_PLUGIN_DIR});  // kept for the whole run
        cat->scan();
        return cat;
    }();
    return *c;
}

// Reads, checks and builds `yaml` as the daemon would; returns every diagnostic.
Diagnostics check(const std::string& yaml) {
    DaemonConfig config;
    Diagnostics d;
    read_config_text(yaml, "bad.yaml", config, d);
    check_plugins(config, catalog(), d);
    if (d.empty()) build_instances(config, d);
    return d;
}

::testing::AssertionResult has_error(const Diagnostics& d, int line, int column, const std::string& text) {
    for (const Diagnostic& x : d.items())
        if (x.where.file == "bad.yaml" && x.where.line == line && x.where.column == column &&
            x.message.find(text) != std::string::npos)
            return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no error at " << line << ":" << column << " containing '" << text
                                         << "'; got:\n" << d.str();
}

const char* good_sinks = "    sinks: [{plugin: capture_sink}]\n";

}  // namespace

TEST(BadConfig, yaml_syntax_error_points_at_the_broken_token) {
    auto d = check("pipelines:\n  main: {source: [oops\n");
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d.items()[0].where.line, 3);
    EXPECT_NE(d.items()[0].message.find("YAML syntax error"), std::string::npos) << d.str();
}

TEST(BadConfig, misspelt_top_level_key_suggests_the_right_one) {
    auto d = check("pipeline:\n  main: {}\n");
    EXPECT_TRUE(has_error(d, 1, 1, "unknown key 'pipeline' in the top level (did you mean 'pipelines'?)"));
}

TEST(BadConfig, unknown_daemon_key_is_an_error) {
    auto d = check(std::string("daemon:\n  thread: 2\npipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 2, 3, "unknown key 'thread' in daemon (did you mean 'threads'?)"));
}

TEST(BadConfig, wrong_type_names_the_expected_type_and_the_value) {
    auto d = check(std::string("daemon:\n  threads: two\npipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 2, 12, "expected an integer, got 'two'"));
}

TEST(BadConfig, missing_required_option_names_it_and_its_purpose) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n    sinks:\n      - {plugin: file_sink}\n");
    EXPECT_TRUE(has_error(d, 5, 9, "plugin 'file_sink' needs option 'path' (string): File to write"));
}

TEST(BadConfig, unknown_plugin_option_suggests_the_closest) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n    sinks:\n      - {plugin: capture_sink, pth: /tmp/x}\n");
    EXPECT_TRUE(has_error(d, 5, 32, "unknown option 'pth' for plugin 'capture_sink' (did you mean 'path'?)"));
}

TEST(BadConfig, unknown_plugin_lists_the_folders_searched) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n    sinks:\n      - {plugin: capture_snk}\n");
    EXPECT_TRUE(has_error(d, 5, 18, "unknown plugin 'capture_snk'; searched " TICKCAST_PLUGIN_DIR));
    EXPECT_TRUE(has_error(d, 5, 18, "(did you mean 'capture_sink'?)"));
}

TEST(BadConfig, sink_used_as_a_source_is_refused) {
    auto d = check(std::string("pipelines:\n  main:\n    source: {plugin: capture_sink}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 3, 22, "plugin 'capture_sink' is a sink; it cannot be used as a source"));
}

TEST(BadConfig, duplicate_pipeline_name_points_at_the_second) {
    auto d = check(std::string("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n") + good_sinks +
                   "  main:\n    source: {plugin: mock_source, events: []}\n" + good_sinks);
    EXPECT_TRUE(has_error(d, 5, 3, "duplicate key 'main' (first at line 2)"));
}

TEST(BadConfig, duplicate_instance_names_in_a_pipeline_ask_for_a_name) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n    sinks:\n"
                   "      - {plugin: capture_sink}\n      - {plugin: capture_sink}\n");
    EXPECT_TRUE(has_error(d, 6, 9, "duplicate plugin instance name 'capture_sink' in pipeline 'main' (first at bad.yaml:5:9)"));
}

TEST(BadConfig, pipeline_without_sinks_is_refused) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n");
    EXPECT_TRUE(has_error(d, 3, 5, "pipeline 'main' has no sinks"));
}

TEST(BadConfig, malformed_duration_lists_the_units) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n    sinks:\n"
                   "      - {plugin: fail_sink, delay: 5 seconds}\n");
    EXPECT_TRUE(has_error(d, 5, 36, "expected a duration such as 500ms or 10s (units: ns, us, ms, s, m, h), got '5 seconds'"));
}

TEST(BadConfig, plugin_rejects_a_bad_value_at_its_location) {
    auto d = check(std::string("pipelines:\n  main:\n    source:\n      plugin: mock_source\n      events:\n"
                               "        - {payload: x}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 6, 11, "mock event has no 'channel'"));
}

TEST(BadConfig, capture_format_names_the_formats) {
    auto d = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n"
                   "    sinks: [{plugin: capture_sink, format: csv}]\n");
    EXPECT_TRUE(has_error(d, 4, 44, "format must be `envelope` or `stamps`, not 'csv'"));
}

TEST(BadConfig, mutually_exclusive_options_are_explained) {
    auto d = check(std::string("pipelines:\n  main:\n    source: {plugin: file_source, path: x, channel: a, channel_field: c}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 3, 13, "file_source needs exactly one of 'channel'"));
}

TEST(BadConfig, zero_max_in_flight_is_refused) {
    auto d = check(std::string("pipelines:\n  main:\n    max_in_flight: 0\n    source: {plugin: mock_source, events: []}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 3, 20, "max_in_flight must be at least 1, got 0"));
}

TEST(BadConfig, unknown_log_level_lists_the_levels) {
    auto d = check(std::string("daemon: {log_level: loud}\npipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 1, 21, "daemon.log_level must be one of trace, debug, info, warn, error, critical, off, got 'loud'"));
}

TEST(BadConfig, admin_without_port_is_refused) {
    auto d = check(std::string("daemon: {admin: localhost}\npipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n") + good_sinks);
    EXPECT_TRUE(has_error(d, 1, 17, "daemon.admin must be host:port"));
}

TEST(BadConfig, every_error_is_reported_not_just_the_first) {
    auto d = check("daemon: {threads: 0, colour: red}\n"
                   "pipelines:\n  main:\n    source: {plugin: mock_source, events: [], rate: fast}\n"
                   "    sinks:\n      - {plugin: nope_sink}\n      - {plugin: file_sink, format: xml}\n");
    EXPECT_TRUE(has_error(d, 1, 19, "daemon.threads must be between 1 and 256, got 0"));
    EXPECT_TRUE(has_error(d, 1, 22, "unknown key 'colour' in daemon"));
    EXPECT_TRUE(has_error(d, 4, 53, "expected an integer, got 'fast'"));
    EXPECT_TRUE(has_error(d, 6, 18, "unknown plugin 'nope_sink'"));
    EXPECT_TRUE(has_error(d, 7, 9, "plugin 'file_sink' needs option 'path'"));
    EXPECT_EQ(d.size(), 5u) << d.str();
}

// Resource references are checked against `resources:` and the plugin the
// option needs; the table below stands in for a plugin with such an option.
TEST(BadConfig, resource_references_must_be_declared_and_of_the_right_plugin) {
    LoadedPlugin fake;
    fake.info = {"cache_sink", PluginKind::sink, "test", {{"cache", OptionType::resource, true, "", "the Redis", "redis"}}};
    LoadedPlugin kafka;
    kafka.info = {"kafka", PluginKind::resource, "test", {}};
    DaemonConfig config;
    Diagnostics d;
    read_config_text("resources:\n  bus: {plugin: kafka}\npipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n"
                     "    sinks:\n      - {plugin: cache_sink, cache: cahce}\n      - {plugin: cache_sink, name: second, cache: bus}\n",
                     "bad.yaml", config, d);
    ASSERT_TRUE(d.empty()) << d.str();
    config.resources[0].entry.loaded = &kafka;
    for (PluginEntry& e : config.pipelines[0].sinks) {
        e.loaded = &fake;
        check_options(e, config, d);
    }
    EXPECT_TRUE(has_error(d, 7, 37, "option 'cache' refers to resource 'cahce', which is not declared under 'resources:'"));
    EXPECT_TRUE(has_error(d, 8, 51, "option 'cache' needs a 'redis' resource, but 'bus' uses plugin 'kafka'"));
}

TEST(BadConfig, a_correct_config_has_no_diagnostics_and_gets_defaults) {
    DaemonConfig config;
    Diagnostics d;
    read_config_text("pipelines:\n  main:\n    source: {plugin: mock_source, events: [{channel: a, payload: x}]}\n" + std::string(good_sinks),
                     "good.yaml", config, d);
    check_plugins(config, catalog(), d);
    ASSERT_TRUE(d.empty()) << d.str();
    EXPECT_EQ(config.pipelines[0].source.node["repeat"].as_int(), 1);
    EXPECT_EQ(config.pipelines[0].max_in_flight, 10'000u);
}

TEST(ConfigEnvironment, variables_expand_in_place_with_defaults_and_unset_ones_are_errors) {
    ::setenv("TICKCAST_TEST_PATH", "/tmp/from-env.jsonl", 1);
    ::unsetenv("TICKCAST_TEST_UNSET");
    DaemonConfig config;
    Diagnostics d;
    read_config_text("pipelines:\n  main:\n    source: {plugin: mock_source, events: [], rate: \"${TICKCAST_TEST_UNSET:-5}\"}\n"
                     "    sinks: [{plugin: file_sink, path: \"${TICKCAST_TEST_PATH}\"}]\n",
                     "env.yaml", config, d);
    ASSERT_TRUE(d.empty()) << d.str();
    EXPECT_EQ(config.pipelines[0].sinks[0].node["path"].as_string(), "/tmp/from-env.jsonl");
    EXPECT_EQ(config.pipelines[0].sinks[0].node["path"].location().str(), "env.yaml:4:39");
    EXPECT_EQ(config.pipelines[0].source.node["rate"].as_int(), 5);

    auto bad = check("pipelines:\n  main:\n    source: {plugin: mock_source, events: []}\n"
                     "    sinks: [{plugin: file_sink, path: \"${TICKCAST_TEST_UNSET}\"}]\n");
    EXPECT_TRUE(has_error(bad, 4, 39, "environment variable 'TICKCAST_TEST_UNSET' is not set"));
}

// Found while fuzzing the loader: an alias inside the node its anchor names
// made every walk over the config recurse until the stack overflowed
// (`tickcastd validate` died with SIGSEGV on a 23-byte file), and nested
// aliases ("billion laughs") made it run for hours. Both are refused.
TEST(ConfigAliases, an_alias_inside_its_own_anchor_is_an_error_not_a_crash) {
    auto d = check("pipelines: &p\n  main: {source: *p}\n");
    EXPECT_TRUE(has_error(d, 1, 12, "an alias refers to a map or list that contains it")) << d.str();
    auto list = check("a: &a [1, *a]\n");
    EXPECT_TRUE(has_error(list, 1, 4, "an alias refers to a map or list that contains it")) << list.str();
}

TEST(ConfigAliases, aliases_that_expand_beyond_100000_values_are_refused) {
    std::string yaml = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {  // 10^9 values once expanded
        yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) yaml += (j ? ", *l" : "*l") + std::to_string(i - 1);
        yaml += "]\n";
    }
    auto d = check(yaml);
    ASSERT_EQ(d.size(), 1u) << d.str();
    EXPECT_NE(d.items()[0].message.find("expands to more than 100000 values"), std::string::npos) << d.str();
}

TEST(ConfigAliases, a_shared_entry_through_an_alias_still_works) {
    auto d = check("pipelines:\n  a:\n    source: &src {plugin: mock_source, events: []}\n" + std::string(good_sinks) +
                   "  b:\n    source: *src\n" + good_sinks);
    EXPECT_TRUE(d.empty()) << d.str();
}
