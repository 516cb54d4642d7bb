// bench_e2e: the seed document's table, measured. From the matching engine
// to WebSocket clients over three push paths, each against librdkafka's
// embedded broker and a real Apache Kafka broker:
//   kafka   the gateway fed straight from Kafka (kafka_source -> websocket_server)
//   pubsub  Kafka -> fan-out -> Redis Pub/Sub -> gateway
//   stream  Kafka -> fan-out -> Redis Streams -> gateway
//   floor   the pubsub path's match and fan-out daemons, Kafka and Redis
//           running as there, but the clients on bench/ws's FloorServer
//           (bare non-blocking sends of a frame built once, from as many
//           threads as the gateway writes with) instead of the gateway: what
//           sending alone costs next to the rest of the pipeline. Its latency
//           runs from the floor's own send stamp, so the hops before it are
//           not in it.
// Daemons (tickcastd, one per role, configs written here in the shape of
// configs/roles): match = orderflow -> matching_engine -> kafka_sink; fanout
// (not for `kafka`) = kafka_source -> redis_cache + redis_pubsub|redis_stream;
// gateway = the path's source -> websocket_server. The load client
// (bench/ws/ws_load_client.hpp, one thread) opens --clients connections,
// client i subscribed to depth.S<i % symbols>, and measures engine -> client
// latency from the depth event's `ts` (the engine's stamp) to the kernel's
// receive stamp, deliveries per second and seq gaps.
//
// Also printed per run: the daemons' own per-hop latency histograms
// (tickcast_hop_latency_seconds, p50 from their buckets), so the end-to-end
// figure splits into engine -> Kafka, the Kafka hop, the fan-out, the Redis
// hop and the gateway. bench/e2e/run.sh runs this next to bench_kafka and
// bench_redis at the same rate for the raw hops (librdkafka and hiredis
// alone) and docs/benchmarks.md has the table.
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "common/bench_support.hpp"
#include "common/services.hpp"
#include "support/daemon_process.hpp"
#include "support/ws_client.hpp"
#include "support/ports.hpp"
#include "support/redis_server.hpp"
#include "ws/floor_server.hpp"
#include "ws/ws_load_client.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tickcast::bench;
using tickcast::test::DaemonProcess;
using tickcast::test::free_port;
using tickcast::test::listens;
using tickcast::test::RedisServer;
using tickcast::test::TempDir;

struct Options {
    std::vector<std::string> paths{"kafka", "pubsub", "stream", "floor"};
    std::vector<std::string> brokers{"embedded", "kafka"};
    std::vector<int> rates{2000};
    std::size_t clients = 1000;
    int symbols = 20;
    double warmup = 4, seconds = 10;
    int threads = 1;
    int write_threads = 0;  // the gateway's write_threads (0: its default, one per core)
    double restart_gap = 2;
    int client_nice = 0;  // the load client thread's nice value
    double broker_warmup = 40;  // seconds of traffic through a fresh Apache Kafka broker before its first measured run
    // librdkafka properties of the match daemon's kafka_sink and of every
    // kafka_source: a latency-minded deployment's, unless the command line
    // says otherwise (--producer-property, --consumer-property).
    Properties producer{{"linger.ms", "0"}};
    Properties consumer{{"fetch.wait.max.ms", "1"}};
};

std::string symbols_yaml(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::string("S") + std::to_string(i);
    return s;
}

std::string match_yaml(const Options& o, const std::string& brokers, int rate, const std::string& topic) {
    std::string engine_symbols;
    for (int i = 0; i < o.symbols; ++i)
        engine_symbols += "          S" + std::to_string(i) + ": {tick: \"0.01\", lot: \"0.0001\"}\n";
    return "daemon: {threads: 1}\nresources:\n  bus: {plugin: kafka, brokers: " + brokers + ", embedded_partitions: 4}\n"
           "pipelines:\n  match:\n    source: {plugin: orderflow, symbols: [" + symbols_yaml(o.symbols) + "], rate: " +
           std::to_string(rate) + ", seed: 7, batch: 64}\n"
           "    stages:\n      - plugin: matching_engine\n        symbols:\n" + engine_symbols +
           "    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + librdkafka_option(o.producer) + "}]\n";
}

