// bench_redis: one Redis hop, publish -> receive, through tickcast next to raw
// hiredis doing the same thing in the same run, for Pub/Sub and for Streams.
// Prints its figures and conditions (docs/benchmarks.md).
//
// Setup (all on this machine, sharing its cores):
//   - a private redis-server started through scripts/redis.sh;
//   - raw:      this process, two threads, two synchronous hiredis
//               connections. The publisher paces exactly like mock_source
//               on one thread: it sends everything due as one pipelined
//               write (redisAppendCommandArgv), goes again at once if more
//               fell due meanwhile, else reads the replies and sleeps until
//               the next event is due, at least 1 ms on;
//               each message is stamped (CLOCK_REALTIME) as it is built
//               and carries the same bytes tickcast sends: the
//               Pub/Sub message "T1 <seq> <ts> 0 - -\n<payload>" or the
//               XADD with seq, ts, key, hops and payload fields and ID
//               <seq>-0. The subscriber (SUBSCRIBE, or XREAD COUNT 512
//               BLOCK from the last ID) stamps each message after parsing.
//   - tickcast: two daemons (`tickcastd run`), started in this order:
//               gateway: redis_pubsub | redis_stream source -> capture_sink,
//               fanout:  mock_source (repeat N, rate R) -> redis_pubsub |
//               redis_stream sink. Latency per event = hops.redis_in -
//               origin_ns (mock_source stamps origin_ns as it makes each
//               event; the source stamps redis_in on receipt).
// CPU per event: raw = CPU of its two threads; tickcast = both daemons'
// CPU from the first event received to their exit (start-up left out);
// redis = redis-server's CPU over the same span.
// The first 0.25 s of events of every latency run are left out (warm-up) on
// both sides. Every point is repeated (--repeat) and the median reported;
// raw and tickcast runs alternate so load from elsewhere hits both.
// Paced runs also print where a burst's time goes: the publisher's making
// and its sink's batches, the hop to the first receipt, and the receiving,
// from the capture's origin, redis_out and redis_in stamps (raw: send and receive
// stamps, bursts as its publisher recorded its wake-ups).
// --write-forms adds a table of how one stream batch is written (separate
// XADDs, MULTI/EXEC, a Lua script): Redis's CPU per entry and the batch's
// round trip, the figures behind redis_stream's choice of MULTI/EXEC.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "common/bench_support.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using tickcast::test::DaemonProcess;
using tickcast::test::RedisServer;
using namespace tickcast::bench;
using tickcast::test::TempDir;

double cpu_seconds(int who) {
    rusage ru{};
    getrusage(who, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double this_thread_cpu() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Children of this process (the tickcastd daemons) and their CPU so far.
double children_cpu() {
    double sum = 0;
    const pid_t self = getpid();
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
            std::string s((std::istreambuf_iterator<char>(in)), {});
            const auto close = s.rfind(')');
            if (close == std::string::npos) continue;
            char state = 0;
            int ppid = 0;
            if (std::sscanf(s.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == self) sum += process_cpu(std::stoi(e->d_name));
        }
        closedir(d);
    }
    return sum;
}

enum class Mode { pubsub, stream };
const char* name(Mode m) { return m == Mode::pubsub ? "pubsub" : "stream"; }

struct Config {
    std::vector<std::uint64_t> rates{10'000, 50'000};
    double seconds = 3;
    std::uint64_t max_events = 200'000;
    int repeat = 2;
    std::vector<int> threads{2};
    std::size_t payload_bytes = 200;
    bool latency = true, throughput = true, restart = true;
    double restart_after = 1, restart_gap = 1, restart_total = 3;
    std::uint64_t restart_rate = 10'000;
    std::uint64_t maxlen = 100'000;
    double warmup = 0.25;
};

// ---- results ----------------------------------------------------------------

struct Run {
    std::vector<std::int64_t> lat;  // ns, warm-up excluded
    std::uint64_t sent = 0, received = 0, unique = 0;
    std::int64_t first_rx = 0, last_rx = 0;
    double client_cpu = 0, server_cpu = 0;  // seconds
    std::uint64_t source_missed_metric = 0;  // tickcast gateway's tickcast_redis_source_missed_events_total
    std::uint64_t reconnects = 0;            // tickcast gateway's tickcast_redis_reconnects_total
    double outage_ms = 0;
    // Where a burst's time goes (paced runs): medians over the run's bursts,
    // µs. A burst is what the publisher made in one wake-up: as the raw
    // publisher records them, or (tickcast, whose mock_source makes a
    // wake-up's events within a few µs) events made less than 30 µs apart.
    struct Bursts {
        std::size_t count = 0;
        double events = 0;
        double made = 0;        // first made -> last made
        // tickcast's redis_out stamp is when its sink began the event's batch
        double to_encoded = 0;  // first made -> first redis_out (tickcast)
        double encoding = 0;    // first redis_out -> last redis_out (tickcast): the burst's later batches
        double to_rx = 0;       // last made or redis_out -> first received: (encoding,) the write, Redis, the wake-up
        double receiving = 0;   // first received -> last received
    } bursts;

    double pct(double p) const {
        if (lat.empty()) return 0;
        std::size_t i = std::size_t(std::ceil(p * double(lat.size())));
        return double(lat[std::min(lat.size() - 1, i == 0 ? 0 : i - 1)]) / 1000.0;  // µs
    }
    double throughput() const { return received > 1 && last_rx > first_rx ? double(received - 1) * 1e9 / double(last_rx - first_rx) : 0; }
};

// ---- the Redis server ---------------------------------------------------------

struct Server {
    RedisServer server;
    int port = 0;
    pid_t pid = 0;
    Server() : server() {
        port = std::stoi(server.port());
        auto c = server.connect();
        auto r = tickcast::test::command(c.get(), {"INFO", "server"});
        const std::string info(r->str, r->len);
        const auto at = info.find("process_id:");
        if (at != std::string::npos) pid = std::stoi(info.substr(at + 11));
    }
    double cpu() const { return process_cpu(pid); }
    redisContext* connect() const {
        redisContext* c = redisConnect("127.0.0.1", port);
        if (!c || c->err) throw std::runtime_error("cannot connect to redis");
        return c;
    }
    void del(const std::string& key) const {
        redisContext* c = connect();
        freeReplyObject(redisCommand(c, "DEL %s", key.c_str()));
        redisFree(c);
    }
};

// ---- raw hiredis ----------------------------------------------------------------

std::string make_payload(std::size_t bytes) {
    std::string p = R"({"type":"trade","symbol":"BTC-USDT","price":"64210.50","qty":"0.0150","ts":1795683897300264606,"pad":")";
    const std::string tail = "\"}";
    while (p.size() + tail.size() < bytes) p += 'x';
    return p + tail;
}

struct RawSpec {
    Mode mode;
    std::string key;  // channel or stream key
    std::uint64_t rate, total;
    std::uint64_t restart_after_seq = 0;  // 0: no restart
    std::chrono::milliseconds restart_gap{0};
};

