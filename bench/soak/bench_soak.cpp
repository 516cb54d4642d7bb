// bench_soak: does one gateway daemon hold steady under connection churn and
// over a long run? Prints its figures, its conditions and a verdict
// (docs/reliability.md, "Churn and soak"); exits 1 if the verdict fails.
//
// Setup (one machine): a redis-server (scripts/redis.sh) and one tickcastd:
//   match:   orderflow (S0..Sn, --rate orders/s) -> matching_engine
//            -> redis_cache + redis_pubsub
//   gateway: redis_pubsub (depth.*, trades.*) -> websocket_server (cache:
//            snapshots on subscribe from redis_cache's keys)
// or, with --no-redis, orderflow -> matching_engine -> websocket_server.
//
// Phases, while events flow throughout:
//   warm-up  --warmup-seconds of events (the engine's books fill up to the
//            depth orderflow settles at), then a few hundred cycles not
//            counted, so that what the gateway opens once (its Redis
//            connection for snapshots, pools) is open before the baseline;
//   churn    --cycles connect/subscribe/receive/disconnect cycles from
//            --churn-threads threads (churn_client.hpp: clean closes, TCP
//            resets, mid-handshake drops), then the connections gauge must
//            come back to the baseline;
//   steady   --clients subscribers (ws_load_client.hpp, one thread; client i
//            on depth.S<i % symbols>) for --minutes, then they disconnect.
// A sampler reads the daemon's /proc/PID/status VmRSS and counts /proc/PID/fd
// every --sample-seconds; each phase reports start, peak, end and the
// least-squares slope over its second half.
//
// Verdict (tolerances are flags, printed with the result):
//   - the daemon is alive at the end of every phase (no crash);
//   - open fds after churn, after the steady run and at the end are back to
//     the baseline (within --fd-tolerance), and constant across the steady run;
//   - RSS: the second half of the churn grows it by at most
//     --churn-rss-tolerance-kb (a leak of N bytes a cycle shows as N x
//     cycles/2), and its slope over the second half of the steady run is at
//     most --rss-slope-tolerance (KB/min);
//   - /metrics' tickcast_websocket_connections is back to the baseline
//     after the churn and at the end;
//   - every churn cycle did its part (an ack to each subscribe, a close
//     handshake answered).
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "common/bench_support.hpp"
#include "soak/churn_client.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"
#include "ws/ws_load_client.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tickcast::bench;
using tickcast::test::DaemonProcess;
using tickcast::test::RedisServer;
using tickcast::test::TempDir;

struct Options {
    bool redis = true;
    int symbols = 20;
    int rate = 1000;  // orders per second into the engine
    int daemon_threads = 1;
    std::size_t cycles = 10000, churn_threads = 8, warmup_cycles = 200;
    std::size_t clients = 200;
    double warmup_seconds = 240, minutes = 10, sample_seconds = 2;
    long fd_tolerance = 0;
    double churn_rss_tolerance_kb = 2048, rss_slope_tolerance = 256;
};

// ---- the daemon's /proc ---------------------------------------------------------

long rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

long open_fds(pid_t pid) {
    DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!d) return -1;
    long n = 0;
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

// Running (not exited, not a zombie waiting for us to reap it).
bool alive(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    const auto close = s.rfind(')');
    return close != std::string::npos && close + 2 < s.size() && s[close + 2] != 'Z' && s[close + 2] != 'X';
}

struct Sample {
    double t = 0;  // seconds since the sampler started
    std::string phase;
    long rss_kb = 0, fds = 0;
};

// Samples the daemon every `interval` on its own thread, tagged with the phase.
class Sampler {
public:
    Sampler(pid_t pid, std::chrono::milliseconds interval) : pid_(pid), interval_(interval) {
        thread_ = std::thread([this] {
            while (!stop_) {
                take();
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, interval_, [this] { return stop_.load(); });
            }
        });
    }
    ~Sampler() { stop(); }
    void stop() {
        stop_ = true;
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    void phase(const std::string& name) {
        std::lock_guard lock(mutex_);
        phase_ = name;
    }
    // Takes one now (also used for the marks between phases).
    Sample take() {
        Sample s{std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), "", rss_kb(pid_), open_fds(pid_)};
        std::lock_guard lock(mutex_);
        s.phase = phase_;
        samples_.push_back(s);
        return s;
    }
    std::vector<Sample> of(const std::string& phase) {
        std::lock_guard lock(mutex_);
        std::vector<Sample> out;
        for (const Sample& s : samples_)
            if (s.phase == phase) out.push_back(s);
        return out;
    }