// Unique per run: a topic or group name of a run's own (the Apache Kafka
// broker outlives the runs of one invocation).
std::string unique_name(const std::string& role) {
    static int n = 0;
    return role + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

// `start`: earliest for the fan-out, which builds the cache's depth books
// from the topic's first event (a book cannot start from a delta in the
// middle: the cache refuses it, and a Redis-fed gateway then has no
// snapshot for that symbol); latest for a gateway reading Kafka directly.
std::string consumer(const Options& o, const std::string& topic, const std::string& group, const char* start) {
    return "{plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + group + ", start: " + start +
           librdkafka_option(o.consumer) + "}";
}

std::string fanout_yaml(const Options& o, const std::string& path, const std::string& brokers, const std::string& redis,
                        const std::string& topic) {
    const std::string push = path == "pubsub" ? "redis_pubsub" : "redis_stream";
    return "daemon: {threads: " + std::to_string(o.threads) + "}\nresources:\n  bus: {plugin: kafka, brokers: " + brokers +
           "}\n  cache: {plugin: redis, url: \"" + redis + "\"}\npipelines:\n  fanout:\n    source: " + consumer(o, topic, "fanout", "earliest") +
           "\n    sinks:\n      - {plugin: redis_cache, redis: cache}\n      - {plugin: " + push +
           ", redis: cache" + (push == "redis_stream" ? ", maxlen: 10000" : "") + "}\n";
}

std::string gateway_yaml(const Options& o, const std::string& path, const std::string& brokers, const std::string& redis,
                         const std::string& topic, const std::string& listen) {
    std::string y = "daemon: {threads: " + std::to_string(o.threads) + "}\nresources:\n";
    std::string source, cache;
    if (path == "kafka") {
        y += "  bus: {plugin: kafka, brokers: " + brokers + "}\n";
        source = consumer(o, topic, unique_name("gateway"), "latest");
    } else {
        y += "  cache: {plugin: redis, url: \"" + redis + "\"}\n";
        source = "{plugin: " + std::string(path == "pubsub" ? "redis_pubsub" : "redis_stream") + ", redis: cache, channels: [\"depth.*\"]}";
        cache = ", cache: cache";
    }
    return y + "pipelines:\n  gateway:\n    source: " + source + "\n    sinks: [{plugin: websocket_server, listen: \"" + listen +
           "\"" + cache + ", max_connections: 20000, send_queue_limit: 8MiB, write_threads: " + std::to_string(o.write_threads) + "}]\n";
}

// A hop histogram's cumulative buckets: (le in s, count), +Inf last.
std::vector<std::pair<double, double>> hop_buckets(const std::string& metrics, const std::string& labels) {
    std::vector<std::pair<double, double>> buckets;
    std::istringstream in(metrics);
    const std::string prefix = "tickcast_hop_latency_seconds_bucket{" + labels + ",le=\"";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        const std::string le = line.substr(prefix.size(), line.find('"', prefix.size()) - prefix.size());
        buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), std::stod(line.substr(line.rfind(' ') + 1)));
    }
    return buckets;
}

// p-quantile (ms) of a hop histogram from its cumulative buckets, by linear
// interpolation inside the bucket (as Prometheus' histogram_quantile), over
// what was observed between two scrapes: `before` (empty: since the start)
// and `after`.
double histogram_quantile(const std::string& before, const std::string& after, const std::string& labels, double q) {
    auto buckets = hop_buckets(after, labels);
    const auto earlier = hop_buckets(before, labels);
    if (earlier.size() == buckets.size())
        for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i].second -= earlier[i].second;
    if (buckets.empty() || buckets.back().second == 0) return NAN;
    const double rank = q * buckets.back().second;
    double prev_le = 0, prev_count = 0;
    for (const auto& [le, count] : buckets) {
        if (count >= rank) {
            if (std::isinf(le)) return prev_le * 1e3;
            return (prev_le + (le - prev_le) * (rank - prev_count) / std::max(1.0, count - prev_count)) * 1e3;
        }
        prev_le = le;
        prev_count = count;
    }
    return NAN;
}

