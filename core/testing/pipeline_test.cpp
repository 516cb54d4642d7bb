#include "testing/pipeline_test.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>
#include <tickcast/json.hpp>

#include "config/daemon_config.hpp"
#include "loader/plugin_catalog.hpp"
#include "runtime/daemon.hpp"

namespace tickcast::core {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::vector<std::string> file_keys = {"config", "pipeline", "tests"};
const std::vector<std::string> test_keys = {"name", "input", "replace", "expect", "timeout"};
const std::vector<std::string> expect_keys = {"match", "ignore", "events"};

struct Expectation {
    std::string sink;
    bool subset = false;
    std::vector<std::string> ignore;
    std::vector<json::value> events;
    Location where;
};

struct TestCase {
    std::string name;
    Location where;
    ConfigNode input;    // undefined: keep the configured source
    ConfigNode replace;  // instance name -> plugin entry
    std::vector<Expectation> expect;
    std::chrono::nanoseconds timeout = std::chrono::seconds(30);
};

std::string show(const json::value& v) {
    std::string s = json::serialize(v);
    return s.size() > 400 ? s.substr(0, 400) + "..." : s;
}

bool numbers_equal(const json::value& a, const json::value& b) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    auto wide = [](const json::value& v) { return v.is_int64() ? __int128(v.get_int64()) : __int128(v.get_uint64()); };
    return wide(a) == wide(b);
}

void check_keys(const ConfigNode& map, const std::vector<std::string>& allowed, const std::string& where, Diagnostics& d) {
    for (const auto& [k, v] : map.entries())
        if (std::find(allowed.begin(), allowed.end(), k.text()) == allowed.end()) {
            std::string msg = "unknown key '" + k.text() + "' in " + where;
            if (auto hint = closest_match(k.text(), allowed); !hint.empty()) msg += " (did you mean '" + hint + "'?)";
            d.add(k.location(), msg);
        }
}

// Expected events come from YAML; a payload written as a string that holds
// JSON is compared as that JSON.
json::value expected_event(const ConfigNode& node) {
    json::value v = yaml_to_json(node.yaml());
    if (json::object* o = v.if_object())
        if (json::value* p = o->if_contains("payload"); p && p->is_string()) *p = payload_to_json(p->get_string());
    return v;
}

std::vector<json::value> read_captured(const fs::path& file) {
    std::vector<json::value> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(json::parse(line));
    return out;
}

class TestFile {
public:
    TestFile(fs::path path, spdlog::level::level_enum level, std::ostream& out) : path_(std::move(path)), level_(level), out_(out) {}

    // 0 pass, 1 fail, 2 malformed
    int run() {
        Diagnostics d;
        std::vector<TestCase> tests;
        if (!parse(tests, d)) {
            out_ << d.str();
            out_ << "ERROR " << path_.string() << ": malformed test file\n";
            return 2;
        }
        int status = 0;
        for (const TestCase& t : tests) {
            const int s = run_one(t);
            status = std::max(status, s);
        }
        return status;
    }