private:
    pid_t pid_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stop_{false};
    std::string phase_ = "start";
    std::vector<Sample> samples_;
    std::thread thread_;
};

// Least-squares slope of field(s) against time, per minute, over the samples
// in the second half of the phase's time span.
template <class F>
double second_half_slope_per_min(const std::vector<Sample>& v, F field) {
    if (v.size() < 3) return NAN;
    const double mid = (v.front().t + v.back().t) / 2;
    double n = 0, st = 0, sy = 0, stt = 0, sty = 0;
    for (const Sample& s : v) {
        if (s.t < mid) continue;
        const double y = double(field(s));
        n += 1, st += s.t, sy += y, stt += s.t * s.t, sty += s.t * y;
    }
    const double d = n * stt - st * st;
    return n < 2 || d == 0 ? NAN : (n * sty - st * sy) / d * 60;
}

struct PhaseFigures {
    std::size_t samples = 0;
    long rss_start = 0, rss_peak = 0, rss_end = 0, fds_start = 0, fds_peak = 0, fds_end = 0;
    double rss_slope = NAN, fds_slope = NAN;  // per minute, second half
};

PhaseFigures figures(const std::vector<Sample>& v) {
    PhaseFigures f;
    if (v.empty()) return f;
    f.samples = v.size();
    f.rss_start = v.front().rss_kb, f.rss_end = v.back().rss_kb;
    f.fds_start = v.front().fds, f.fds_end = v.back().fds;
    for (const Sample& s : v) f.rss_peak = std::max(f.rss_peak, s.rss_kb), f.fds_peak = std::max(f.fds_peak, s.fds);
    f.rss_slope = second_half_slope_per_min(v, [](const Sample& s) { return s.rss_kb; });
    f.fds_slope = second_half_slope_per_min(v, [](const Sample& s) { return s.fds; });
    return f;
}

void print_phase(const char* name, const PhaseFigures& f) {
    std::printf("| %s | %zu | %.1f | %.1f | %.1f | %+.1f | %ld | %ld | %ld | %+.2f |\n", name, f.samples, f.rss_start / 1024.0,
                f.rss_peak / 1024.0, f.rss_end / 1024.0, f.rss_slope, f.fds_start, f.fds_peak, f.fds_end, f.fds_slope);
}

// ---- the daemon -----------------------------------------------------------------

std::string symbols_list(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? ", S" : "S") + std::to_string(i);
    return s;
}

std::string daemon_yaml(const Options& o, const std::string& redis_url) {
    std::string engine;
    for (int i = 0; i < o.symbols; ++i) engine += "          S" + std::to_string(i) + ": {tick: \"0.01\", lot: \"0.0001\"}\n";
    const std::string match = "  match:\n    source: {plugin: orderflow, symbols: [" + symbols_list(o.symbols) + "], rate: " +
                              std::to_string(o.rate) + ", seed: 7, batch: 64}\n"
                              "    stages:\n      - plugin: matching_engine\n        symbols:\n" + engine;
    const std::string gateway_sink = "{plugin: websocket_server, listen: \"127.0.0.1:0\", max_connections: 20000";
    std::string y = "daemon: {threads: " + std::to_string(o.daemon_threads) + "}\n";
    if (!o.redis) return y + "pipelines:\n" + match + "    sinks: [" + gateway_sink + "}]\n";
    return y + "resources:\n  cache: {plugin: redis, url: \"" + redis_url + "\"}\npipelines:\n" + match +
           "    sinks: [{plugin: redis_cache, redis: cache}, {plugin: redis_pubsub, redis: cache}]\n"
           "  gateway:\n    source: {plugin: redis_pubsub, redis: cache, channels: [\"depth.*\", \"trades.*\"]}\n"
           "    sinks: [" + gateway_sink + ", cache: cache}]\n";
}

// Sum of the samples of `name` (any labels) on the daemon's /metrics, or -1.
double metric_sum(const std::string& metrics, const std::string& name) {
    std::istringstream in(metrics);
    double sum = -1;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(name, 0) != 0 || (line[name.size()] != ' ' && line[name.size()] != '{')) continue;
        sum = std::max(sum, 0.0) + std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
}