// Waits (at most `timeout`) until a daemon's hop is caught up: events went
// through it in the last half second and every one of them within 100 ms.
// The fan-out reads the run's topic from its first event, so it starts
// behind by however long its group join took (seconds on either broker);
// a window opened before it caught up would measure that backlog.
bool hop_caught_up(DaemonProcess& daemon, const std::string& labels, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::string before = tickcast::test::http_get(daemon.admin(), "/metrics");
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(500ms);
        check_interrupted();
        std::string now = tickcast::test::http_get(daemon.admin(), "/metrics");
        // The slowest event's bucket bound (NaN when none went through).
        if (histogram_quantile(before, now, labels, 1.0) <= 100) return true;
        before = std::move(now);
    }
    return false;
}

struct HopRow {
    const char* name;
    const char* daemon;  // match, fanout, gateway
    const char* labels;
};

const std::vector<HopRow> hop_rows = {
    {"engine->kafka_out", "match", R"(from="engine",pipeline="match",plugin="kafka_sink",to="kafka_out")"},
    {"kafka hop (fanout)", "fanout", R"(from="kafka_out",pipeline="fanout",plugin="kafka_source",to="kafka_in")"},
    {"kafka hop (gateway)", "gateway", R"(from="kafka_out",pipeline="gateway",plugin="kafka_source",to="kafka_in")"},
    {"fan-out", "fanout", R"(from="kafka_in",pipeline="fanout",plugin="redis_stream",to="redis_out")"},
    {"fan-out", "fanout", R"(from="kafka_in",pipeline="fanout",plugin="redis_pubsub",to="redis_out")"},
    {"redis hop", "gateway", R"(from="redis_out",pipeline="gateway",plugin="redis_stream",to="redis_in")"},
    {"redis hop", "gateway", R"(from="redis_out",pipeline="gateway",plugin="redis_pubsub",to="redis_in")"},
    {"gateway", "gateway", R"(from="redis_in",pipeline="gateway",plugin="websocket_server",to="ws_queued")"},
    {"gateway", "gateway", R"(from="kafka_in",pipeline="gateway",plugin="websocket_server",to="ws_queued")"},
};

struct RunResult {
    double p50 = NAN, p99 = NAN, p999 = NAN, max = NAN, deliveries_per_s = 0;
    std::uint64_t missed = 0, reordered = 0, closes = 0;
    std::uint64_t failures = 0;  // socket errors, failed connects, and frames the floor could not send whole
    std::uint64_t client_errors = 0;  // error messages the clients got (snapshot_unavailable: a symbol got nothing)
    std::string first_error;
    std::map<std::string, std::pair<double, double>> hop_p50;  // p50, p99 ms
    // Across a gateway restart: deltas the resubscribing clients never got,
    // and how they recovered (resumed, snapshot or nothing).
    std::uint64_t restart_missed = 0;
    std::string restart_recovery;
    double source_pauses = 0;  // kafka_source backpressure pauses, every daemon
    std::vector<std::pair<std::string, double>> cpu;  // per process (or the client's thread), % of one core in the window
};

// The sum of a metric's samples over all its label sets.
double metric_sum(const std::string& metrics, const std::string& name) {
    double sum = 0;
    std::istringstream in(metrics);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(name, 0) == 0 && line.size() > name.size() && (line[name.size()] == '{' || line[name.size()] == ' '))
            sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    return sum;
}

// One client per watched channel: follows its seq, then (after the gateway
// restarted) resubscribes with `since` and counts the deltas it never gets:
// 0 if the gateway resumed it from the stream; the deltas a fresh snapshot
// jumped over; or the gap to the first event when there is no snapshot.
struct RestartWatch {
    std::vector<std::string> channels;
    std::map<std::string, std::uint64_t> last;