    int passed = 0, failed = 0;

private:
    bool parse(std::vector<TestCase>& tests, Diagnostics& d) {
        std::ifstream in(path_);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) {
            d.add({path_.string(), 0, 0}, "cannot read the test file");
            return false;
        }
        try {
            root_ = YAML::Load(text.str());
        } catch (const YAML::ParserException& e) {
            d.add({path_.string(), e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
            return false;
        }
        const ConfigNode top(root_, std::make_shared<const std::string>(path_.string()), {path_.string(), 1, 1});
        if (!top.is_map()) {
            d.add(top.location(), "a test file is a map with config, pipeline and tests");
            return false;
        }
        check_keys(top, file_keys, "the test file", d);
        try {
            if (!top.has("config")) top.fail("no 'config:' naming the pipeline config under test");
            config_path_ = path_.parent_path() / top["config"].as_string();
            if (top.has("pipeline")) pipeline_ = top["pipeline"].as_string();
            if (!top["tests"].is_sequence()) top.fail("'tests:' must be a list of tests");
            for (const ConfigNode& t : top["tests"].items()) {
                check_keys(t, test_keys, "a test", d);
                TestCase tc;
                tc.where = t.location();
                if (!t.has("name")) t.fail("test has no 'name'");
                tc.name = t["name"].as_string();
                tc.input = t["input"];
                if (tc.input.defined() && !tc.input.is_sequence()) tc.input.fail("'input' must be a list of events");
                tc.replace = t["replace"];
                if (t.has("timeout")) tc.timeout = t["timeout"].as_duration();
                if (!t["expect"].is_map()) t.fail("test '" + tc.name + "' has no 'expect:' map from sink name to expected events");
                for (const auto& [k, v] : t["expect"].entries()) {
                    check_keys(v, expect_keys, "expect." + k.text(), d);
                    Expectation e;
                    e.sink = k.text();
                    e.where = v.location();
                    if (v.has("match")) {
                        const std::string m = v["match"].as_string();
                        if (m != "exact" && m != "subset") v["match"].fail("match must be 'exact' or 'subset', got '" + m + "'");
                        e.subset = m == "subset";
                    }
                    if (v.has("ignore")) e.ignore = v["ignore"].as_strings();
                    if (!v["events"].is_sequence()) v.fail("expect." + e.sink + " needs 'events:', a list (may be empty)");
                    for (const ConfigNode& ev : v["events"].items()) e.events.push_back(expected_event(ev));
                    tc.expect.push_back(std::move(e));
                }
                tests.push_back(std::move(tc));
            }
        } catch (const ConfigError& e) {
            d.add(e);
        }
        return d.empty();
    }

    YAML::Node entry_node(const std::string& plugin, const std::string& name) {
        YAML::Node n(YAML::NodeType::Map);
        n["plugin"] = plugin;
        n["name"] = name;
        return n;
    }

    int run_one(const TestCase& t) {
        const std::string label = t.name + " (" + t.where.str() + ")";
        auto fail = [&](const std::string& why) {
            ++failed;
            out_ << "FAIL " << label << "\n" << why;
            if (why.empty() || why.back() != '\n') out_ << "\n";
            return 1;
        };

        Diagnostics d;
        DaemonConfig config = read_config_files({config_path_.string()}, d);
        if (!d.empty()) return fail("the config under test has errors:\n" + d.str());
        std::string pipeline = pipeline_;
        if (pipeline.empty()) {
            if (config.pipelines.size() != 1) return fail("the config has several pipelines: name one with 'pipeline:'");
            pipeline = config.pipelines.front().name;
        }
        auto it = std::find_if(config.pipelines.begin(), config.pipelines.end(), [&](auto& p) { return p.name == pipeline; });
        if (it == config.pipelines.end()) return fail("the config has no pipeline '" + pipeline + "'");
        PipelineConfig p = *it;
        config.pipelines = {};

        const auto file_name = std::make_shared<const std::string>(path_.string());
        const fs::path dir = fs::temp_directory_path() / ("tickcast-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        fs::create_directories(dir);
        struct Cleanup {
            fs::path d;
            ~Cleanup() {
                std::error_code ec;
                fs::remove_all(d, ec);
            }
        } cleanup{dir};

        if (t.input.defined()) {
            YAML::Node n = entry_node("mock_source", p.source.name);
            n["events"] = t.input.yaml();
            read_plugin_entry(ConfigNode(n, file_name, t.where), p.source, d);
        }
        for (const auto& [k, v] : t.replace.entries()) {
            PluginEntry* target = nullptr;
            for (PluginEntry& e : p.stages)
                if (e.name == k.text()) target = &e;
            for (PluginEntry& e : p.sinks)
                if (e.name == k.text()) target = &e;
            if (!target) return fail(k.location().str() + ": pipeline '" + pipeline + "' has no stage or sink named '" + k.text() + "'");
            const std::string keep = target->name;
            read_plugin_entry(v, *target, d);
            target->name = keep;
        }
        for (const Expectation& e : t.expect)
            if (std::none_of(p.sinks.begin(), p.sinks.end(), [&](auto& s) { return s.name == e.sink; }))
                return fail(e.where.str() + ": pipeline '" + pipeline + "' has no sink named '" + e.sink + "'");
        for (PluginEntry& s : p.sinks) {
            YAML::Node n = entry_node("capture_sink", s.name);
            n["path"] = (dir / (s.name + ".jsonl")).string();
            read_plugin_entry(ConfigNode(n, file_name, t.where), s, d);
        }
        config.pipelines.push_back(std::move(p));

        PluginCatalog catalog(PluginCatalog::search_path(config.daemon.plugin_path));
        catalog.scan();
        check_plugins(config, catalog, d);
        drop_unused_resources(config);
        BuiltConfig built;
        if (d.empty()) built = build_instances(config, d);
        if (!d.empty()) return fail(d.str());

        Daemon daemon(config, built, {.handle_signals = false, .serve_admin = false, .log_level = level_});
        std::atomic<bool> done{false};
        std::thread watchdog([&] {
            const auto deadline = std::chrono::steady_clock::now() + t.timeout;
            while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (!done) daemon.shutdown();
        });
        const int exit_code = daemon.run();
        const bool timed_out = !done.exchange(true) && false;
        watchdog.join();
        (void)timed_out;
        if (exit_code != 0) return fail("the pipeline exited with status " + std::to_string(exit_code) + " (see the log above)");

        std::string report;
        for (const Expectation& e : t.expect) report += compare_sink(e, read_captured(dir / (e.sink + ".jsonl")));
        if (!report.empty()) return fail(report);
        ++passed;
        out_ << "PASS " << label << "\n";
        return 0;
    }

    // A test swaps real sources and sinks for mocks; their resources (a
    // Kafka cluster, a Redis server) must then not be started at all.
    static void drop_unused_resources(DaemonConfig& config) {
        std::vector<std::string> used;
        auto note = [&](const PluginEntry& e) {
            if (!e.loaded) return;
            for (const OptionSpec& s : e.loaded->info.options)
                if (s.type == OptionType::resource && e.node.has(s.name)) used.push_back(e.node[s.name].as_string());
        };
        for (const PipelineConfig& p : config.pipelines) {
            note(p.source);
            for (const PluginEntry& e : p.stages) note(e);
            for (const PluginEntry& e : p.sinks) note(e);
        }
        std::erase_if(config.resources, [&](const ResourceConfig& r) {
            return std::find(used.begin(), used.end(), r.name) == used.end();
        });
    }

    static std::string compare_sink(const Expectation& e, const std::vector<json::value>& actual) {
        std::string out;
        const std::size_t n = std::max(e.events.size(), actual.size());
        int shown = 0;
        for (std::size_t i = 0; i < n && shown < 5; ++i) {
            if (i >= e.events.size()) {
                out += "  sink '" + e.sink + "' event #" + std::to_string(i + 1) + " was not expected:\n    actual:   " + show(actual[i]) + "\n";
                ++shown;
                continue;
            }
            if (i >= actual.size()) {
                out += "  sink '" + e.sink + "' event #" + std::to_string(i + 1) + " is missing:\n    expected: " + show(e.events[i]) + "\n";
                ++shown;
                continue;
            }
            std::vector<std::string> diffs;
            compare_json(e.events[i], actual[i], "", e.subset, e.ignore, diffs);
            if (diffs.empty()) continue;
            ++shown;
            out += "  sink '" + e.sink + "' event #" + std::to_string(i + 1) + ":\n";
            for (const std::string& line : diffs) out += "    " + line + "\n";
            out += "    expected: " + show(e.events[i]) + "\n    actual:   " + show(actual[i]) + "\n";
        }
        if (e.events.size() != actual.size())
            out += "  sink '" + e.sink + "': expected " + std::to_string(e.events.size()) + " events, got " + std::to_string(actual.size()) + "\n";
        return out;
    }

    fs::path path_;
    spdlog::level::level_enum level_;
    std::ostream& out_;
    YAML::Node root_;
    fs::path config_path_;
    std::string pipeline_;
    int counter_ = 0;
};

}  // namespace

void compare_json(const json::value& expected, const json::value& actual, const std::string& path, bool subset,
                  const std::vector<std::string>& ignore, std::vector<std::string>& diffs) {
    if (std::find(ignore.begin(), ignore.end(), path) != ignore.end()) return;
    const std::string where = path.empty() ? "event" : path;
    if (expected.is_object() && actual.is_object()) {
        const json::object &e = expected.get_object(), &a = actual.get_object();
        for (const auto& kv : e) {
            const std::string sub = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
            if (std::find(ignore.begin(), ignore.end(), sub) != ignore.end()) continue;
            const json::value* av = a.if_contains(kv.key());
            if (!av)
                diffs.push_back(sub + ": expected " + show(kv.value()) + ", but the field is missing");
            else
                compare_json(kv.value(), *av, sub, subset, ignore, diffs);
        }
        // Top-level envelope fields not written in the expectation (origin_ns,
        // hops, ...) are never compared; inside, exact means no extra fields.
        if (!subset && !path.empty())
            for (const auto& kv : a)
                if (!e.contains(kv.key())) {
                    const std::string sub = path + "." + std::string(kv.key());
                    if (std::find(ignore.begin(), ignore.end(), sub) == ignore.end())
                        diffs.push_back(sub + ": unexpected field with value " + show(kv.value()));
                }
        return;
    }
    if (expected.is_array() && actual.is_array()) {
        const json::array &e = expected.get_array(), &a = actual.get_array();
        if (e.size() != a.size()) {
            diffs.push_back(where + ": expected " + std::to_string(e.size()) + " elements, got " + std::to_string(a.size()));
            return;
        }
        for (std::size_t i = 0; i < e.size(); ++i) compare_json(e[i], a[i], path + "[" + std::to_string(i) + "]", subset, ignore, diffs);
        return;
    }
    if (expected.is_number() && actual.is_number()) {
        if (!numbers_equal(expected, actual)) diffs.push_back(where + ": expected " + show(expected) + ", got " + show(actual));
        return;
    }
    if (expected != actual) diffs.push_back(where + ": expected " + show(expected) + ", got " + show(actual));
}

int run_pipeline_tests(const std::vector<std::string>& paths, spdlog::level::level_enum level, std::ostream& out) {
    std::vector<fs::path> files;
    for (const std::string& p : paths) {
        if (fs::is_directory(p)) {
            for (const auto& e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file() && (e.path().extension() == ".yaml" || e.path().extension() == ".yml")) files.push_back(e.path());
        } else {
            files.emplace_back(p);
        }
    }
    std::sort(files.begin(), files.end());
    int status = 0, passed = 0, failed = 0;
    for (const fs::path& f : files) {
        TestFile tf(f, level, out);
        status = std::max(status, tf.run());
        passed += tf.passed;
        failed += tf.failed;
    }
    out << passed << " passed, " << failed << " failed\n";
    return status;
}

}  // namespace tickcast::core
