// bench_ws: WebSocket fan-out through tickcast's gateway next to nginx +
// nchan doing the same in the same invocation, measured by one load client.
// Prints its figures and conditions (docs/benchmarks.md, "WebSocket fan-out").
//
// Setup (all on this machine, sharing its cores):
//   - tickcast: one tickcastd (`daemon.threads`, default 1) running
//       stamped_source (K channels, rate R, payload stamped with its origin
//       time) -> websocket_server (no cache: these channels have no snapshot);
//   - nchan:    nginx with one worker and the nchan module; a publisher
//       thread in this process POSTs the same envelope (stamped as it is
//       built) at the same rate, pipelined on one keep-alive connection;
//   - floor (--floor): FloorServer (floor_server.hpp) in this process, bare
//       non-blocking sends of one ready frame per subscriber, from one
//       thread and from two: what no one-frame-per-subscriber server beats;
//   - the load client (ws_load_client.hpp): one thread, N connections,
//       connection i subscribed to channel i % K.
// A run: start the server, connect and subscribe every client, settle 1 s,
// then measure for --seconds: latency = receipt time (the kernel's receive
// stamp; also reported: when the client thread read it) - origin stamp, over
// the messages received in the window; deliveries/s = those messages / window;
// fan-out spread = for an event every subscriber of its channel received in
// the window, the last receipt minus the first;
// CPU of server, client (and nchan's publisher) over the window from
// /proc/.../schedstat. RSS per connection = (server RSS after subscribing -
// before connecting) / N. Every scenario runs --repeat times, tickcast and
// nchan alternating (and swapping which goes first), and medians are printed.
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "common/bench_support.hpp"
#include "support/daemon_process.hpp"
#include "ws/floor_server.hpp"
#include "ws/nchan_baseline.hpp"
#include "ws/ws_load_client.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tickcast::bench;
using tickcast::test::DaemonProcess;
using tickcast::test::TempDir;

// ---- /proc --------------------------------------------------------------------

long rss_kb(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

// The child of this process running `comm` (the one tickcastd of a run).
int child_pid(const std::string& comm) {
    int found = 0;
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
            std::string s((std::istreambuf_iterator<char>(in)), {});
            const auto open = s.find('('), close = s.rfind(')');
            int ppid = 0;
            char state = 0;
            if (open == std::string::npos || close == std::string::npos) continue;
            if (s.substr(open + 1, close - open - 1) == comm &&
                std::sscanf(s.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == getpid())
                found = std::stoi(e->d_name);
        }
        closedir(d);
    }
    return found;
}

std::string run_command(const std::string& cmd) {
    std::string out;
    if (FILE* f = popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, f)) out += buf;
        if (pclose(f) != 0) throw std::runtime_error("'" + cmd + "' failed");
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

// ---- scenarios and runs -----------------------------------------------------------

struct Scenario {
    std::string name, what;
    std::size_t clients = 100, channels = 1;
    std::uint64_t rate = 1000;  // events per second over all channels
    bool rss = false;           // report RSS per connection
};

struct Config {
    std::vector<std::string> scenarios{"fanout100", "fanout1000", "spread1000", "idle10000", "max100"};
    std::vector<std::uint64_t> max_rates{2000, 5000, 10000, 20000};
    int repeat = 3;
    double seconds = 5;
    int daemon_threads = 1;
    int write_threads = 0;  // websocket_server write_threads (0: its default, one per core)
    int nginx_workers = 1;
    std::size_t payload_bytes = 120;
    bool tickcast = true, nchan = true, floor = false;
    bool coalesce = true;  // tickcast's clients connect with ?coalesce=1
    std::string nchan_module;
    std::string gateway_plugin_dir;  // searched before the build's plugins: an A/B build of websocket_server
};

// floor1, floor2: FloorServer (bare sends) from one and from two threads.
enum class Server { tickcast, nchan, floor1, floor2 };
const char* name(Server s) {
    switch (s) {
        case Server::tickcast: return "tickcast";
        case Server::nchan: return "nchan";
        case Server::floor1: return "floor-1t";
        case Server::floor2: return "floor-2t";
    }
    return "?";
}