// `wakes` gets the first seq of each wake-up's burst.
void raw_publisher(const Server& srv, const RawSpec& spec, const std::string& payload, std::uint64_t maxlen, std::atomic<bool>& failed,
                   double& cpu, std::vector<std::uint64_t>& wakes) {
    const double cpu0 = this_thread_cpu();
    redisContext* c = srv.connect();
    PacedCount pacer{spec.rate, spec.total, 256};
    const std::string maxlen_s = std::to_string(maxlen);
    char header[96];
    std::string msg, seq_s, ts_s, id_s;
    // As mock_source on one thread, whose emit() runs the sink's encoding
    // and socket write: make what is due, send it, and go again at once if
    // more fell due meanwhile; else read the replies and sleep until the
    // next event is due, at least 1 ms on.
    // Unanswered commands are bounded like mock_source's events in flight
    // (a pipeline's max_in_flight, 10,000 by default): past it, replies are
    // read first.
    constexpr std::uint64_t max_in_flight = 10'000;
    std::uint64_t unanswered = 0;
    bool slept = true;
    auto read_replies = [&](std::uint64_t keep = 0) {
        for (; unanswered > keep; --unanswered) {
            void* r = nullptr;
            if (redisGetReply(c, &r) != REDIS_OK) {
                failed = true;
                return false;
            }
            if (static_cast<redisReply*>(r)->type == REDIS_REPLY_ERROR) failed = true;
            freeReplyObject(r);
        }
        return true;
    };
    while (pacer.emitted < spec.total && !g_interrupted) {
        const std::uint64_t n = pacer.due();
        if (n == 0) {
            const auto wake = pacer.next_wake();
            if (!read_replies()) break;
            std::this_thread::sleep_until(wake);
            slept = true;
            continue;
        }
        if (unanswered + n > max_in_flight && !read_replies(max_in_flight - n)) break;
        const std::uint64_t first = pacer.emitted + 1;
        if (slept) wakes.push_back(first);
        slept = false;
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::uint64_t seq = first + i;
            const std::int64_t ts = realtime_ns();
            if (spec.mode == Mode::pubsub) {
                const int h = std::snprintf(header, sizeof header, "T1 %" PRIu64 " %" PRId64 " 0 - -\n", seq, ts);
                msg.assign(header, std::size_t(h));
                msg += payload;
                const char* argv[] = {"PUBLISH", spec.key.c_str(), msg.data()};
                const std::size_t lens[] = {7, spec.key.size(), msg.size()};
                redisAppendCommandArgv(c, 3, argv, lens);
            } else {
                seq_s = std::to_string(seq);
                ts_s = std::to_string(ts);
                id_s = seq_s + "-0";
                const char* argv[] = {"XADD", spec.key.c_str(), "MAXLEN", "~", maxlen_s.c_str(), id_s.c_str(), "seq", seq_s.c_str(), "ts",
                                      ts_s.c_str(), "key", "-", "hops", "-", "payload", payload.data()};
                std::size_t lens[16];
                for (int k = 0; k < 16; ++k) lens[k] = std::strlen(argv[k]);
                lens[15] = payload.size();
                redisAppendCommandArgv(c, 16, argv, lens);
            }
        }
        for (int written = 0; !written;)
            if (redisBufferWrite(c, &written) != REDIS_OK) {
                failed = true;
                break;
            }
        pacer.emitted += n;
        unanswered += n;
    }
    read_replies();
    // The end marker: everything before it has been delivered once it arrives.
    if (spec.mode == Mode::pubsub)
        freeReplyObject(redisCommand(c, "PUBLISH %s END", spec.key.c_str()));
    else
        freeReplyObject(redisCommand(c, "XADD %s * end 1", spec.key.c_str()));
    redisFree(c);
    cpu = this_thread_cpu() - cpu0;
}

struct RawRx {
    std::uint64_t seq;
    std::int64_t sent, received;
    std::int64_t encoded = 0;  // tickcast's redis_out stamp; raw has none
};

// Subscribes (or reads the stream from 0), says when it is ready, records
// every message until the end marker (or 5 s of silence).
void raw_subscriber(const Server& srv, const RawSpec& spec, std::vector<RawRx>& out, std::atomic<bool>& ready, double& cpu) {
    out.reserve(spec.total + 16);
    redisContext* c = nullptr;
    std::string last_id = "0-0";
    auto open = [&] {
        c = srv.connect();
        redisSetTimeout(c, timeval{5, 0});
        if (spec.mode == Mode::pubsub) {
            freeReplyObject(redisCommand(c, "SUBSCRIBE %s", spec.key.c_str()));  // the confirmation
        }
    };
    open();
    ready = true;
    const double cpu0 = this_thread_cpu();
    bool restarted = spec.restart_after_seq == 0;
    bool done = false;
    while (!done && !g_interrupted) {
        if (spec.mode == Mode::pubsub) {
            void* v = nullptr;
            if (redisGetReply(c, &v) != REDIS_OK) break;
            redisReply* r = static_cast<redisReply*>(v);
            const std::int64_t now = realtime_ns();
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && std::strcmp(r->element[0]->str, "message") == 0) {
                const redisReply* body = r->element[2];
                if (body->len == 3 && std::memcmp(body->str, "END", 3) == 0) {
                    done = true;
                } else {
                    std::uint64_t seq = 0;
                    std::int64_t ts = 0;
                    std::sscanf(body->str, "T1 %" SCNu64 " %" SCNd64, &seq, &ts);
                    out.push_back({seq, ts, now});
                }
            }
            freeReplyObject(r);
        } else {
            const char* argv[] = {"XREAD", "COUNT", "512", "BLOCK", "5000", "STREAMS", spec.key.c_str(), last_id.c_str()};
            redisReply* r = static_cast<redisReply*>(redisCommandArgv(c, 8, argv, nullptr));
            if (!r) break;
            const std::int64_t now = realtime_ns();
            if (r->type != REDIS_REPLY_ARRAY) {  // nil: 5 s without entries
                freeReplyObject(r);
                break;
            }
            const redisReply* entries = r->element[0]->element[1];
            for (std::size_t i = 0; i < entries->elements; ++i) {
                const redisReply* e = entries->element[i];
                last_id.assign(e->element[0]->str, e->element[0]->len);
                const redisReply* f = e->element[1];
                RawRx rx{0, 0, now};
                for (std::size_t k = 0; k + 1 < f->elements; k += 2) {
                    const std::string_view n(f->element[k]->str, f->element[k]->len);
                    const char* v = f->element[k + 1]->str;
                    const std::size_t vl = f->element[k + 1]->len;
                    if (n == "end") done = true;
                    else if (n == "seq") std::from_chars(v, v + vl, rx.seq);
                    else if (n == "ts") std::from_chars(v, v + vl, rx.sent);
                }
                if (rx.seq) out.push_back(rx);
            }
            freeReplyObject(r);
        }
        if (!out.empty() && out.back().seq >= spec.total) done = true;
        if (!restarted && !out.empty() && out.back().seq >= spec.restart_after_seq) {
            restarted = true;
            redisFree(c);
            std::this_thread::sleep_for(spec.restart_gap);
            open();
        }
    }
    redisFree(c);
    cpu = this_thread_cpu() - cpu0;
}