    void follow(const std::string& address, std::chrono::milliseconds how_long) {
        tickcast::test::WsClient c(address);
        std::string list;
        for (const auto& ch : channels) list += (list.empty() ? "\"" : ",\"") + ch + "\"";
        c.send(R"({"op":"subscribe","channels":[)" + list + "],\"id\":1}");
        drain(c, how_long, nullptr);
    }

    // Returns the missed deltas; `how` collects the ways the channels recovered.
    std::uint64_t resume(const std::string& address, std::set<std::string>& how) {
        tickcast::test::WsClient c(address);
        std::string list, since;
        for (const auto& ch : channels) {
            list += (list.empty() ? "\"" : ",\"") + ch + "\"";
            since += (since.empty() ? "\"" : ",\"") + ch + "\":" + std::to_string(last[ch]);
        }
        c.send(R"({"op":"subscribe","channels":[)" + list + "],\"since\":{" + since + "},\"id\":2}");
        std::uint64_t missed = 0;
        // Until every channel has its first event back (a gateway reading
        // Kafka first rejoins its consumer group), at most 30 s.
        drain(c, 30s, [&](const std::string& type, const std::string& ch, std::uint64_t seq, bool first) {
            if (type == "resumed") how.insert("resumed");
            if (type == "snapshot") {
                how.insert("snapshot");
                if (seq > last[ch]) missed += seq - last[ch];
                last[ch] = seq;
            }
            if (type == "event" && first && seq > last[ch] + 1) {
                how.insert("none");
                missed += seq - last[ch] - 1;
            }
        });
        return missed;
    }

    using Hook = std::function<void(const std::string& type, const std::string& channel, std::uint64_t seq, bool first)>;
    // Reads for `how_long`, or (with a hook) until every channel had an event.
    void drain(tickcast::test::WsClient& c, std::chrono::milliseconds how_long, const Hook& hook) {
        std::set<std::string> seen, evented;
        const auto until = std::chrono::steady_clock::now() + how_long;
        while (std::chrono::steady_clock::now() < until && !(hook && evented.size() == channels.size())) {
            auto text = c.read(200ms);
            if (!text) continue;
            const boost::json::object m = boost::json::parse(*text).as_object();
            const std::string type(m.at("type").as_string());
            if (!m.contains("channel") || !m.contains("seq")) continue;
            const std::string ch(m.at("channel").as_string());
            const auto seq = m.at("seq").to_number<std::uint64_t>();
            if (hook) hook(type, ch, seq, (type == "event" || type == "snapshot") && seen.insert(ch).second);
            if (type == "event") {
                last[ch] = std::max(last[ch], seq);
                evented.insert(ch);
            }
            if (type == "snapshot") last[ch] = seq;
        }
    }
};

