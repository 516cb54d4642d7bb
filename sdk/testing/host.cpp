// Host: what every harness shares. The plugin's context is the daemon's own
// (core::ContextImpl), its options are checked by the daemon's own
// check_options, its metrics go to a core::MetricsRegistry; only the log sink
// (a capture) and the executor (one io_context run by the test) differ.
#include "harness_state.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

#include <boost/asio/post.hpp>

namespace tickcast::testing {

namespace {

// A value starting with '[' or '{' is YAML flow; anything else a plain string.
YAML::Node option_node(const std::string& text) {
    if (!text.empty() && (text.front() == '[' || text.front() == '{')) return YAML::Load(text);
    return YAML::Node(text);
}

// Whether a Prometheus label block `{a="1",b="2"}` holds every wanted label.
bool has_labels(std::string_view block, const Labels& wanted) {
    return std::all_of(wanted.begin(), wanted.end(), [&](const auto& kv) {
        const std::string label = kv.first + "=\"" + kv.second + "\"";
        for (std::size_t at = block.find(label); at != std::string_view::npos; at = block.find(label, at + 1))
            if (at > 0 && (block[at - 1] == '{' || block[at - 1] == ',')) return true;
        return false;
    });
}

}  // namespace

void CaptureLogSink::sink_it_(const spdlog::details::log_msg& msg) {
    lines.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
}

Event event(std::string channel, std::string payload, std::uint64_t seq, std::string key) {
    Event e;
    e.channel = std::move(channel);
    e.key = std::move(key);
    e.payload = make_payload(std::move(payload));
    e.seq = seq;
    e.origin_ns = now_ns();
    return e;
}

Host::Host(const PluginLibrary& library, const std::string& plugin, PluginKind kind, const Options& options,
           std::vector<TestResource> resources)
    : io_(std::make_unique<boost::asio::io_context>()), state_(std::make_shared<State>()) {
    State& s = *state_;
    s.library = library.impl();
    s.loaded = &s.library->find(plugin, kind);
    s.name = "test/" + plugin;
    s.resources = std::move(resources);
    s.services.log_sink = s.log;
    s.services.log_level = spdlog::level::trace;
    s.services.find_resource = [state = state_.get()](const std::string& name) -> std::shared_ptr<Resource> {
        for (const TestResource& r : state->resources)
            if (r.name == name) return r.resource;
        return nullptr;
    };
    // fail() may come from any thread: it is recorded on the test's.
    s.services.fail = [this, owner = std::this_thread::get_id()](const std::string& who, const std::string& reason) {
        if (std::this_thread::get_id() == owner)
            note_failure(who + ": " + reason);
        else
            boost::asio::post(*io_, [this, what = who + ": " + reason] { note_failure(what); });
    };

    // The options as a config would give them, checked and completed by the
    // daemon's own code so that a test sees exactly what a pipeline would.
    YAML::Node map(YAML::NodeType::Map);
    for (const auto& [key, value] : options) map[key] = option_node(value);
    s.entry.plugin = plugin;
    s.entry.name = plugin;
    s.entry.node = ConfigNode(map, std::make_shared<const std::string>("<test options of " + plugin + ">"));
    s.entry.loaded = s.loaded;
    for (const TestResource& r : s.resources) {
        core::ResourceConfig rc;
        rc.name = r.name;
        rc.entry.plugin = r.plugin;
        s.config.resources.push_back(std::move(rc));
    }
    core::Diagnostics d;
    core::check_options(s.entry, s.config, d);
    if (!d.empty()) {
        std::string all;
        for (const core::Diagnostic& item : d.items()) all += (all.empty() ? "" : "; ") + item.message;
        throw ConfigError(d.items().front().where, all);
    }
    s.context = std::make_unique<core::InstanceContext>(s.services, s.name, io_->get_executor(), Labels{{"plugin", plugin}});
}

Host::~Host() {
    // Pending handlers may hold objects whose code lives in the plugin
    // library: drop them while it is still mapped.
    io_.reset();
    state_.reset();
}

template <class T>
std::unique_ptr<T> Host::build() {
    const auto* make = std::get_if<Factory<T>>(&state_->loaded->factory);
    if (!make) throw std::logic_error("plugin '" + state_->entry.plugin + "' is not a " + std::string(to_string(state_->loaded->info.kind)));
    std::unique_ptr<T> object = (*make)(state_->entry.node);
    if (!object) throw std::runtime_error("plugin '" + state_->entry.plugin + "' returned no instance");
    return object;
}
template std::unique_ptr<Source> Host::build<Source>();
template std::unique_ptr<Stage> Host::build<Stage>();
template std::unique_ptr<Sink> Host::build<Sink>();

PluginContext& Host::plugin_context() { return *state_->context; }

const std::string& Host::name() const { return state_->name; }

bool Host::guarded(const char* what, const std::function<void()>& call) {
    try {
        call();
        return true;
    } catch (const std::exception& e) {
        note_failure(state_->name + ": " + what + " threw: " + e.what());
    } catch (...) {
        note_failure(state_->name + ": " + what + " threw an unknown exception");
    }
    return false;
}

void Host::poll() {
    io_->restart();
    io_->poll();
}

void Host::advance(std::chrono::nanoseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < deadline) {
        io_->restart();
        // Nothing scheduled: only another thread's completion can arrive.
        if (io_->run_one_until(deadline) == 0 && io_->stopped())
            std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(1),
                                                                             deadline - std::chrono::steady_clock::now()));
    }
    poll();
}

bool Host::run_until(const std::function<bool()>& condition, std::chrono::nanoseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    poll();
    while (!condition()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        io_->restart();
        if (io_->run_one_for(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(1), deadline - now)) == 0 && io_->stopped())
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

std::vector<LogLine> Host::logs() const {
    std::lock_guard lock(state_->log->lines_mutex());
    return state_->log->lines;
}

bool Host::logged(std::string_view substring) const {
    const std::vector<LogLine> lines = logs();
    return std::any_of(lines.begin(), lines.end(), [&](const LogLine& l) { return l.text.find(substring) != std::string::npos; });
}

std::string Host::metrics_text() const { return state_->metrics.serialize(); }

std::optional<double> Host::metric(std::string_view name, const Labels& labels) const {
    // Text exposition lines: `name{labels} value`; a histogram's count is `name_count`.
    std::istringstream text(metrics_text());
    std::string line;
    const std::string plain(name), count = std::string(name) + "_count";
    while (std::getline(text, line)) {
        if (line.empty() || line.front() == '#') continue;
        const std::size_t brace = line.find('{'), space = line.rfind(' ');
        const std::size_t name_end = std::min(brace, line.find(' '));
        const std::string metric_name = line.substr(0, name_end);
        if (metric_name != plain && metric_name != count) continue;
        const std::string_view block = brace == std::string::npos ? std::string_view() : std::string_view(line).substr(brace, space - brace);
        if (!has_labels(block, labels)) continue;
        return std::stod(line.substr(space + 1));
    }
    return std::nullopt;
}

}  // namespace tickcast::testing