// `wakes`: the first seq of each publisher wake-up, ascending, when known.
Run::Bursts bursts_of(const std::vector<RawRx>& rx, std::uint64_t skip_seq, const std::vector<std::uint64_t>& wakes) {
    std::vector<const RawRx*> by_sent;
    for (const RawRx& r : rx)
        if (r.seq > skip_seq) by_sent.push_back(&r);
    std::sort(by_sent.begin(), by_sent.end(), [](const RawRx* a, const RawRx* b) { return a->sent < b->sent; });
    std::vector<double> events, made, to_encoded, encoding, to_rx, receiving;
    auto us = [](std::int64_t ns) { return double(ns) / 1000.0; };
    for (std::size_t i = 0; i < by_sent.size();) {
        std::size_t j = i + 1;
        auto wake_of = [&](const RawRx* r) { return std::upper_bound(wakes.begin(), wakes.end(), r->seq) - wakes.begin(); };
        if (wakes.empty())
            while (j < by_sent.size() && by_sent[j]->sent - by_sent[j - 1]->sent < 30'000) ++j;
        else
            while (j < by_sent.size() && wake_of(by_sent[j]) == wake_of(by_sent[i])) ++j;
        std::int64_t first_enc = 0, last_enc = 0, first_rx = by_sent[i]->received, last_rx = first_rx;
        for (std::size_t k = i; k < j; ++k) {
            const RawRx& r = *by_sent[k];
            if (r.encoded) {
                first_enc = first_enc ? std::min(first_enc, r.encoded) : r.encoded;
                last_enc = std::max(last_enc, r.encoded);
            }
            first_rx = std::min(first_rx, r.received);
            last_rx = std::max(last_rx, r.received);
        }
        const std::int64_t first_sent = by_sent[i]->sent, last_sent = by_sent[j - 1]->sent;
        events.push_back(double(j - i));
        made.push_back(us(last_sent - first_sent));
        if (first_enc) {
            to_encoded.push_back(us(first_enc - first_sent));
            encoding.push_back(us(last_enc - first_enc));
        }
        to_rx.push_back(us(first_rx - std::max(last_sent, last_enc)));
        receiving.push_back(us(last_rx - first_rx));
        i = j;
    }
    return {events.size(), median(events), median(made), median(to_encoded), median(encoding), median(to_rx), median(receiving)};
}

Run summarize(std::vector<RawRx>& rx, std::uint64_t sent, std::uint64_t skip_seq, const std::vector<std::uint64_t>& wakes = {}) {
    Run run;
    run.sent = sent;
    run.received = rx.size();
    std::set<std::uint64_t> seqs;
    for (const RawRx& r : rx) {
        seqs.insert(r.seq);
        if (r.seq > skip_seq) run.lat.push_back(r.received - r.sent);
    }
    run.unique = seqs.size();
    std::sort(run.lat.begin(), run.lat.end());
    if (!rx.empty()) {
        run.first_rx = rx.front().received;
        run.last_rx = rx.back().received;
    }
    // Longest silence between two consecutive receipts (restart runs).
    for (std::size_t i = 1; i < rx.size(); ++i) run.outage_ms = std::max(run.outage_ms, double(rx[i].received - rx[i - 1].received) / 1e6);
    run.bursts = bursts_of(rx, skip_seq, wakes);
    return run;
}

Run run_raw(const Server& srv, const Config& cfg, const RawSpec& spec, std::uint64_t skip_seq) {
    const std::string payload = make_payload(cfg.payload_bytes);
    std::vector<RawRx> rx;
    std::atomic<bool> ready{false}, failed{false};
    double sub_cpu = 0, pub_cpu = 0;
    std::thread sub([&] { raw_subscriber(srv, spec, rx, ready, sub_cpu); });
    while (!ready) std::this_thread::sleep_for(1ms);
    const double srv0 = srv.cpu();
    std::vector<std::uint64_t> wakes;
    std::thread pub([&] { raw_publisher(srv, spec, payload, cfg.maxlen, failed, pub_cpu, wakes); });
    pub.join();
    sub.join();
    check_interrupted();
    if (failed) throw std::runtime_error("raw publisher: a command failed");
    Run run = summarize(rx, spec.total, skip_seq, wakes);
    run.client_cpu = sub_cpu + pub_cpu;
    run.server_cpu = srv.cpu() - srv0;
    if (spec.mode == Mode::stream) srv.del(spec.key);
    return run;
}

// ---- through tickcast ----------------------------------------------------------------

struct TcSpec {
    Mode mode;
    std::string channel;  // tickcast channel; Redis key/channel is tc:<channel>
    std::uint64_t rate, total;
    int threads;
    bool restart = false;
    std::chrono::milliseconds restart_after{0}, restart_gap{0};
};

std::string resources(const Server& srv, int threads) {
    return "daemon: {threads: " + std::to_string(threads) + "}\nresources:\n  r: {plugin: redis, url: \"redis://127.0.0.1:" +
           std::to_string(srv.port) + "/0\"}\n";
}

std::string gateway_yaml(const Server& srv, const TcSpec& s, const std::string& capture, std::optional<std::uint64_t> since) {
    std::string src = s.mode == Mode::pubsub
                          ? "{plugin: redis_pubsub, redis: r, channels: [" + s.channel + "]}"
                          : "{plugin: redis_stream, redis: r, channels: [" + s.channel + "], start: all" +
                                (since ? ", since: {\"" + s.channel + "\": " + std::to_string(*since) + "}" : "") + "}";
    return resources(srv, s.threads) + "pipelines:\n  gateway:\n    source: " + src + "\n    sinks: [{plugin: capture_sink, format: stamps, path: \"" + capture +
           "\"}]\n";
}

std::string fanout_yaml(const Server& srv, const Config& cfg, const TcSpec& s) {
    std::string sink = s.mode == Mode::pubsub ? "{plugin: redis_pubsub, redis: r}"
                                              : "{plugin: redis_stream, redis: r, maxlen: " + std::to_string(cfg.maxlen) + "}";
    return resources(srv, s.threads) + "pipelines:\n  fanout:\n    source:\n      plugin: mock_source\n      repeat: " + std::to_string(s.total) +
           "\n      rate: " + std::to_string(s.rate) + "\n      events:\n        - {channel: " + s.channel + ", payload: '" +
           make_payload(cfg.payload_bytes) + "'}\n    sinks: [" + sink + "]\n";
}

// Waits until the gateway listens: a subscriber on the channel, or a client
// blocked in XREAD.
void wait_listening(const Server& srv, Mode mode, const std::string& key, DaemonProcess& d) {
    redisContext* c = srv.connect();
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool ok = false;
    while (!ok && std::chrono::steady_clock::now() < deadline && !g_interrupted) {
        if (mode == Mode::pubsub) {
            redisReply* r = static_cast<redisReply*>(redisCommand(c, "PUBSUB NUMSUB %s", key.c_str()));
            ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer >= 1;
            freeReplyObject(r);
        } else {
            redisReply* r = static_cast<redisReply*>(redisCommand(c, "CLIENT LIST"));
            ok = r && r->type == REDIS_REPLY_STRING && std::string_view(r->str, r->len).find("cmd=xread") != std::string_view::npos;
            freeReplyObject(r);
        }
        if (!ok) std::this_thread::sleep_for(10ms);
    }
    redisFree(c);
    if (!ok) throw std::runtime_error("the tickcast gateway did not start listening on " + key + ": " + d.process().err());
}

// Waits until a file stops growing for `quiet`.
void wait_quiet(const std::string& path, std::chrono::milliseconds quiet, std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    off_t last = -1;
    auto since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline && !g_interrupted) {
        struct stat st{};
        const off_t size = ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
        if (size != last) {
            last = size;
            since = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - since >= quiet) {
            return;
        }
        std::this_thread::sleep_for(50ms);
    }
}