struct Verdict {
    std::vector<std::string> failures;
    void check(bool ok, const std::string& what) {
        std::printf("  [%s] %s\n", ok ? "ok" : "FAIL", what.c_str());
        if (!ok) failures.push_back(what);
    }
};

std::string kb(long v) { return std::to_string(v) + " KB"; }

int run(const Options& o) {
    std::unique_ptr<RedisServer> redis;
    if (o.redis) redis = std::make_unique<RedisServer>();
    TempDir dir;
    DaemonProcess daemon(dir.write("soak.yaml", daemon_yaml(o, redis ? redis->url() : "")));
    std::smatch m;
    std::string err;
    tickcast::test::eventually([&] { return std::regex_search(err = daemon.process().err(), m, std::regex(R"(websocket gateway on ws://([0-9.]+:\d+)/)")); }, 30s);
    if (m.empty()) throw std::runtime_error("tickcastd did not start its gateway:\n" + err);
    const std::string address = m[1];
    const pid_t pid = daemon.process().pid();
    auto connections = [&] { return metric_sum(tickcast::test::http_get(daemon.admin(), "/metrics"), "tickcast_websocket_connections"); };
    auto wait_connections = [&](double want) {
        tickcast::test::eventually([&] { return connections() == want; }, 20s);
        return connections();
    };

    utsname u{};
    uname(&u);
    std::printf("bench_soak: %ld CPUs, %s %s, load %s\n", sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, loadavg().c_str());
    std::printf("  tickcastd pid %d, daemon.threads %d: orderflow %d orders/s over %d symbols -> matching_engine -> %s\n", int(pid),
                o.daemon_threads, o.rate, o.symbols,
                o.redis ? "redis_cache + redis_pubsub -> redis_pubsub source -> websocket_server (snapshots from the cache)"
                        : "websocket_server (no cache)");
    std::printf("  warm-up %.0f s; churn: %zu cycles on %zu threads (+%zu warm-up); steady: %zu subscribers for %.1f min; sampled every %.1f s\n\n",
                o.warmup_seconds, o.cycles, o.churn_threads, o.warmup_cycles, o.clients, o.minutes, o.sample_seconds);
    std::fflush(stdout);

    Sampler sampler(pid, std::chrono::milliseconds(long(o.sample_seconds * 1000)));
    ChurnSpec spec{address, "depth.S", std::size_t(o.symbols), o.cycles, o.churn_threads};
    Verdict verdict;

    // Warm-up: the events flow until the engine's books have grown to the
    // depth orderflow settles at (~1,000 orders a symbol: about 4 minutes at
    // 50 orders/s a symbol; that growth is state, not a leak), and the
    // gateway has served a few hundred clients.
    sampler.phase("warm-up");
    const Sample warm_start = sampler.take();
    const auto warm_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(long(o.warmup_seconds * 1000));
    while (std::chrono::steady_clock::now() < warm_until && alive(pid)) {
        check_interrupted();
        std::this_thread::sleep_for(200ms);
    }
    if (!alive(pid)) throw std::runtime_error("tickcastd died during the warm-up:\n" + daemon.process().err());
    ChurnClient(spec).run(0, o.warmup_cycles);
    const double base_connections = wait_connections(0);
    std::this_thread::sleep_for(2s);
    const Sample base = sampler.take();
    std::printf("warm-up %.0f s: RSS %s -> %s; baseline: RSS %s, %ld fds, %g connections\n", o.warmup_seconds, kb(warm_start.rss_kb).c_str(),
                kb(base.rss_kb).c_str(), kb(base.rss_kb).c_str(), base.fds, base_connections);

    // Churn, in two halves so that the second can be compared with the first.
    sampler.phase("churn");
    ChurnClient churn(spec);
    const auto churn_start = std::chrono::steady_clock::now();
    churn.run(0, o.cycles / 2);
    const Sample half = sampler.take();
    churn.run(o.cycles / 2, o.cycles);
    const double churn_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - churn_start).count();
    sampler.phase("churn settle");
    const double churn_connections = wait_connections(base_connections);
    std::this_thread::sleep_for(2s);
    const Sample after_churn = sampler.take();
    std::printf("churn: %zu cycles in %.1f s (%.0f/s); %zu subscribed cycles got an event; failures %zu%s%s\n", churn.done(), churn_s,
                double(churn.done()) / churn_s, churn.with_events(), churn.failures(), churn.failures() ? ", first: " : "",
                churn.first_failure().c_str());
    for (int k = 0; k < ChurnClient::kind_count; ++k)
        std::printf("  %-26s %zu\n", ChurnClient::name(ChurnClient::Kind(k)), churn.of_kind(ChurnClient::Kind(k)));
    std::printf("  after half: RSS %s, %ld fds; after all + settle: RSS %s, %ld fds, %g connections\n", kb(half.rss_kb).c_str(), half.fds,
                kb(after_churn.rss_kb).c_str(), after_churn.fds, churn_connections);
    std::fflush(stdout);
    check_interrupted();

    // Steady: a fixed set of subscribers for --minutes.
    sampler.phase("steady connect");
    LoadSpec load;
    load.port = std::uint16_t(std::stoi(address.substr(address.rfind(':') + 1)));
    load.connections = o.clients;
    load.channels = std::size_t(o.symbols);
    load.channel_prefix = "depth.S";
    WsLoadClient client(load);
    client.run();
    tickcast::test::eventually([&] { return client.subscribed() + client.failed() >= o.clients; }, 60s);
    std::this_thread::sleep_for(2s);
    sampler.phase("steady");
    const Sample steady_start = sampler.take();
    const auto steady_end_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(long(o.minutes * 60'000));
    bool died = false;
    while (std::chrono::steady_clock::now() < steady_end_at && !(died = !alive(pid))) {
        check_interrupted();
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(1s, steady_end_at - std::chrono::steady_clock::now()));
    }
    const Sample steady_end = sampler.take();
    const double steady_connections = died ? -1 : connections();
    sampler.phase("end");
    client.stop();
    const double end_connections = died ? -1 : wait_connections(base_connections);
    std::this_thread::sleep_for(2s);
    const Sample end = sampler.take();
    sampler.stop();
    const LoadResults& r = client.results();
    std::printf("steady: %zu subscribed (%zu failed), %g connections on /metrics; %llu deliveries (%.0f/s), missed %llu, reordered %llu, "
                "server closes %llu%s%s\n",
                client.subscribed(), client.failed(), steady_connections, (unsigned long long)r.deliveries,
                double(r.deliveries) / (o.minutes * 60), (unsigned long long)r.missed, (unsigned long long)r.reordered,
                (unsigned long long)r.server_closes, r.first_error.empty() ? "" : "; first problem: ", r.first_error.c_str());
    std::string metrics = died ? "" : tickcast::test::http_get(daemon.admin(), "/metrics");
    std::printf("at the end (/metrics): connections %g, deliveries_total %g, slow_consumer_closes %g, rejected_connections %g, "
                "client_errors %g\n\n",
                end_connections, metric_sum(metrics, "tickcast_websocket_deliveries_total"),
                metric_sum(metrics, "tickcast_websocket_slow_consumer_closes_total"),
                metric_sum(metrics, "tickcast_websocket_rejected_connections_total"), metric_sum(metrics, "tickcast_websocket_client_errors_total"));

    std::printf("| phase | samples | RSS start MB | peak | end | slope 2nd half KB/min | fds start | peak | end | fds/min 2nd half |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    print_phase("churn", figures(sampler.of("churn")));
    const PhaseFigures steady = figures(sampler.of("steady"));
    print_phase("steady", steady);
    // The steady run minute by minute: a leak climbs steadily, a cache or
    // an allocator filling up flattens.
    std::printf("steady run by minute (RSS MB / fds):");
    const std::vector<Sample> steady_samples = sampler.of("steady");
    for (double next = 0; const Sample& sm : steady_samples)
        if (sm.t - steady_samples.front().t >= next || &sm == &steady_samples.back()) {
            std::printf(" %.1f/%ld", sm.rss_kb / 1024.0, sm.fds);
            next += 60;
        }
    std::printf("\nload at the end: %s\n\nverdict:\n", loadavg().c_str());

    verdict.check(!died && alive(pid), "the daemon ran through every phase (no crash)");
    verdict.check(churn.failures() == 0, "every churn cycle did its part (" + std::to_string(churn.failures()) + " failures)");
    verdict.check(after_churn.fds - base.fds <= o.fd_tolerance,
                  "fds after the churn " + std::to_string(after_churn.fds) + " vs baseline " + std::to_string(base.fds) +
                      " (tolerance +" + std::to_string(o.fd_tolerance) + ")");
    verdict.check(churn_connections == base_connections, "connections gauge after the churn back to the baseline (" +
                                                             std::to_string(long(churn_connections)) + ")");
    verdict.check(after_churn.rss_kb - half.rss_kb <= long(o.churn_rss_tolerance_kb),
                  "RSS over the churn's second half " + std::to_string(after_churn.rss_kb - half.rss_kb) + " KB (tolerance " +
                      std::to_string(long(o.churn_rss_tolerance_kb)) + " KB, i.e. " +
                      std::to_string(long(o.churn_rss_tolerance_kb * 1024 / std::max<double>(1, double(o.cycles / 2)))) + " bytes a cycle)");
    verdict.check(client.subscribed() == o.clients, "every steady subscriber subscribed");
    verdict.check(steady_end.fds - steady_start.fds <= o.fd_tolerance,
                  "fds across the steady run " + std::to_string(steady_start.fds) + " -> " + std::to_string(steady_end.fds));
    char slope[160];
    std::snprintf(slope, sizeof slope, "RSS slope over the steady run's second half %+.1f KB/min (tolerance %.0f KB/min)", steady.rss_slope,
                  o.rss_slope_tolerance);
    verdict.check(!(steady.rss_slope > o.rss_slope_tolerance), slope);
    verdict.check(end.fds - base.fds <= o.fd_tolerance,
                  "fds at the end " + std::to_string(end.fds) + " vs baseline " + std::to_string(base.fds));
    verdict.check(end_connections == base_connections,
                  "connections gauge at the end back to the baseline (" + std::to_string(long(end_connections)) + ")");
    std::printf("RSS: baseline %s, after churn %s, steady %s -> %s, end %s\n", kb(base.rss_kb).c_str(), kb(after_churn.rss_kb).c_str(),
                kb(steady_start.rss_kb).c_str(), kb(steady_end.rss_kb).c_str(), kb(end.rss_kb).c_str());
    std::printf("%s\n", verdict.failures.empty() ? "PASS" : "FAIL");
    if (!died) {
        daemon.process().signal(SIGTERM);
        if (daemon.process().wait(20s) != 0) std::printf("(tickcastd did not exit cleanly on SIGTERM)\n");
    }
    return verdict.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"bench_soak: WebSocket churn and a steady soak against one gateway daemon; samples its RSS and fds; a verdict"};
    bool no_redis = false;
    app.add_flag("--no-redis", no_redis, "feed the gateway straight from the engine (no Redis, no snapshots)");
    app.add_option("--symbols", o.symbols, "symbols S0..Sn-1 traded and subscribed")->capture_default_str();
    app.add_option("--rate", o.rate, "orders per second into the engine (each makes depth and trade events)")->capture_default_str();
    app.add_option("--daemon-threads", o.daemon_threads, "tickcastd daemon.threads")->capture_default_str();
    app.add_option("--cycles", o.cycles, "churn cycles")->capture_default_str();
    app.add_option("--churn-threads", o.churn_threads, "churn cycles in flight at once")->capture_default_str();
    app.add_option("--warmup-cycles", o.warmup_cycles, "cycles before the baseline (not counted)")->capture_default_str();
    app.add_option("--clients", o.clients, "steady subscribers")->capture_default_str();
    app.add_option("--warmup-seconds", o.warmup_seconds, "events flow this long before the baseline (the engine's books fill up)")
        ->capture_default_str();
    app.add_option("--minutes", o.minutes, "length of the steady run")->capture_default_str();
    app.add_option("--sample-seconds", o.sample_seconds, "RSS and fd sampling interval")->capture_default_str();
    app.add_option("--fd-tolerance", o.fd_tolerance, "fds allowed above the baseline")->capture_default_str();
    app.add_option("--churn-rss-tolerance-kb", o.churn_rss_tolerance_kb, "RSS growth allowed over the churn's second half")->capture_default_str();
    app.add_option("--rss-slope-tolerance", o.rss_slope_tolerance, "KB/min of RSS growth allowed over the steady run's second half")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    o.redis = !no_redis;
    if (o.symbols < 1 || o.clients < 1 || o.churn_threads < 1 || o.minutes <= 0 || o.sample_seconds <= 0) {
        std::fprintf(stderr, "bench_soak: --symbols, --clients, --churn-threads, --minutes and --sample-seconds must be positive\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    rlimit nofile{65536, 65536};
    setrlimit(RLIMIT_NOFILE, &nofile);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_soak: %s\n", e.what());
        return 1;
    }
}