struct Run {
    double deliveries_per_s = 0, p50 = 0, p99 = 0, p999 = 0, max = 0;  // ms
    double spread_p50 = 0, spread_p99 = 0;  // fan-out spread, ms
    double read_p50 = 0, read_p99 = 0;      // latency to the client thread's read, ms
    double server_cpu = 0, client_cpu = 0, publisher_cpu = 0;         // share of one core over the window
    double rss_per_conn_kb = 0;
    std::uint64_t missed = 0, reordered = 0, wrong_channel = 0, server_closes = 0, failed = 0, oversized = 0;
    std::uint16_t close_code = 0;
    std::string problem, load;
};

std::atomic<int> g_run_counter{0};

// Connects, settles, measures; `server_pids` gives the processes whose CPU and RSS count.
template <class Pids>
Run measure(const Config& cfg, const Scenario& sc, LoadSpec spec, Pids server_pids, int publisher_tid, long rss_before) {
    Run r;
    spec.connections = sc.clients;
    spec.channels = sc.channels;
    spec.buffer_bytes = std::clamp<std::size_t>((256u << 20) / sc.clients, 4096, 65536);
    WsLoadClient client(spec);
    client.run();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (client.subscribed() + client.failed() < sc.clients && std::chrono::steady_clock::now() < deadline) {
        check_interrupted();
        std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(1s);  // settle: connection bursts and the first messages out of the way
    long rss_after = 0;
    for (int pid : server_pids()) rss_after += rss_kb(pid);
    r.rss_per_conn_kb = double(rss_after - rss_before) / double(sc.clients);

    auto server_cpu = [&] {
        double s = 0;
        for (int pid : server_pids()) s += process_cpu(pid);
        return s;
    };
    const std::int64_t w0 = realtime_ns(), w1 = w0 + std::int64_t(cfg.seconds * 1e9);
    client.set_window(w0, w1);
    const double s0 = server_cpu(), c0 = thread_cpu(client.thread_id()), p0 = thread_cpu(publisher_tid);
    std::this_thread::sleep_for(std::chrono::nanoseconds(w1 - realtime_ns()));
    const double s1 = server_cpu(), c1 = thread_cpu(client.thread_id()), p1 = thread_cpu(publisher_tid);
    std::this_thread::sleep_for(50ms);  // messages stamped in the window still on their way are not waited for
    r.load = loadavg();
    client.stop();

    const LoadResults& res = client.results();
    r.deliveries_per_s = double(res.window_deliveries) / cfg.seconds;
    r.p50 = res.latency.quantile_ms(0.50);
    r.p99 = res.latency.quantile_ms(0.99);
    r.p999 = res.latency.quantile_ms(0.999);
    r.max = res.latency.max_ms();
    r.spread_p50 = res.spread.quantile_ms(0.50);
    r.read_p50 = res.latency_at_read.quantile_ms(0.50);
    r.read_p99 = res.latency_at_read.quantile_ms(0.99);
    r.spread_p99 = res.spread.quantile_ms(0.99);
    r.server_cpu = (s1 - s0) / cfg.seconds;
    r.client_cpu = (c1 - c0) / cfg.seconds;
    r.publisher_cpu = (p1 - p0) / cfg.seconds;
    r.missed = res.missed;
    r.reordered = res.reordered;
    r.wrong_channel = res.wrong_channel;
    r.server_closes = res.server_closes;
    r.oversized = res.oversized;
    r.close_code = res.first_close_code;
    r.failed = client.failed();
    if (client.failed() || res.server_closes || res.errors || res.socket_errors) r.problem = res.first_error;
    return r;
}

std::string tickcast_yaml(const Config& cfg, const Scenario& sc) {
    const std::string first = cfg.gateway_plugin_dir.empty() ? "" : "\"" + cfg.gateway_plugin_dir + "\", ";
    return "daemon: {threads: " + std::to_string(cfg.daemon_threads) + ", plugin_path: [" + first + "\"" BENCH_WS_PLUGIN_DIR "\"]}\n"
           "pipelines:\n"
           "  ws:\n"
           "    source: {plugin: stamped_source, channels: " + std::to_string(sc.channels) + ", rate: " + std::to_string(sc.rate) +
           ", payload_bytes: " + std::to_string(cfg.payload_bytes) + "}\n"
           "    sinks:\n"
           "      - {plugin: websocket_server, listen: \"127.0.0.1:0\", max_connections: 20000, write_threads: " +
           std::to_string(cfg.write_threads) + "}\n";
}

Run run_tickcast(const Config& cfg, const Scenario& sc) {
    TempDir dir;
    DaemonProcess daemon(dir.write("ws.yaml", tickcast_yaml(cfg, sc)));
    std::smatch m;
    const std::regex listening(R"(websocket gateway on ws://([0-9.]+):(\d+)/)");
    std::string err;
    tickcast::test::eventually([&] { return std::regex_search(err = daemon.process().err(), m, listening); }, 20s);
    if (m.empty()) throw std::runtime_error("tickcastd did not start its gateway:\n" + err);
    LoadSpec spec;
    spec.server = LoadSpec::Server::tickcast;
    spec.coalesce = cfg.coalesce;
    spec.port = std::uint16_t(std::stoi(m[2]));
    const int pid = child_pid("tickcastd");
    auto pids = [pid] { return std::vector<int>{pid}; };
    Run r = measure(cfg, sc, spec, pids, 0, rss_kb(pid));
    daemon.process().signal(SIGTERM);
    if (daemon.process().wait(20s) != 0 && r.problem.empty()) r.problem = "tickcastd did not exit cleanly";
    return r;
}

Run run_nchan(const Config& cfg, const Scenario& sc) {
    NchanServer server(cfg.nchan_module, cfg.nginx_workers);
    const std::string ids = "r" + std::to_string(++g_run_counter) + "c";
    NchanPublisher publisher({server.port(), ids, "bench.", sc.channels, sc.rate, cfg.payload_bytes});
    LoadSpec spec;
    spec.server = LoadSpec::Server::nchan;
    spec.port = server.port();
    spec.nchan_id_prefix = ids;
    long before = 0;
    for (int pid : server.worker_pids()) before += rss_kb(pid);
    while (publisher.thread_id() == 0) std::this_thread::sleep_for(1ms);
    Run r = measure(cfg, sc, spec, [&server] { return server.worker_pids(); }, publisher.thread_id(), before);
    publisher.stop();
    if (!publisher.error().empty() && r.problem.empty()) r.problem = "publisher: " + publisher.error();
    server.stop();
    return r;
}

// The floor: no process of its own, so no server CPU or RSS is reported.
Run run_floor(const Config& cfg, const Scenario& sc, std::size_t threads) {
    const std::string ids = "f" + std::to_string(++g_run_counter) + "c";
    FloorServer server({ids, "bench.", sc.channels, sc.rate, cfg.payload_bytes, threads});
    LoadSpec spec;
    spec.server = LoadSpec::Server::nchan;  // the URL is the subscription, as with nchan
    spec.port = server.port();
    spec.nchan_id_prefix = ids;
    Run r = measure(cfg, sc, spec, [] { return std::vector<int>{}; }, 0, 0);
    server.stop();
    if (server.dropped() && r.problem.empty()) r.problem = std::to_string(server.dropped()) + " frames could not be sent whole (dropped)";
    if (!server.error().empty() && r.problem.empty()) r.problem = "floor: " + server.error();
    return r;
}

// ---- printing -----------------------------------------------------------------------

void print_run(const Scenario& sc, Server s, int rep, const Run& r) {
    std::printf("  %-10s %-8s #%d  %9.0f deliv/s  p50 %7.3f  p99 %7.3f  p99.9 %7.3f  max %8.3f ms  at read p50 %.3f p99 %.3f  fan-out p50 %.3f p99 %.3f"
                "  cpu srv %3.0f%% cli %3.0f%%",
                sc.name.c_str(), name(s), rep + 1, r.deliveries_per_s, r.p50, r.p99, r.p999, r.max, r.read_p50, r.read_p99, r.spread_p50, r.spread_p99,
                r.server_cpu * 100, r.client_cpu * 100);
    if (s == Server::nchan) std::printf(" pub %3.0f%%", r.publisher_cpu * 100);
    if (sc.rss) std::printf("  rss %.1f KB/conn", r.rss_per_conn_kb);
    std::printf("  missed %llu", (unsigned long long)r.missed);
    if (r.reordered || r.wrong_channel) std::printf(" reordered %llu wrong %llu", (unsigned long long)r.reordered, (unsigned long long)r.wrong_channel);
    if (r.server_closes) std::printf("  closed %llu (code %u)", (unsigned long long)r.server_closes, r.close_code);
    if (r.failed) std::printf("  failed %llu", (unsigned long long)r.failed);
    if (r.oversized) std::printf("  frames over %zu MiB dropped %llu", WsLoadClient::max_frame >> 20, (unsigned long long)r.oversized);
    std::printf("  load %s\n", r.load.c_str());
    if (!r.problem.empty()) std::printf("      first problem: %s\n", r.problem.c_str());
    std::fflush(stdout);
}

struct Medians {
    double deliveries_per_s, p50, p99, p999, max, read_p99, spread, server_cpu, client_cpu, rss;
    std::uint64_t missed, closes;
};

Medians medians(const std::vector<Run>& runs) {
    auto med = [&](auto field) {
        std::vector<double> v;
        for (const Run& r : runs) v.push_back(double(field(r)));
        return median(v);
    };
    Medians m{};
    m.deliveries_per_s = med([](const Run& r) { return r.deliveries_per_s; });
    m.p50 = med([](const Run& r) { return r.p50; });
    m.p99 = med([](const Run& r) { return r.p99; });
    m.p999 = med([](const Run& r) { return r.p999; });
    m.max = med([](const Run& r) { return r.max; });
    m.spread = med([](const Run& r) { return r.spread_p50; });
    m.read_p99 = med([](const Run& r) { return r.read_p99; });
    m.server_cpu = med([](const Run& r) { return r.server_cpu; });
    m.client_cpu = med([](const Run& r) { return r.client_cpu; });
    m.rss = med([](const Run& r) { return r.rss_per_conn_kb; });
    for (const Run& r : runs) m.missed += r.missed, m.closes += r.server_closes;
    return m;
}

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::vector<Scenario> expand(const Config& cfg) {
    std::vector<Scenario> out;
    for (const std::string& n : cfg.scenarios) {
        if (n == "fanout100") out.push_back({n, "100 clients x 1 channel, 1,000 ev/s", 100, 1, 1000});
        else if (n == "fanout1000") out.push_back({n, "1,000 clients x 1 channel, 100 ev/s", 1000, 1, 100});
        else if (n == "spread1000") out.push_back({n, "1,000 clients over 100 channels, 10,000 ev/s (100 per channel)", 1000, 100, 10000});
        else if (n == "idle10000") out.push_back({n, "10,000 clients over 100 channels, 100 ev/s (1 per channel)", 10000, 100, 100, true});
        else if (n == "max100")
            for (std::uint64_t rate : cfg.max_rates)
                out.push_back({"max100@" + std::to_string(rate), "100 clients x 1 channel, " + std::to_string(rate) + " ev/s", 100, 1, rate});
        else throw std::runtime_error("unknown scenario '" + n + "' (fanout100, fanout1000, spread1000, idle10000, max100)");
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    CLI::App app{"bench_ws: WebSocket fan-out, tickcast's gateway vs nginx + nchan, one load client"};
    app.add_option("--scenarios", cfg.scenarios, "fanout100 fanout1000 spread1000 idle10000 max100")->delimiter(',')->capture_default_str();
    app.add_option("--max-rates", cfg.max_rates, "event rates tried by max100 (x 100 clients = deliveries/s offered)")->delimiter(',')->capture_default_str();
    app.add_option("--repeat", cfg.repeat, "runs per scenario and server (medians reported)")->capture_default_str();
    app.add_option("--seconds", cfg.seconds, "measured window per run")->capture_default_str();
    app.add_option("--daemon-threads", cfg.daemon_threads, "tickcastd daemon.threads")->capture_default_str();
    app.add_option("--write-threads", cfg.write_threads, "the gateway's write_threads (0: its default, one per core up to 4)")->capture_default_str();
    app.add_option("--nginx-workers", cfg.nginx_workers, "nginx worker_processes")->capture_default_str();
    app.add_option("--payload-bytes", cfg.payload_bytes, "event payload size")->capture_default_str();
    app.add_option("--gateway-plugin-dir", cfg.gateway_plugin_dir,
                   "a folder of plugin libraries searched first (e.g. another build's websocket plugin, for an A/B run)");
    bool no_nchan = false, no_tickcast = false;
    app.add_flag("--no-nchan", no_nchan, "skip the baseline");
    app.add_flag("--no-tickcast", no_tickcast, "only the baseline");
    app.add_flag("--floor", cfg.floor, "also run the bare-send floor (bench/ws/floor_server.hpp) from one and from two threads");
    bool no_coalesce = false;
    app.add_flag("--no-coalesce", no_coalesce, "tickcast's clients do not ask for coalescing (one message per frame)");
    CLI11_PARSE(app, argc, argv);
    cfg.nchan = !no_nchan;
    cfg.tickcast = !no_tickcast;
    cfg.coalesce = !no_coalesce;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    // 10,000 connections in this process and as many in the server (which
    // inherits the limit): raise the soft limit to the hard one.
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);

    try {
        const std::vector<Scenario> scenarios = expand(cfg);
        if (cfg.nchan) {
            run_command(TICKCAST_SOURCE_DIR "/bench/ws/nchan.sh install >/dev/null");
            cfg.nchan_module = run_command(TICKCAST_SOURCE_DIR "/bench/ws/nchan.sh module");
        }
        utsname u{};
        uname(&u);
        std::printf("bench_ws: %ld CPUs, %s %s, RLIMIT_NOFILE %llu, load %s\n", sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release,
                    (unsigned long long)lim.rlim_cur, loadavg().c_str());
        if (!cfg.gateway_plugin_dir.empty()) std::printf("  plugins first from %s\n", cfg.gateway_plugin_dir.c_str());
        std::printf("  tickcast: tickcastd threads=%d, stamped_source -> websocket_server (write_threads %d); nchan: nginx %s workers=%d, publisher = HTTP POST\n",
                    cfg.daemon_threads, cfg.write_threads, cfg.nchan ? run_command("/usr/sbin/nginx -v 2>&1").c_str() : "-", cfg.nginx_workers);
        std::printf("  payload %zu bytes; %d runs per point, %.1f s windows; latency = kernel receive stamp - origin stamp (ms); load client: 1 thread\n\n",
                    cfg.payload_bytes, cfg.repeat, cfg.seconds);

        std::map<std::string, std::map<Server, std::vector<Run>>> all;
        for (const Scenario& sc : scenarios) {
            std::printf("%s: %s\n", sc.name.c_str(), sc.what.c_str());
            for (int rep = 0; rep < cfg.repeat; ++rep) {
                std::vector<Server> order;
                if (cfg.tickcast) order.push_back(Server::tickcast);
                if (cfg.nchan) order.push_back(Server::nchan);
                if (cfg.floor) order.insert(order.end(), {Server::floor1, Server::floor2});
                if (rep % 2) std::reverse(order.begin(), order.end());
                for (Server s : order) {
                    check_interrupted();
                    Run r = s == Server::tickcast ? run_tickcast(cfg, sc)
                            : s == Server::nchan  ? run_nchan(cfg, sc)
                                                  : run_floor(cfg, sc, s == Server::floor1 ? 1 : 2);
                    print_run(sc, s, rep, r);
                    all[sc.name][s].push_back(std::move(r));
                }
            }
        }

        std::printf("\nMedians (latency ms; cpu = share of one core; ratio = tickcast / nchan)\n");
        std::printf("| scenario | server | deliveries/s | p50 | p99 | p99.9 | max | p99 at read | fan-out p50 | server cpu | client cpu | RSS KB/conn | missed | closed |\n");
        std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (const Scenario& sc : scenarios) {
            std::map<Server, Medians> ms;
            for (auto& [s, runs] : all[sc.name]) {
                const Medians m = ms[s] = medians(runs);
                std::printf("| %s | %s | %.0f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f%% | %.0f%% | %s | %llu | %llu |\n", sc.name.c_str(), name(s),
                            m.deliveries_per_s, m.p50, m.p99, m.p999, m.max, m.read_p99, m.spread, m.server_cpu * 100, m.client_cpu * 100,
                            sc.rss ? fixed(m.rss, 1).c_str() : "-",
                            (unsigned long long)m.missed, (unsigned long long)m.closes);
            }
            if (ms.count(Server::tickcast) && ms.count(Server::nchan)) {
                const Medians &t = ms[Server::tickcast], &n = ms[Server::nchan];
                auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
                std::printf("| %s | ratio | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | | %s | | |\n", sc.name.c_str(),
                            ratio(t.deliveries_per_s, n.deliveries_per_s), ratio(t.p50, n.p50), ratio(t.p99, n.p99), ratio(t.p999, n.p999),
                            ratio(t.max, n.max), ratio(t.read_p99, n.read_p99), ratio(t.spread, n.spread), ratio(t.server_cpu, n.server_cpu), sc.rss ? fixed(ratio(t.rss, n.rss), 2).c_str() : "");
            }
        }
        std::printf("load at the end: %s\n", loadavg().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_ws: %s\n", e.what());
        return 1;
    }
    return 0;
}