void read_capture(const std::string& path, std::vector<RawRx>& out) {
    std::ifstream in(path);
    Stamps st;
    for (std::string line; std::getline(in, line);)
        if (parse_stamps_line(line, st) && st.hop("redis_in") > 0) out.push_back({st.seq, st.origin_ns, st.hop("redis_in"), st.hop("redis_out")});
}

double metric_sum(DaemonProcess& d, const std::string& name) {
    double sum = 0;
    std::istringstream text(tickcast::test::http_get(d.admin(), "/metrics"));
    for (std::string line; std::getline(text, line);)
        if (line.rfind(name, 0) == 0 && (line.size() > name.size() && (line[name.size()] == '{' || line[name.size()] == ' ')))
            sum += std::stod(line.substr(line.rfind(' ') + 1));
    return sum;
}

void stop_daemon(DaemonProcess& d) {
    d.process().signal(SIGTERM);
    const int st = d.process().wait(30s);
    if (st != 0) throw std::runtime_error("tickcastd gateway exited with " + std::to_string(st) + ": " + d.process().err());
}

Run run_tickcast(const Server& srv, const Config& cfg, const TcSpec& s, std::uint64_t skip_seq) {
    TempDir dir;
    const std::string key = "tc:" + s.channel;
    const CaptureFile capture1(dir.path(), "capture1.stamps"), capture2(dir.path(), "capture2.stamps");
    const std::string cap1 = capture1.path(), cap2 = capture2.path();
    const std::string gw = dir.write("gateway.yaml", gateway_yaml(srv, s, cap1, std::nullopt));
    const std::string fo = dir.write("fanout.yaml", fanout_yaml(srv, cfg, s));
    const double cpu0 = cpu_seconds(RUSAGE_CHILDREN);
    double startup_cpu = 0, srv0 = 0;
    std::vector<RawRx> rx;
    Run run;
    {
        auto gateway = std::make_unique<DaemonProcess>(gw);
        wait_listening(srv, s.mode, key, *gateway);
        DaemonProcess fanout(fo);
        // CPU is counted from the first event captured: start-up (loading
        // plugins, connecting) is left out.
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        for (struct stat st{}; ::stat(cap1.c_str(), &st) != 0 || st.st_size == 0;) {
            check_interrupted();
            if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no event reached the gateway: " + gateway->process().err());
            std::this_thread::sleep_for(1ms);
        }
        startup_cpu = children_cpu();
        srv0 = srv.cpu();
        std::string current = cap1;
        if (s.restart) {
            std::this_thread::sleep_for(s.restart_after);
            stop_daemon(*gateway);
            gateway.reset();
            const auto stopped = std::chrono::steady_clock::now();
            std::vector<RawRx> first;
            read_capture(cap1, first);
            std::uint64_t last = 0;
            for (const RawRx& r : first) last = std::max(last, r.seq);
            std::this_thread::sleep_until(stopped + s.restart_gap);
            // Streams resume after the last seq handled; Pub/Sub just subscribes again.
            const std::string gw2 = dir.write("gateway2.yaml", gateway_yaml(srv, s, cap2, s.mode == Mode::stream ? std::optional(last) : std::nullopt));
            gateway = std::make_unique<DaemonProcess>(gw2);
            current = cap2;
        }
        const int st = fanout.process().wait(120s);
        if (st != 0) throw std::runtime_error("tickcastd fanout exited with " + std::to_string(st) + ": " + fanout.process().err());
        check_interrupted();
        wait_quiet(current, 500ms);
        run.source_missed_metric = std::uint64_t(metric_sum(*gateway, "tickcast_redis_source_missed_events_total"));
        run.reconnects = std::uint64_t(metric_sum(*gateway, "tickcast_redis_reconnects_total"));
        stop_daemon(*gateway);
    }
    read_capture(cap1, rx);
    if (s.restart) read_capture(cap2, rx);
    const Run metrics = run;
    run = summarize(rx, s.total, skip_seq);
    run.source_missed_metric = metrics.source_missed_metric;
    run.reconnects = metrics.reconnects;
    run.client_cpu = cpu_seconds(RUSAGE_CHILDREN) - cpu0 - startup_cpu;
    run.server_cpu = srv.cpu() - srv0;
    if (s.mode == Mode::stream) srv.del(key);
    return run;
}


// Diagnostics (--cross): one side tickcast, the other raw, to tell which side
// of the hop adds the time. The raw side speaks tickcast's wire format.
Run run_cross(const Server& srv, const Config& cfg, const TcSpec& s, bool tickcast_publishes, std::uint64_t skip_seq) {
    TempDir dir;
    const std::string key = "tc:" + s.channel;
    const CaptureFile capture(dir.path(), "capture.stamps");
    const std::string& cap = capture.path();
    std::vector<RawRx> rx;
    std::vector<std::uint64_t> wakes;  // the raw publisher's
    RawSpec rs{s.mode, key, s.rate, s.total};
    if (tickcast_publishes) {
        std::atomic<bool> ready{false};
        double sub_cpu = 0;
        std::thread sub([&] { raw_subscriber(srv, rs, rx, ready, sub_cpu); });
        while (!ready) std::this_thread::sleep_for(1ms);
        {
            DaemonProcess fanout(dir.write("fanout.yaml", fanout_yaml(srv, cfg, s)));
            const int st = fanout.process().wait(120s);
            if (st != 0) throw std::runtime_error("tickcastd fanout exited with " + std::to_string(st) + ": " + fanout.process().err());
        }
        sub.join();
    } else {
        DaemonProcess gateway(dir.write("gateway.yaml", gateway_yaml(srv, s, cap, std::nullopt)));
        wait_listening(srv, s.mode, key, gateway);
        std::atomic<bool> failed{false};
        double pub_cpu = 0;
        const std::string payload = make_payload(cfg.payload_bytes);
        std::thread pub([&] { raw_publisher(srv, rs, payload, cfg.maxlen, failed, pub_cpu, wakes); });
        pub.join();
        wait_quiet(cap, 500ms);
        stop_daemon(gateway);
        read_capture(cap, rx);
    }
    check_interrupted();
    if (s.mode == Mode::stream) srv.del(key);
    return summarize(rx, s.total, skip_seq, wakes);
}