// `broker_pid`: the Apache Kafka JVM's (0 for the embedded broker, inside the match daemon).
RunResult run_path(const Options& o, const std::string& broker, const std::string& bootstrap, pid_t broker_pid, const std::string& path,
                   int rate) {
    RedisServer redis;
    TempDir dir;
    std::unique_ptr<DaemonProcess> match, fanout, gateway;
    std::string brokers = broker == "embedded" ? "embedded" : "[" + bootstrap + "]";
    // The embedded broker lives in the match daemon; the others reach it by its address.
    const std::string bootstrap_file = dir.file("kafka.bootstrap");
    // A topic of the run's own: `start: earliest` then means this run's first event.
    const std::string topic = unique_name("market-events");
    std::string match_config = match_yaml(o, brokers, rate, topic);
    if (broker == "embedded")
        match_config.replace(match_config.find("embedded_partitions: 4"), 22, "embedded_partitions: 4, bootstrap_file: " + bootstrap_file);
    match = std::make_unique<DaemonProcess>(dir.write("match.yaml", match_config));
    if (broker == "embedded") {
        using tickcast::test::Process;
        if (!tickcast::test::eventually([&] { return !Process::slurp(bootstrap_file).empty(); }, 30s))
            throw std::runtime_error("the embedded broker did not start: " + match->process().err());
        const std::string address = Process::slurp(bootstrap_file);
        brokers = "[" + address.substr(0, address.find('\n')) + "]";
    }
    const bool floor = path == "floor";
    if (path != "kafka")
        fanout = std::make_unique<DaemonProcess>(dir.write("fanout.yaml", fanout_yaml(o, floor ? "pubsub" : path, brokers, redis.url(), topic)));
    LoadSpec spec;
    spec.connections = o.clients;
    spec.channels = std::size_t(o.symbols);
    spec.channel_prefix = "depth.S";
    spec.nice = o.client_nice;
    std::optional<FloorServer> floor_server;
    std::uint16_t port = 0;
    if (floor) {
        const std::size_t threads = o.write_threads > 0 ? std::size_t(o.write_threads)
                                                        : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
        floor_server.emplace(FloorServer::Spec{"e2e", spec.channel_prefix, spec.channels, std::uint64_t(rate), 120, threads});
        spec.server = LoadSpec::Server::nchan;  // the URL is the subscription
        spec.nchan_id_prefix = "e2e";
        port = floor_server->port();
    } else {
        port = free_port();
        gateway = std::make_unique<DaemonProcess>(
            dir.write("gateway.yaml", gateway_yaml(o, path, brokers, redis.url(), topic, "127.0.0.1:" + std::to_string(port))));
        // Up and listening (the admin endpoint comes up before the pipelines).
        const bool listening = tickcast::test::eventually([&] { return listens(port); }, 60s);
        if (!listening) throw std::runtime_error("the gateway never listened: " + gateway->process().err());
    }
    spec.port = port;
    WsLoadClient client(spec);
    client.run();
    if (!tickcast::test::eventually([&] { return client.subscribed() + client.failed() >= o.clients; }, 60s) || client.failed()) {
        const std::size_t ok = client.subscribed();
        client.stop();
        throw std::runtime_error("only " + std::to_string(ok) + " of " + std::to_string(o.clients) +
                                 " clients subscribed; first error: " + client.results().first_error);
    }
    if (fanout) {
        const HopRow& kafka_hop = *std::find_if(hop_rows.begin(), hop_rows.end(), [](const HopRow& h) { return h.name == std::string("kafka hop (fanout)"); });
        if (!hop_caught_up(*fanout, kafka_hop.labels, 60s)) {
            client.stop();
            throw std::runtime_error("the fan-out did not catch up with the topic within 60 s");
        }
    }
    // Measure once events flow end to end (group joins take seconds), then a warm-up.
    const std::int64_t from = realtime_ns() + std::int64_t(o.warmup * 1e9), to = from + std::int64_t(o.seconds * 1e9);
    client.set_window(from, to);
    // The daemons' hop histograms at both edges of the window, so that the
    // hops are taken over the same stretch as the clients' latency.
    auto scrape = [&] {
        std::map<std::string, std::string> m = {{"match", tickcast::test::http_get(match->admin(), "/metrics")}};
        if (gateway) m["gateway"] = tickcast::test::http_get(gateway->admin(), "/metrics");
        if (fanout) m["fanout"] = tickcast::test::http_get(fanout->admin(), "/metrics");
        return m;
    };
    // CPU of every process within the window. The client is one thread of
    // this process; on the floor path the rest of it is the floor server.
    struct CpuSample {
        std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
        std::vector<std::pair<std::string, double>> seconds;  // per process (or thread), CPU seconds so far
    };
    auto cpu = [&] {
        CpuSample sample;
        auto& c = sample.seconds;
        if (gateway) c.emplace_back("gateway", process_cpu(gateway->process().pid()));
        const double client_cpu = thread_cpu(client.thread_id());
        if (floor) c.emplace_back("floor", process_cpu(::getpid()) - client_cpu);
        c.emplace_back("client", client_cpu);
        c.emplace_back("match", process_cpu(match->process().pid()));
        if (fanout) c.emplace_back("fanout", process_cpu(fanout->process().pid()));
        if (path != "kafka") c.emplace_back("redis", process_cpu(redis.pid()));
        if (broker_pid > 0) c.emplace_back("kafka", process_cpu(broker_pid));
        return sample;
    };
    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
    auto before = scrape();
    const auto cpu_before = cpu();
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    auto metrics = scrape();
    const auto cpu_after = cpu();
    std::this_thread::sleep_for(500ms);
    check_interrupted();

    RunResult r;
    const double elapsed = std::chrono::duration<double>(cpu_after.at - cpu_before.at).count();
    for (std::size_t i = 0; i < cpu_after.seconds.size(); ++i)
        r.cpu.emplace_back(cpu_after.seconds[i].first, 100 * (cpu_after.seconds[i].second - cpu_before.seconds[i].second) / elapsed);
    for (const auto& [daemon, text] : metrics) r.source_pauses += metric_sum(text, "tickcast_kafka_source_backpressure_pauses_total");
    for (const HopRow& h : hop_rows) {
        const double p50 = histogram_quantile(before[h.daemon], metrics[h.daemon], h.labels, 0.5);
        if (!std::isnan(p50)) r.hop_p50[h.name] = {p50, histogram_quantile(before[h.daemon], metrics[h.daemon], h.labels, 0.99)};
    }
    client.stop();
    const LoadResults& res = client.results();
    r.p50 = res.latency.quantile_ms(0.5);
    r.p99 = res.latency.quantile_ms(0.99);
    r.p999 = res.latency.quantile_ms(0.999);
    r.max = res.latency.max_ms();
    r.deliveries_per_s = double(res.window_deliveries) / o.seconds;
    r.missed = res.missed;
    r.reordered = res.reordered;
    r.closes = res.server_closes;
    r.failures = res.socket_errors + res.connect_failures;
    r.client_errors = res.errors;
    r.first_error = res.first_error;
    if (floor_server) {  // no gateway to restart
        floor_server->stop();
        r.failures += floor_server->dropped();
        r.restart_recovery = "-";
    } else {
        // A gateway restart while events flow: the watchers follow, the gateway
        // stops (draining), is away for --restart-gap, comes back on the port.
        RestartWatch watch;
        for (int k = 0; k < std::min(o.symbols, 5); ++k) watch.channels.push_back("depth.S" + std::to_string(k));
        const std::string address = "127.0.0.1:" + std::to_string(port);
        watch.follow(address, 2s);
        gateway->process().signal(SIGTERM);
        gateway->process().wait(30s);
        std::this_thread::sleep_for(std::chrono::duration<double>(o.restart_gap));
        gateway = std::make_unique<DaemonProcess>(dir.file("gateway.yaml"));
        if (!tickcast::test::eventually([&] { return listens(port); }, 60s))
            throw std::runtime_error("the restarted gateway never listened: " + gateway->process().err());
        std::set<std::string> how;
        r.restart_missed = watch.resume(address, how);
        for (const auto& h : how) r.restart_recovery += (r.restart_recovery.empty() ? "" : "+") + h;
        // No snapshot, no resume and no gap: the restarted gateway re-read from
        // its consumer group's commit, so the events simply went on.
        if (r.restart_recovery.empty()) r.restart_recovery = "continued";
    }

    for (auto* d : {gateway.get(), fanout.get(), match.get()})
        if (d) d->process().signal(SIGTERM);
    for (auto* d : {gateway.get(), fanout.get(), match.get()})
        if (d) d->process().wait(30s);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    std::string paths = "kafka,pubsub,stream,floor", brokers = "embedded,kafka", rates = "2000";
    CLI::App app{"bench_e2e: engine -> WebSocket clients over Kafka direct, Redis Pub/Sub and Redis Streams"};
    app.add_option("--paths", paths, "kafka, pubsub, stream, floor (bare sends beside the pubsub path), comma-separated")->capture_default_str();
    app.add_option("--brokers", brokers, "embedded, kafka (Apache Kafka via scripts/kafka.sh), comma-separated")->capture_default_str();
    app.add_option("--rates", rates, "orders/s into the engine (about one depth event each), comma-separated")->capture_default_str();
    app.add_option("--clients", o.clients, "WebSocket clients, client i on depth.S<i % symbols>")->capture_default_str();
    app.add_option("--symbols", o.symbols, "symbols S0..S<n-1>")->capture_default_str();
    app.add_option("--warmup", o.warmup, "seconds after every client subscribed before the window")->capture_default_str();
    app.add_option("--seconds", o.seconds, "measured window, seconds")->capture_default_str();
    app.add_option("--threads", o.threads, "daemon.threads of the fan-out and gateway daemons")->capture_default_str();
    app.add_option("--write-threads", o.write_threads, "the gateway's write_threads (0: its default, one per core up to 4)")->capture_default_str();
    app.add_option("--client-nice", o.client_nice,
                   "nice value of the load client's thread (an experiment: meant to leave the cores to the daemons, it made every "
                   "figure worse, as a starved client's full receive buffers hold the senders back)")
        ->capture_default_str();
    app.add_option("--broker-warmup", o.broker_warmup, "seconds of traffic through a fresh Apache Kafka broker before its first measured run (0: none)")
        ->capture_default_str();
    app.add_option("--restart-gap", o.restart_gap, "seconds the gateway stays away in the restart measurement")->capture_default_str();
    std::vector<std::string> consumer_properties, producer_properties;
    app.add_option("--consumer-property", consumer_properties,
                   "NAME=VALUE: a librdkafka property of every kafka_source (repeatable; default fetch.wait.max.ms=1)");
    app.add_option("--producer-property", producer_properties,
                   "NAME=VALUE: a librdkafka property of the engine's kafka_sink (repeatable; default linger.ms=0)");
    CLI11_PARSE(app, argc, argv);
    try {
        o.consumer = parse_properties(std::move(o.consumer), consumer_properties);
        o.producer = parse_properties(std::move(o.producer), producer_properties);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "bench_e2e: --consumer-property, --producer-property: %s\n", e.what());
        return 2;
    }
    o.paths.clear();
    std::stringstream ps(paths), bs(brokers);
    for (std::string p; std::getline(ps, p, ',');) o.paths.push_back(p);
    o.brokers.clear();
    for (std::string b; std::getline(bs, b, ',');) o.brokers.push_back(b);
    for (const std::string& p : o.paths)
        if (p != "kafka" && p != "pubsub" && p != "stream" && p != "floor") {
            std::fprintf(stderr, "bench_e2e: unknown path '%s' (kafka, pubsub, stream, floor)\n", p.c_str());
            return 2;
        }
    for (const std::string& b : o.brokers)
        if (b != "embedded" && b != "kafka") {
            std::fprintf(stderr, "bench_e2e: unknown broker '%s' (embedded, kafka)\n", b.c_str());
            return 2;
        }
    o.rates = parse_list<int>(rates);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rlimit nofile{65536, 65536};
    setrlimit(RLIMIT_NOFILE, &nofile);

    std::printf("bench_e2e: engine -> WebSocket, %zu clients over %d symbols (depth channels), window %.0f s after %.0f s warm-up\n",
                o.clients, o.symbols, o.seconds, o.warmup);
    std::printf("conditions: %u cores, load average at start %s; client, daemons, Redis and Kafka share the cores; gateway write_threads %d; load client nice %d\n",
                std::thread::hardware_concurrency(), loadavg().c_str(), o.write_threads, o.client_nice);
    std::printf("librdkafka: kafka_sink%s; kafka_source%s\n", librdkafka_option(o.producer).c_str(), librdkafka_option(o.consumer).c_str());
    std::printf("latency: the engine's ts -> the client's kernel receive stamp; hops: p50/p99 of each daemon's tickcast_hop_latency_seconds within the window (scraped at its edges);\n"
                "         the floor path's from its own send stamp (no Kafka or Redis hop in it)\n");
    std::printf("cpu %%: each process's CPU within the window, %% of one core (of %u): the daemons, redis-server, the Apache Kafka JVM, the load client's thread\n\n",
                std::thread::hardware_concurrency());
    std::printf("restart: 5 clients (depth.S0..S4) follow, the gateway stops for %.1f s and comes back, they resubscribe with `since`\n\n",
                o.restart_gap);
    std::printf("%-9s %-7s %6s | %8s %8s %8s %8s | %10s %6s %6s | %-24s | %s\n", "broker", "path", "rate", "p50 ms", "p99 ms", "p999 ms",
                "max ms", "deliv/s", "missed", "closes", "restart: missed (how)", "hops p50/p99 (ms)");
    try {
        for (const std::string& broker : o.brokers) {
            std::unique_ptr<KafkaBroker> real;
            if (broker == "kafka") {
                real = std::make_unique<KafkaBroker>();
                // A fresh JVM compiles its hot paths during its first minute
                // of traffic, and the path measured first paid for it: Pub/Sub
                // run first on a fresh broker had an end-to-end p50 of 7-38 ms
                // in six invocations, 1.5-1.7 ms after 40 s of warm-up. A
                // broker in service is warm: give it traffic first, through
                // the floor path (no gateway, not shown).
                if (o.broker_warmup > 0 && !o.rates.empty()) {
                    Options warm = o;
                    warm.warmup = 0;
                    warm.seconds = o.broker_warmup;
                    std::printf("(Apache Kafka warm-up: %.0f s of the floor path at %d/s, not shown)\n", o.broker_warmup, o.rates.front());
                    std::fflush(stdout);
                    run_path(warm, broker, real->bootstrap, real->pid, "floor", o.rates.front());
                }
            }
            for (int rate : o.rates)
                for (const std::string& path : o.paths) {
                    const RunResult r = run_path(o, broker, real ? real->bootstrap : "", real ? real->pid : 0, path, rate);
                    std::string hops;
                    for (const auto& [name, v] : r.hop_p50) {
                        char b[64];
                        std::snprintf(b, sizeof b, "%s%s %.2f/%.1f", hops.empty() ? "" : ", ", name.c_str(), v.first, v.second);
                        hops += b;
                    }
                    if (r.failures > 0) hops += ", " + std::to_string(r.failures) + " connections failed or frames dropped";
                    if (r.client_errors > 0)
                        hops += ", " + std::to_string(r.client_errors) + " error messages to clients (first: " + r.first_error + ")";
                    if (r.source_pauses > 0) hops += ", kafka_source paused " + std::to_string(std::int64_t(r.source_pauses)) + "x";
                    std::string cpu;
                    double total = 0;
                    for (const auto& [who, pct] : r.cpu) {
                        cpu += (cpu.empty() ? "" : " ") + who + " " + std::to_string(std::lround(pct));
                        total += pct;
                    }
                    hops += "; cpu %: " + cpu + ", total " + std::to_string(std::lround(total));
                    const std::string restart = std::to_string(r.restart_missed) + " (" + r.restart_recovery + ")";
                    std::printf("%-9s %-7s %6d | %8.2f %8.2f %8.2f %8.1f | %10.0f %6llu %6llu | %-24s | %s\n", broker.c_str(), path.c_str(),
                                rate, r.p50, r.p99, r.p999, r.max, r.deliveries_per_s, (unsigned long long)r.missed,
                                (unsigned long long)r.closes, restart.c_str(), hops.c_str());
                    std::fflush(stdout);
                }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_e2e: %s\n", e.what());
        return 1;
    }
    std::printf("\nload average at end %s\n", loadavg().c_str());
    return 0;
}