// ---- reporting -------------------------------------------------------------------------

// ---- how a stream sink's batch is written (--write-forms) --------------------
// One batch of `size` entries for one stream, three ways: separate XADDs
// (pipelined), one MULTI ... EXEC (what redis_stream does), one Lua script
// calling XADD per entry (what it did before). Each batch is written and its
// replies read before the next, as a sink does. Figures: redis-server's CPU
// per entry, and the batch's round trip (write to last reply).

enum class WriteForm { separate, transaction, script };
const char* name(WriteForm f) {
    return f == WriteForm::separate ? "separate XADDs" : f == WriteForm::transaction ? "MULTI/EXEC" : "Lua script";
}

constexpr const char* xadd_lua =
    "for b = 3, #ARGV, 6 do redis.pcall('XADD', KEYS[1], 'MAXLEN', ARGV[1], ARGV[2], ARGV[b], 'seq', ARGV[b + 1], 'ts', ARGV[b + 2], "
    "'key', ARGV[b + 3], 'hops', ARGV[b + 4], 'payload', ARGV[b + 5]) end return 1";

struct FormRun {
    double redis_us_per_entry = 0, batch_rtt_p50_us = 0;
};

FormRun run_write_form(const Server& srv, const Config& cfg, WriteForm form, std::size_t size, std::size_t batches, const std::string& key) {
    const std::string payload = make_payload(cfg.payload_bytes), maxlen = std::to_string(cfg.maxlen);
    redisContext* c = srv.connect();
    std::string sha;
    if (form == WriteForm::script) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "SCRIPT LOAD %s", xadd_lua));
        sha.assign(r->str, r->len);
        freeReplyObject(r);
    }
    std::vector<std::string> texts(size * 3);  // per entry: ID, seq, ts
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    auto arg = [&](std::string_view a) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    };
    auto append = [&] {
        redisAppendCommandArgv(c, int(argv.size()), argv.data(), lens.data());
        argv.clear();
        lens.clear();
    };
    std::vector<double> rtt;
    std::uint64_t seq = 0;
    const double cpu0 = srv.cpu();
    for (std::size_t b = 0; b < batches && !g_interrupted; ++b) {
        for (std::size_t k = 0; k < size; ++k) {
            ++seq;
            texts[3 * k] = std::to_string(seq) + "-0";
            texts[3 * k + 1] = std::to_string(seq);
            texts[3 * k + 2] = std::to_string(realtime_ns());
        }
        std::size_t replies = size;
        if (form == WriteForm::script) {
            for (std::string_view a : {std::string_view("EVALSHA"), std::string_view(sha), std::string_view("1"), std::string_view(key),
                                       std::string_view("~"), std::string_view(maxlen)})
                arg(a);
            for (std::size_t k = 0; k < size; ++k)
                for (std::string_view a : {std::string_view(texts[3 * k]), std::string_view(texts[3 * k + 1]), std::string_view(texts[3 * k + 2]),
                                           std::string_view("-"), std::string_view("-"), std::string_view(payload)})
                    arg(a);
            append();
            replies = 1;
        } else {
            if (form == WriteForm::transaction) {
                arg("MULTI");
                append();
                replies = size + 2;
            }
            for (std::size_t k = 0; k < size; ++k) {
                for (std::string_view a : {std::string_view("XADD"), std::string_view(key), std::string_view("MAXLEN"), std::string_view("~"),
                                           std::string_view(maxlen), std::string_view(texts[3 * k]), std::string_view("seq"),
                                           std::string_view(texts[3 * k + 1]), std::string_view("ts"), std::string_view(texts[3 * k + 2]),
                                           std::string_view("key"), std::string_view("-"), std::string_view("hops"), std::string_view("-"),
                                           std::string_view("payload"), std::string_view(payload)})
                    arg(a);
                append();
            }
            if (form == WriteForm::transaction) {
                arg("EXEC");
                append();
            }
        }
        const std::int64_t t0 = realtime_ns();
        for (int written = 0; !written;)
            if (redisBufferWrite(c, &written) != REDIS_OK) throw std::runtime_error("write-forms: write failed");
        for (std::size_t i = 0; i < replies; ++i) {
            void* r = nullptr;
            if (redisGetReply(c, &r) != REDIS_OK) throw std::runtime_error("write-forms: no reply");
            const bool error = static_cast<redisReply*>(r)->type == REDIS_REPLY_ERROR;
            freeReplyObject(r);
            if (error) throw std::runtime_error(std::string("write-forms: Redis refused a batch written as ") + name(form));
        }
        rtt.push_back(double(realtime_ns() - t0) / 1000.0);
    }
    FormRun out;
    out.redis_us_per_entry = (srv.cpu() - cpu0) * 1e6 / double(seq);
    out.batch_rtt_p50_us = median(rtt);
    redisFree(c);
    srv.del(key);
    return out;
}

void write_forms(const Server& srv, const Config& cfg) {
    constexpr std::size_t entries = 100'000;
    const WriteForm forms[] = {WriteForm::separate, WriteForm::transaction, WriteForm::script};
    std::map<std::pair<std::size_t, int>, std::vector<FormRun>> runs;
    std::printf("\nwrite forms: one stream batch's XADDs, %zu entries per run, each batch written and answered before the next\n", entries);
    for (int rep = 0; rep < cfg.repeat; ++rep)
        for (std::size_t size : {10, 50})
            for (WriteForm f : forms) {
                FormRun r = run_write_form(srv, cfg, f, size, entries / size, "tc:bench.forms." + std::to_string(getpid()));
                std::printf("  forms    batch %2zu  %-15s redis %.2f us/entry  batch round trip p50 %.1f us\n", size, name(f),
                            r.redis_us_per_entry, r.batch_rtt_p50_us);
                std::fflush(stdout);
                runs[{size, int(f)}].push_back(r);
            }
    std::printf("\n| batch | form | redis us/entry | ratio to separate | batch round trip p50 us | ratio to separate |\n|---|---|---|---|---|---|\n");
    auto med = [&](std::size_t size, WriteForm f, double FormRun::*field) {
        std::vector<double> v;
        for (const FormRun& r : runs[{size, int(f)}]) v.push_back(r.*field);
        return median(v);
    };
    for (std::size_t size : {10, 50})
        for (WriteForm f : forms) {
            const double cpu = med(size, f, &FormRun::redis_us_per_entry), rtt = med(size, f, &FormRun::batch_rtt_p50_us);
            std::printf("| %zu | %s | %.2f | %.2f | %.1f | %.2f |\n", size, name(f), cpu, cpu / med(size, WriteForm::separate, &FormRun::redis_us_per_entry),
                        rtt, rtt / med(size, WriteForm::separate, &FormRun::batch_rtt_p50_us));
        }
}

struct Point {
    std::vector<Run> runs;
    double med(double (*f)(const Run&)) const {
        std::vector<double> v;
        for (const Run& r : runs) v.push_back(f(r));
        return median(v);
    }
    Run pooled() const { return pooled_latencies(runs); }
};

std::string fmt_us(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

double f_p50(const Run& r) { return r.pct(0.50); }
double f_p99(const Run& r) { return r.pct(0.99); }
double f_p999(const Run& r) { return r.pct(0.999); }
double f_tput(const Run& r) { return r.throughput(); }
double f_lost(const Run& r) { return double(r.sent - r.unique); }
double f_recv(const Run& r) { return double(r.received); }
double f_cpu(const Run& r) { return r.received ? r.client_cpu * 1e6 / double(r.received) : 0; }
double f_srv(const Run& r) { return r.received ? r.server_cpu * 1e6 / double(r.received) : 0; }
double f_missed_metric(const Run& r) { return double(r.source_missed_metric); }
double f_outage(const Run& r) { return r.outage_ms; }

std::string fmt_ratio(double r) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2fx", r);
    return b;
}

std::string impl_name(int threads) {
    if (threads >= 2000) return "raw pub -> tickcast sub t=" + std::to_string(threads - 2000);
    if (threads >= 1000) return "tickcast pub -> raw sub t=" + std::to_string(threads - 1000);
    return threads == 0 ? "raw hiredis" : "tickcast t=" + std::to_string(threads);
}

void print_run(const char* what, Mode m, const std::string& impl, std::uint64_t rate, const Run& r) {
    std::printf("  %-8s %-6s %-16s rate %6" PRIu64 "/s  recv %7" PRIu64 "/%-7" PRIu64 " p50 %7.1f  p99 %8.1f  p999 %8.1f us  %9.0f ev/s"
                "  cpu %5.2f us/ev (redis %4.2f)  load %s\n",
                what, name(m), impl.c_str(), rate, r.received, r.sent, r.pct(0.5), r.pct(0.99), r.pct(0.999), r.throughput(), f_cpu(r),
                f_srv(r), loadavg().c_str());
    if (rate && r.bursts.count)
        std::printf("           %zu bursts of %.0f events (medians, us): made %.1f, to sink %.1f, sink batches %.1f, to first received %.1f,"
                    " receiving %.1f\n",
                    r.bursts.count, r.bursts.events, r.bursts.made, r.bursts.to_encoded, r.bursts.encoding, r.bursts.to_rx, r.bursts.receiving);
    if (r.reconnects || r.source_missed_metric)
        std::printf("           gateway: %" PRIu64 " reconnects, %" PRIu64 " missed events flagged by the source\n", r.reconnects, r.source_missed_metric);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    std::string rates = "10000,50000", threads = "2", modes_opt = "pubsub,stream";
    bool no_latency = false, no_throughput = false, no_restart = false, cross = false, forms = false;
    CLI::App app{"bench_redis: one Redis hop through tickcast next to raw hiredis (Pub/Sub and Streams)"};
    app.add_option("--rates", rates, "paced rates in events/s, comma-separated")->capture_default_str();
    app.add_option("--seconds", cfg.seconds, "seconds per paced run")->capture_default_str();
    app.add_option("--max-events", cfg.max_events, "events per unpaced (max throughput) run")->capture_default_str();
    app.add_option("--repeat", cfg.repeat, "runs per point (the median is reported)")->capture_default_str();
    app.add_option("--threads", threads, "tickcastd daemon.threads values to run, comma-separated")->capture_default_str();
    app.add_option("--modes", modes_opt, "pubsub, stream or both, comma-separated")->capture_default_str();
    app.add_option("--payload", cfg.payload_bytes, "payload bytes")->capture_default_str();
    app.add_option("--restart-gap", cfg.restart_gap, "seconds the subscriber stays away in the restart runs")->capture_default_str();
    app.add_flag("--no-latency", no_latency, "skip the paced latency runs");
    app.add_flag("--no-throughput", no_throughput, "skip the unpaced runs");
    app.add_flag("--no-restart", no_restart, "skip the subscriber-restart runs");
    app.add_flag("--cross", cross, "diagnostics: also run tickcast publisher -> raw subscriber and raw publisher -> tickcast subscriber");
    app.add_flag("--write-forms", forms, "also compare how a stream batch is written: separate XADDs, MULTI/EXEC, a Lua script");
    CLI11_PARSE(app, argc, argv);
    cfg.rates = parse_list<std::uint64_t>(rates);
    cfg.threads = parse_list<int>(threads);
    cfg.latency = !no_latency;
    cfg.throughput = !no_throughput;
    cfg.restart = !no_restart;

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    try {
        const auto t0 = std::chrono::steady_clock::now();
        Server srv;
        utsname u{};
        uname(&u);
        std::string cpu_model;
        {
            std::ifstream in("/proc/cpuinfo");
            for (std::string line; std::getline(in, line);)
                if (line.rfind("model name", 0) == 0) {
                    cpu_model = line.substr(line.find(':') + 2);
                    break;
                }
        }
        std::string redis_version;
        {
            redisContext* c = srv.connect();
            redisReply* r = static_cast<redisReply*>(redisCommand(c, "INFO server"));
            const std::string info(r->str, r->len);
            const auto at = info.find("redis_version:");
            redis_version = info.substr(at + 14, info.find('\r', at) - at - 14);
            freeReplyObject(r);
            redisFree(c);
        }
        const std::time_t now = std::time(nullptr);
        char when[64];
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
        std::printf("bench_redis: one Redis hop (publish -> receive), tickcast vs raw hiredis, same run\n");
        std::printf("conditions:\n");
        std::printf("  when %s; host %s, %s, %ld online CPUs (shared by publisher, subscriber and redis-server)\n", when, u.release,
                    cpu_model.c_str(), sysconf(_SC_NPROCESSORS_ONLN));
        std::printf("  load average at start: %s\n", loadavg().c_str());
        std::printf("  redis-server %s on 127.0.0.1:%d (scripts/redis.sh, no persistence), hiredis %d.%d.%d\n", redis_version.c_str(), srv.port,
                    HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
        std::printf("  payload %zu bytes (JSON string); latency = receive - send stamp, CLOCK_REALTIME, same host\n", cfg.payload_bytes);
        std::printf("  publishers wake at most once per ms and pipeline what is due in one write, each message stamped as it is made\n");
        std::printf("    (raw: redisAppendCommandArgv + redisGetReply; tickcast: mock_source rate R -> redis_pubsub/redis_stream sink)\n");
        std::printf("  raw: this process, 2 threads, 2 sync hiredis connections; tickcast: 2 daemons (fanout: mock_source -> sink;\n");
        std::printf("    gateway: redis_pubsub / redis_stream source (start: all) -> capture_sink), gateway started first; threads %s\n",
                    threads.c_str());
        std::printf("  paced runs %.1f s each, first %.2f s of events left out; unpaced runs %" PRIu64 " events (mock batch 256, raw batch 256);\n",
                    cfg.seconds, cfg.warmup, cfg.max_events);
        std::printf("  streams: XADD MAXLEN ~ %" PRIu64 ", ID <seq>-0, XREAD COUNT 512; %d runs per point, medians reported\n", cfg.maxlen,
                    cfg.repeat);
        std::printf("  cpu us/ev = CPU of publisher+subscriber per event received (raw: its 2 threads; tickcast: both daemons from the first\n");
        std::printf("    event on, start-up left out; the gateway's capture_sink writes a line of stamps per event to /dev/shm when there is one; raw keeps them in memory); redis = redis-server's\n");
        std::printf("  a paced run's p99.9 is its %.0fth slowest event (at %" PRIu64 "/s): a single stall of the machine (another thread\n"
                    "    taking the core for a few ms) decides it; the pooled table weighs stalls by the events they held\n",
                    (cfg.seconds - cfg.warmup) * double(cfg.rates.empty() ? 0 : cfg.rates.front()) / 1000.0,
                    cfg.rates.empty() ? std::uint64_t(0) : cfg.rates.front());
        std::printf("\nruns:\n");
        std::fflush(stdout);

        int serial = 0;
        auto next_channel = [&](Mode m) { return std::string("bench.") + name(m) + "." + std::to_string(getpid()) + "." + std::to_string(serial++); };
        // key: (mode, rate, impl threads; 0 = raw)
        std::map<std::tuple<int, std::uint64_t, int>, Point> lat, tput, rst;
        std::vector<Mode> modes;
        if (modes_opt.find("pubsub") != std::string::npos) modes.push_back(Mode::pubsub);
        if (modes_opt.find("stream") != std::string::npos) modes.push_back(Mode::stream);

        // Raw (0) and each tickcast thread count, in an order that rotates
        // with the repeat: none runs always first, or always right after
        // another.
        auto run_order = [&](int rep) {
            std::vector<int> impls{0};
            impls.insert(impls.end(), cfg.threads.begin(), cfg.threads.end());
            std::rotate(impls.begin(), impls.begin() + rep % impls.size(), impls.end());
            return impls;
        };
        for (int rep = 0; rep < cfg.repeat; ++rep) {
            if (cfg.latency)
                for (Mode m : modes)
                    for (std::uint64_t rate : cfg.rates) {
                        const std::uint64_t total = std::uint64_t(double(rate) * cfg.seconds);
                        const std::uint64_t skip = std::uint64_t(double(rate) * cfg.warmup);
                        for (int t : run_order(rep)) {
                            if (t == 0) {
                                Run r = run_raw(srv, cfg, {m, "tc:" + next_channel(m), rate, total}, skip);
                                print_run("latency", m, impl_name(0), rate, r);
                                lat[{int(m), rate, 0}].runs.push_back(std::move(r));
                                continue;
                            }
                            Run tr = run_tickcast(srv, cfg, {m, next_channel(m), rate, total, t}, skip);
                            print_run("latency", m, impl_name(t), rate, tr);
                            lat[{int(m), rate, t}].runs.push_back(std::move(tr));
                            if (!cross) continue;
                            Run a = run_cross(srv, cfg, {m, next_channel(m), rate, total, t}, true, skip);
                            print_run("cross", m, "tc pub->raw t=" + std::to_string(t), rate, a);
                            lat[{int(m), rate, 1000 + t}].runs.push_back(std::move(a));
                            Run b = run_cross(srv, cfg, {m, next_channel(m), rate, total, t}, false, skip);
                            print_run("cross", m, "raw->tc sub t=" + std::to_string(t), rate, b);
                            lat[{int(m), rate, 2000 + t}].runs.push_back(std::move(b));
                        }
                    }
            if (cfg.throughput)
                for (Mode m : modes)
                    for (int t : run_order(rep)) {
                        Run r = t == 0 ? run_raw(srv, cfg, {m, "tc:" + next_channel(m), 0, cfg.max_events}, 0)
                                       : run_tickcast(srv, cfg, {m, next_channel(m), 0, cfg.max_events, t}, 0);
                        print_run("max", m, impl_name(t), 0, r);
                        tput[{int(m), 0, t}].runs.push_back(std::move(r));
                    }
            if (cfg.restart)
                for (Mode m : modes) {
                    const std::uint64_t total = std::uint64_t(double(cfg.restart_rate) * cfg.restart_total);
                    const auto gap = std::chrono::milliseconds(std::int64_t(cfg.restart_gap * 1000));
                    RawSpec rs{m, "tc:" + next_channel(m), cfg.restart_rate, total, std::uint64_t(double(cfg.restart_rate) * cfg.restart_after), gap};
                    Run r = run_raw(srv, cfg, rs, 0);
                    std::printf("  restart  %-6s %-13s sent %" PRIu64 " received %" PRIu64 " distinct %" PRIu64 " missed %" PRIu64
                                "  longest silence %.0f ms\n",
                                name(m), impl_name(0).c_str(), r.sent, r.received, r.unique, r.sent - r.unique, r.outage_ms);
                    rst[{int(m), 0, 0}].runs.push_back(std::move(r));
                    const int t = cfg.threads.front();
                    TcSpec ts{m, next_channel(m), cfg.restart_rate, total, t, true,
                              std::chrono::milliseconds(std::int64_t(cfg.restart_after * 1000)), gap};
                    Run tr = run_tickcast(srv, cfg, ts, 0);
                    std::printf("  restart  %-6s %-13s sent %" PRIu64 " received %" PRIu64 " distinct %" PRIu64 " missed %" PRIu64
                                "  longest silence %.0f ms  (new gateway's missed_events metric: %" PRIu64 ")\n",
                                name(m), impl_name(t).c_str(), tr.sent, tr.received, tr.unique, tr.sent - tr.unique, tr.outage_ms,
                                tr.source_missed_metric);
                    std::fflush(stdout);
                    rst[{int(m), 0, t}].runs.push_back(std::move(tr));
                }
        }

        std::printf("\nmedians of %d runs (latencies in microseconds):\n", cfg.repeat);
        if (cfg.latency) {
            std::printf("\n| mode | rate/s | impl | p50 | p99 | p99.9 | received | cpu us/ev | redis us/ev | p50 ratio | p99 ratio | p99.9 ratio | "
                        "p50, p99 within 1.3x |\n");
            std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Mode m : modes)
                for (std::uint64_t rate : cfg.rates) {
                    const Point& raw = lat[{int(m), rate, 0}];
                    std::vector<int> impls{0};
                    impls.insert(impls.end(), cfg.threads.begin(), cfg.threads.end());
                    if (cross)
                        for (int t : cfg.threads) impls.insert(impls.end(), {1000 + t, 2000 + t});
                    for (int t : impls) {
                        const Point& p = lat[{int(m), rate, t}];
                        const double r50 = p.med(f_p50) / raw.med(f_p50), r99 = p.med(f_p99) / raw.med(f_p99),
                                     r999 = p.med(f_p999) / raw.med(f_p999);
                        std::printf("| %s | %" PRIu64 " | %s | %.1f | %.1f | %.1f | %.0f | %.2f | %.2f | %s | %s | %s | %s |\n", name(m), rate,
                                    impl_name(t).c_str(), p.med(f_p50), p.med(f_p99), p.med(f_p999), p.med(f_recv), p.med(f_cpu), p.med(f_srv),
                                    t ? fmt_ratio(r50).c_str() : "-", t ? fmt_ratio(r99).c_str() : "-", t ? fmt_ratio(r999).c_str() : "-",
                                    t ? (r50 <= 1.3 && r99 <= 1.3 ? "yes" : "no") : "-");
                    }
                }
            std::printf("\nall runs' events pooled (latencies in microseconds; the same runs as above):\n");
            std::printf("\n| mode | rate/s | impl | events | p50 | p99 | p99.9 | p50 ratio | p99 ratio | p99.9 ratio | p50, p99 within 1.3x |\n");
            std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Mode m : modes)
                for (std::uint64_t rate : cfg.rates) {
                    const Run raw = lat[{int(m), rate, 0}].pooled();
                    std::vector<int> impls{0};
                    impls.insert(impls.end(), cfg.threads.begin(), cfg.threads.end());
                    for (int t : impls) {
                        const Run p = t ? lat[{int(m), rate, t}].pooled() : raw;
                        const double r50 = p.pct(0.50) / raw.pct(0.50), r99 = p.pct(0.99) / raw.pct(0.99), r999 = p.pct(0.999) / raw.pct(0.999);
                        std::printf("| %s | %" PRIu64 " | %s | %zu | %.1f | %.1f | %.1f | %s | %s | %s | %s |\n", name(m), rate, impl_name(t).c_str(),
                                    p.lat.size(), p.pct(0.50), p.pct(0.99), p.pct(0.999), t ? fmt_ratio(r50).c_str() : "-",
                                    t ? fmt_ratio(r99).c_str() : "-", t ? fmt_ratio(r999).c_str() : "-",
                                    t ? (r50 <= 1.3 && r99 <= 1.3 ? "yes" : "no") : "-");
                    }
                }
            std::printf("\nwhere a burst's time goes (medians per burst, then of the runs; us). A burst: events made in one publisher\n"
                        "wake-up (as the raw publisher records them; tickcast: made < 30 us apart). 'to first received' runs from the last event made (raw) or from\n"
                        "tickcast's last redis_out stamp (its sink began the batch) to the first received: (the encoding,) the write, Redis,\n"
                        "the subscriber's wake-up. 'sink batches': first to last redis_out stamp of the burst.\n");
            std::printf("\n| mode | rate/s | impl | events | made | made -> sink | sink batches | to first received | receiving |\n");
            std::printf("|---|---|---|---|---|---|---|---|---|\n");
            for (Mode m : modes)
                for (std::uint64_t rate : cfg.rates) {
                    std::vector<int> impls{0};
                    impls.insert(impls.end(), cfg.threads.begin(), cfg.threads.end());
                    for (int t : impls) {
                        const Point& p = lat[{int(m), rate, t}];
                        auto b = [&](double Run::Bursts::*field) {
                            std::vector<double> v;
                            for (const Run& r : p.runs) v.push_back(r.bursts.*field);
                            return median(v);
                        };
                        std::printf("| %s | %" PRIu64 " | %s | %.0f | %.1f | %s | %s | %.1f | %.1f |\n", name(m), rate, impl_name(t).c_str(),
                                    b(&Run::Bursts::events), b(&Run::Bursts::made), t ? fmt_us(b(&Run::Bursts::to_encoded)).c_str() : "-",
                                    t ? fmt_us(b(&Run::Bursts::encoding)).c_str() : "-", b(&Run::Bursts::to_rx), b(&Run::Bursts::receiving));
                    }
                }
        }
        if (cfg.throughput) {
            std::printf("\n| mode | impl | max throughput ev/s (at subscriber) | received/sent | ratio to raw | cpu us/ev | redis us/ev |\n");
            std::printf("|---|---|---|---|---|---|---|\n");
            for (Mode m : modes) {
                const Point& raw = tput[{int(m), 0, 0}];
                std::vector<int> impls{0};
                impls.insert(impls.end(), cfg.threads.begin(), cfg.threads.end());
                for (int t : impls) {
                    const Point& p = tput[{int(m), 0, t}];
                    std::printf("| %s | %s | %.0f | %.0f/%" PRIu64 " | %.2f | %.2f | %.2f |\n", name(m), impl_name(t).c_str(), p.med(f_tput),
                                p.med(f_recv), cfg.max_events, p.med(f_tput) / raw.med(f_tput), p.med(f_cpu), p.med(f_srv));
                }
            }
            std::printf("\nunpaced runs: the publisher outruns the subscriber; a stream reader more than maxlen (%" PRIu64 ") entries behind\n"
                        "loses what XADD trimmed (the source flags the gap), a Pub/Sub subscriber is cut off past Redis's\n"
                        "client-output-buffer-limit. Latency figures of unpaced runs are queueing, not the hop.\n",
                        cfg.maxlen);
        }
        if (cfg.restart) {
            std::printf("\nsubscriber restart at %" PRIu64 "/s: stopped %.1f s after the start for %.1f s (raw: close + reconnect; tickcast: SIGTERM the\n"
                        "gateway daemon, start a new one; stream gateway resumes with since: {channel: last seq captured})\n",
                        cfg.restart_rate, cfg.restart_after, cfg.restart_gap);
            std::printf("missed = sent - distinct seqs received (both captures). A restarted tickcast gateway starts with no last seq,\n"
                        "so its tickcast_redis_source_missed_events_total cannot see this loss (last column); it counts gaps\n"
                        "within one run of the daemon (reconnects).\n");
            std::printf("\n| mode | impl | missed events | longest silence ms | gap the new gateway reports |\n|---|---|---|---|---|\n");
            for (Mode m : modes)
                for (int t : {0, cfg.threads.front()}) {
                    const Point& p = rst[{int(m), 0, t}];
                    std::printf("| %s | %s | %.0f | %.0f | %s |\n", name(m), impl_name(t).c_str(), p.med(f_lost), p.med(f_outage),
                                t ? std::to_string(std::uint64_t(p.med(f_missed_metric))).c_str() : "-");
                }
        }
        if (forms) write_forms(srv, cfg);
        std::printf("\nload average at end: %s; total %.0f s\n", loadavg().c_str(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_redis: %s\n", e.what());
        return 1;
    }
    return 0;
}
