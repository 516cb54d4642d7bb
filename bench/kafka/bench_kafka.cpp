// bench_kafka: produce -> consume through the Kafka plugins next to raw
// librdkafka doing the same in the same run, against librdkafka's embedded
// test broker and against a real Apache Kafka broker. Prints its figures
// and conditions (docs/benchmarks.md).
//
// Setup (all on this machine, sharing its cores):
//   - brokers: "embedded" = librdkafka's test broker (rdkafka_mock), hosted
//     by a tickcastd with `brokers: embedded` (its logged bootstrap address
//     is what every client connects to), a fresh one per run;
//     "kafka" = Apache Kafka 4.x, one KRaft node started once through
//     scripts/kafka.sh start --dir <tmp> and stopped at the end (also on
//     error or Ctrl-C). Every run uses a fresh topic (P partitions) and a
//     fresh consumer group.
//   - raw: this process, two threads. The producer (enable.idempotence,
//     acks=all, linger.ms=1, max.in.flight.requests.per.connection=1: the
//     plugin's defaults) paces like mock_source
//     (wakes at most once per ms, sends what is due, stamped when the batch
//     is built, CLOCK_REALTIME) and sends the same message the plugin sends:
//     the same payload bytes, the same key, the tc.channel, tc.seq,
//     tc.origin_ns and tc.hop.kafka_out headers. The consumer (own group,
//     auto.offset.reset=earliest, fetch.wait.max.ms=5, queued.min.messages=1000000
//     (kafka_source's defaults), auto-commit every
//     200 ms) blocks in rd_kafka_consumer_poll and stamps each message on
//     return. Production starts once the consumer has its partitions.
//   - tickcast: two daemons (`tickcastd run`): gateway = kafka_source ->
//     capture_sink (on the embedded broker this daemon also hosts the broker,
//     `brokers: embedded`), started first, and feed = mock_source (repeat,
//     rate R) -> kafka_sink, started once the gateway logged its assignment.
//     Latency per event = hops.kafka_in - origin_ns from the capture file.
// The first --warmup seconds of events (by send stamp) of every run are left
// out of the latencies on both sides. Throughput = events received / (last
// receive - first send). Every point is repeated (--repeat) and the median
// reported; raw and tickcast alternate which goes first.
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
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "common/bench_support.hpp"
#include "common/services.hpp"
#include "support/daemon_process.hpp"

namespace {

using namespace std::chrono_literals;
using tickcast::test::DaemonProcess;
using tickcast::test::Process;
using namespace tickcast::bench;
using tickcast::test::TempDir;

double cpu_seconds() {  // this process and its waited-for children
    double s = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage ru{};
        getrusage(who, &ru);
        s += double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    }
    return s;
}

// A process's peak resident set (VmHWM) in MB, 0 if unknown.
double peak_rss_mb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024;
    return 0;
}

enum class Broker { embedded, kafka };
const char* name(Broker b) { return b == Broker::embedded ? "embedded" : "kafka"; }
const char* long_name(Broker b) {
    return b == Broker::embedded ? "librdkafka's embedded test broker (rdkafka_mock)" : "Apache Kafka (real broker, scripts/kafka.sh)";
}

struct Config {
    std::vector<std::uint64_t> kafka_rates{10'000, 50'000};
    std::vector<std::uint64_t> embedded_rates{10'000, 50'000};
    double seconds = 5;
    // 1,000,000 on Apache Kafka: at ~500,000 events/s a 200,000-event run
    // lasted 0.4 s, start-up (group join, first fetches) included, and its
    // ratio moved with it. 20,000 on the embedded broker: its consumer side
    // stalls after about 30,000 events of one burst (every 50,000-event run,
    // raw and tickcast, stopped at 28,000-33,000), and an incomplete run
    // cannot be judged; 20,000 completed in 24 runs of 24.
    std::uint64_t max_events = 1'000'000, embedded_max_events = 20'000;
    int repeat = 2;
    int partitions = 4;
    int keys = 4;
    int threads = 2;
    std::uint64_t feed_max_in_flight = 0;  // 0: the daemon's default
    std::size_t payload_bytes = 200;
    double warmup = 0.25;
    double drain_timeout = 10;  // seconds to wait for the last events after the producer is done
    bool max = true;
    bool consume_only = false;  // max runs read a topic filled beforehand (the consumer side alone)
    // librdkafka consumer properties for both sides (the raw consumer and kafka_source's `librdkafka:`)
    Properties consumer_properties;
    // and producer properties for both sides (the raw producer and kafka_sink's `librdkafka:`)
    Properties producer_properties;
    std::vector<Broker> brokers{Broker::embedded, Broker::kafka};
};

// ---- results ----------------------------------------------------------------

struct Rx {
    std::int64_t sent, received;
};

struct Run {
    std::vector<std::int64_t> lat;  // ns, warm-up excluded
    std::uint64_t sent = 0, received = 0;
    std::int64_t first_send = 0, first_rx = 0, last_rx = 0;
    bool prefilled = false;  // the topic was full before the consumer started: throughput counts from the first receive
    std::int64_t produced = 0;  // when the producer was done (every delivery reported)
    double cpu = 0, broker_cpu = 0;  // seconds
    double consumer_rss_mb = 0;       // the gateway daemon's peak RSS (tickcast runs)
    std::string note;

    double pct(double p) const {
        if (lat.empty()) return 0;
        std::size_t i = std::size_t(std::ceil(p * double(lat.size())));
        return double(lat[std::min(lat.size() - 1, i == 0 ? 0 : i - 1)]) / 1e6;  // ms
    }
    double throughput() const {
        const std::int64_t from = prefilled ? first_rx : first_send;
        return received > 0 && last_rx > from ? double(received) * 1e9 / double(last_rx - from) : 0;
    }
    double produce_rate() const { return produced > first_send ? double(sent) * 1e9 / double(produced - first_send) : 0; }
};

Run summarize(const std::vector<Rx>& rx, std::uint64_t sent, double warmup) {
    Run run;
    run.sent = sent;
    run.received = rx.size();
    if (rx.empty()) return run;
    run.first_send = rx.front().sent;
    run.first_rx = run.last_rx = rx.front().received;
    for (const Rx& r : rx) {
        run.first_send = std::min(run.first_send, r.sent);
        run.first_rx = std::min(run.first_rx, r.received);
        run.last_rx = std::max(run.last_rx, r.received);
    }
    const std::int64_t skip_before = run.first_send + std::int64_t(warmup * 1e9);
    for (const Rx& r : rx)
        if (r.sent >= skip_before) run.lat.push_back(r.received - r.sent);
    std::sort(run.lat.begin(), run.lat.end());
    if (run.received < sent) run.note = "INCOMPLETE " + std::to_string(run.received) + "/" + std::to_string(sent);
    return run;
}

// ---- the message -----------------------------------------------------------

std::string make_payload(std::size_t bytes) {
    std::string p = R"({"type":"trade","symbol":"BTC-USDT","price":"64210.50","qty":"0.0150","ts":1795683897300264606,"pad":")";
    const std::string tail = "\"}";
    while (p.size() + tail.size() < bytes) p += 'x';
    return p + tail;
}
std::string key_name(int k) { return "K" + std::to_string(k); }
std::string channel_name(int k) { return "bench.K" + std::to_string(k); }

// ---- librdkafka helpers -------------------------------------------------------

rd_kafka_conf_t* base_conf(const std::string& bootstrap) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    return conf;
}

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
    char error[512];
    if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
        throw std::runtime_error(std::string("librdkafka property ") + name + ": " + error);
}

rd_kafka_t* new_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
    if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + error);
    return rk;
}

// Creates a topic and returns its partition count as the broker's metadata
// reports it. Apache Kafka: the admin API. The embedded broker (2.0.2) has
// no CreateTopics: a producer's metadata request auto-creates the topic with
// the test cluster's default partition count (4).
int create_topic(const std::string& bootstrap, const std::string& topic, int partitions, bool admin) {
    rd_kafka_conf_t* conf = base_conf(bootstrap);
    set(conf, "allow.auto.create.topics", "true");
    rd_kafka_t* rk = new_client(RD_KAFKA_PRODUCER, conf);
    char error[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof error);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    if (admin) rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = admin ? rd_kafka_queue_poll(q, 30000) : nullptr;
    std::string failure;
    if (!admin) {
    } else if (!ev) {
        failure = "CreateTopics timed out";
    } else if (rd_kafka_event_error(ev)) {
        failure = rd_kafka_event_error_string(ev);
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        if (n == 1 && rd_kafka_topic_result_error(res[0]) && rd_kafka_topic_result_error(res[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            failure = rd_kafka_topic_result_error_string(res[0]);
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    int found = 0;
    if (failure.empty()) {
        // Wait until the metadata shows every partition with a leader.
        rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
        for (int i = 0; i < 100 && found != partitions; ++i) {
            const rd_kafka_metadata_t* md = nullptr;
            if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && !md->topics[0].err) {
                found = md->topics[0].partition_cnt;
                for (int p = 0; p < found; ++p)
                    if (md->topics[0].partitions[p].leader < 0) found = -1;
            }
            if (md) rd_kafka_metadata_destroy(md);
            if (found != partitions) std::this_thread::sleep_for(50ms);
        }
        rd_kafka_topic_destroy(rkt);
    }
    rd_kafka_destroy(rk);
    if (!failure.empty()) throw std::runtime_error("cannot create topic " + topic + ": " + failure);
    return found;
}

// ---- the brokers ----------------------------------------------------------------


std::string wait_for_log(DaemonProcess& d, const std::regex& re, const char* what, std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::smatch m;
    for (;;) {
        check_interrupted();
        const std::string err = d.process().err();
        if (std::regex_search(err, m, re)) return m.size() > 1 ? std::string(m[1]) : std::string(m[0]);
        if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error(std::string("tickcastd: no ") + what + " in its log:\n" + err);
        std::this_thread::sleep_for(10ms);
    }
}

const std::regex embedded_address_re(R"(embedded Kafka cluster .* on ([0-9.]+:\d+))");

void stop_daemon(DaemonProcess& d, const char* what) {
    d.process().signal(SIGTERM);
    const int st = d.process().wait(30s);
    if (st != 0) throw std::runtime_error(std::string("tickcastd ") + what + " exited with " + std::to_string(st) + ": " + d.process().err());
}

std::string daemon_header(const Config& cfg) { return "daemon: {threads: " + std::to_string(cfg.threads) + "}\n"; }

// A tickcastd that only hosts an embedded broker (for the raw runs): an idle
// pipeline (one event per second, kept in memory) keeps it running.
std::string host_yaml(const Config& cfg) {
    return daemon_header(cfg) + "resources:\n  bus: {plugin: kafka, brokers: embedded, embedded_partitions: " + std::to_string(cfg.partitions) +
           "}\npipelines:\n  idle:\n    source: {plugin: mock_source, rate: 1, repeat: 0, events: [{channel: idle, payload: x}]}\n"
           "    sinks: [{plugin: capture_sink}]\n";
}

// ---- raw librdkafka --------------------------------------------------------------

struct RawSpec {
    std::string bootstrap, topic, group;
    std::uint64_t rate, total;
};

void add_header(rd_kafka_headers_t* h, const char* name, std::string_view v) { rd_kafka_header_add(h, name, -1, v.data(), ssize_t(v.size())); }
void add_header(rd_kafka_headers_t* h, const char* name, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    add_header(h, name, std::string_view(buf, std::size_t(r.ptr - buf)));
}

void raw_producer(const Config& cfg, const RawSpec& spec, const std::string& payload, std::atomic<std::uint64_t>& failures,
                  std::string& error_out) {
    rd_kafka_conf_t* conf = base_conf(spec.bootstrap);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "linger.ms", "1");
    set(conf, "max.in.flight.requests.per.connection", "1");
    for (const auto& [name, value] : cfg.producer_properties) set(conf, name.c_str(), value);
    rd_kafka_conf_set_opaque(conf, &failures);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        if (m->err) ++*static_cast<std::atomic<std::uint64_t>*>(opaque);
    });
    rd_kafka_t* rk = new_client(RD_KAFKA_PRODUCER, conf);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, spec.topic.c_str(), nullptr);
    std::vector<std::string> keys, channels;
    for (int k = 0; k < cfg.keys; ++k) keys.push_back(key_name(k)), channels.push_back(channel_name(k));
    std::vector<std::uint64_t> seqs(std::size_t(cfg.keys), 0);
    PacedCount pacer{spec.rate, spec.total, 256};  // paced like mock_source
    while (pacer.emitted < spec.total && !g_interrupted) {
        const std::uint64_t n = pacer.due();
        if (n == 0) {
            rd_kafka_poll(rk, 0);
            std::this_thread::sleep_until(pacer.next_wake());
            continue;
        }
        const std::int64_t ts = realtime_ns();
        for (std::uint64_t i = 0; i < n && !g_interrupted; ++i) {
            const std::size_t k = std::size_t((pacer.emitted + i) % std::uint64_t(cfg.keys));
            const std::uint64_t seq = ++seqs[k];
            for (;;) {
                rd_kafka_headers_t* h = rd_kafka_headers_new(4);
                add_header(h, "tc.channel", channels[k]);
                add_header(h, "tc.seq", std::int64_t(seq));
                add_header(h, "tc.origin_ns", ts);
                add_header(h, "tc.hop.kafka_out", realtime_ns());
                const rd_kafka_resp_err_t err =
                    rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(0),
                                      RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                                      RD_KAFKA_V_KEY(keys[k].data(), keys[k].size()), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
                rd_kafka_headers_destroy(h);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    error_out = rd_kafka_err2str(err);
                    ++failures;
                    break;
                }
                rd_kafka_poll(rk, 1);  // full: serve delivery reports, then retry
            }
        }
        pacer.emitted += n;
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 30000);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

void raw_consumer(const Config& cfg, const RawSpec& spec, std::vector<Rx>& out, std::atomic<bool>& ready, std::atomic<bool>& stop) {
    rd_kafka_conf_t* conf = base_conf(spec.bootstrap);
    set(conf, "group.id", spec.group);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "fetch.wait.max.ms", "5");
    set(conf, "queued.min.messages", "1000000");  // as kafka_source: see its default_properties()
    set(conf, "enable.auto.commit", "true");
    set(conf, "auto.commit.interval.ms", "200");
    for (const auto& [name, value] : cfg.consumer_properties) set(conf, name.c_str(), value);
    rd_kafka_t* rk = new_client(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, spec.topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    out.reserve(spec.total);
    while (!stop && out.size() < spec.total && !g_interrupted) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 20);
        const std::int64_t now = realtime_ns();
        if (m) {
            if (!m->err) {
                rd_kafka_headers_t* h = nullptr;
                const void* v = nullptr;
                size_t size = 0;
                std::int64_t origin = 0;
                if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    rd_kafka_header_get_last(h, "tc.origin_ns", &v, &size) == RD_KAFKA_RESP_ERR_NO_ERROR)
                    std::from_chars(static_cast<const char*>(v), static_cast<const char*>(v) + size, origin);
                out.push_back({origin, now});
            }
            rd_kafka_message_destroy(m);
        }
        if (!ready) {
            rd_kafka_topic_partition_list_t* a = nullptr;
            if (rd_kafka_assignment(rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a->cnt == cfg.partitions) ready = true;
            if (a) rd_kafka_topic_partition_list_destroy(a);
        }
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

// Fills the topic before any consumer starts (--consume-only): the raw
// producer, unpaced.
void prefill(const Config& cfg, const RawSpec& spec, const std::string& payload) {
    RawSpec unpaced = spec;
    unpaced.rate = 0;
    std::atomic<std::uint64_t> failures{0};
    std::string error;
    raw_producer(cfg, unpaced, payload, failures, error);
    check_interrupted();
    if (failures) throw std::runtime_error("filling " + spec.topic + ": " + std::to_string(failures.load()) + " delivery failures " + error);
}

Run run_raw(const Config& cfg, Broker broker, const std::string& kafka_bootstrap, std::uint64_t rate, std::uint64_t total, const std::string& id,
            pid_t broker_pid) {
    TempDir dir;
    std::unique_ptr<DaemonProcess> host;
    RawSpec spec{kafka_bootstrap, "bench-" + id, "bench-" + id, rate, total};
    if (broker == Broker::embedded) {
        host = std::make_unique<DaemonProcess>(dir.write("host.yaml", host_yaml(cfg)));
        spec.bootstrap = wait_for_log(*host, embedded_address_re, "embedded broker address");
    }
    const int parts = create_topic(spec.bootstrap, spec.topic, cfg.partitions, broker == Broker::kafka);
    if (parts != cfg.partitions) throw std::runtime_error("topic " + spec.topic + " has " + std::to_string(parts) + " partitions, not " + std::to_string(cfg.partitions) + " (the embedded broker auto-creates 4: use --partitions 4 with it)");
    const std::string payload = make_payload(cfg.payload_bytes);
    std::vector<Rx> rx;
    std::atomic<bool> ready{false}, stop{false};
    std::atomic<std::uint64_t> failures{0};
    std::string produce_error;
    const bool prefilled = cfg.consume_only && rate == 0;
    if (prefilled) prefill(cfg, spec, payload);
    const double cpu0 = cpu_seconds(), bcpu0 = process_cpu(broker_pid);
    std::string thread_error;
    std::thread consumer([&] {
        try {
            raw_consumer(cfg, spec, rx, ready, stop);
        } catch (const std::exception& e) {
            thread_error = e.what();
            stop = true;
        }
    });
    const auto join_deadline = std::chrono::steady_clock::now() + 30s;
    while (!prefilled && !ready && !stop && !g_interrupted && std::chrono::steady_clock::now() < join_deadline) std::this_thread::sleep_for(1ms);
    if (!prefilled && !ready) {
        stop = true;
        consumer.join();
        check_interrupted();
        throw std::runtime_error("raw consumer got no assignment within 30 s " + thread_error);
    }
    if (!prefilled) {
        std::thread producer([&] {
            try {
                raw_producer(cfg, spec, payload, failures, produce_error);
            } catch (const std::exception& e) {
                produce_error = e.what();
                ++failures;
            }
        });
        producer.join();
    }
    const std::int64_t produced = realtime_ns();
    // The consumer stops when it has everything; give it drain_timeout more.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::int64_t(cfg.drain_timeout * 1000));
    std::thread watchdog([&] {
        while (!stop && std::chrono::steady_clock::now() < deadline && !g_interrupted) std::this_thread::sleep_for(10ms);
        stop = true;
    });
    consumer.join();
    stop = true;
    watchdog.join();
    check_interrupted();
    Run run = summarize(rx, total, rate ? cfg.warmup : 0);
    run.prefilled = prefilled;
    run.produced = produced;
    run.cpu = cpu_seconds() - cpu0;
    run.broker_cpu = process_cpu(broker_pid) - bcpu0;
    if (failures) run.note += " delivery failures " + std::to_string(failures.load()) + " " + produce_error;
    if (host) stop_daemon(*host, "embedded broker host");
    return run;
}

// ---- through tickcast ----------------------------------------------------------------

std::string gateway_yaml(const Config& cfg, Broker broker, const std::string& bootstrap, const std::string& topic, const std::string& group,
                         const std::string& capture) {
    const std::string brokers = broker == Broker::embedded
                                    ? "embedded, embedded_partitions: " + std::to_string(cfg.partitions)
                                    : "[\"" + bootstrap + "\"]";
    return daemon_header(cfg) + "resources:\n  bus: {plugin: kafka, brokers: " + brokers +
           "}\npipelines:\n  gateway:\n    source: {plugin: kafka_source, cluster: bus, topics: [" + topic + "], group: " + group +
           librdkafka_option(cfg.consumer_properties) + "}\n    sinks: [{plugin: capture_sink, format: stamps, path: \"" + capture +
           "\"}]\n";
}

std::string feed_yaml(const Config& cfg, const std::string& bootstrap, const std::string& topic, std::uint64_t rate, std::uint64_t total) {
    std::string y = daemon_header(cfg) + "resources:\n  bus: {plugin: kafka, brokers: [\"" + bootstrap +
                    "\"]}\npipelines:\n  feed:\n" +
                    (cfg.feed_max_in_flight ? "    max_in_flight: " + std::to_string(cfg.feed_max_in_flight) + "\n" : std::string()) +
                    "    source:\n      plugin: mock_source\n      repeat: " +
                    std::to_string(total / std::uint64_t(cfg.keys)) + "\n      rate: " + std::to_string(rate) + "\n      events:\n";
    const std::string payload = make_payload(cfg.payload_bytes);
    for (int k = 0; k < cfg.keys; ++k)
        y += "        - {channel: " + channel_name(k) + ", key: " + key_name(k) + ", payload: '" + payload + "'}\n";
    return y + "    sinks: [{plugin: kafka_sink, cluster: bus, topic: " + topic + librdkafka_option(cfg.producer_properties) + "}]\n";
}

// Counts complete lines of a growing file, reading only what is new.
struct LineCounter {
    std::string path;
    std::ifstream in;
    std::uint64_t lines = 0;
    std::uint64_t poll() {
        if (!in.is_open()) in.open(path);
        if (!in.is_open()) return 0;
        char buf[65536];
        for (;;) {
            in.read(buf, sizeof buf);
            const std::streamsize n = in.gcount();
            if (n <= 0) break;
            lines += std::uint64_t(std::count(buf, buf + n, '\n'));
        }
        in.clear();  // at EOF: keep reading from here next time
        return lines;
    }
};

Run run_tickcast(const Config& cfg, Broker broker, const std::string& kafka_bootstrap, std::uint64_t rate, std::uint64_t total,
                 const std::string& id, pid_t broker_pid) {
    TempDir dir;
    const CaptureFile capture_file(dir.path(), "capture.stamps");
    const std::string topic = "bench-" + id, group = "bench-" + id, capture = capture_file.path();
    if (broker == Broker::kafka) {
        const int parts = create_topic(kafka_bootstrap, topic, cfg.partitions, true);
        if (parts != cfg.partitions) throw std::runtime_error("topic " + topic + " has " + std::to_string(parts) + " partitions");
    }
    const bool prefilled = cfg.consume_only && rate == 0;
    if (prefilled) {
        if (broker != Broker::kafka) throw std::runtime_error("--consume-only needs a broker outside the gateway: use --brokers kafka");
        prefill(cfg, {kafka_bootstrap, topic, group, 0, total}, make_payload(cfg.payload_bytes));
    }
    const double cpu0 = cpu_seconds(), bcpu0 = process_cpu(broker_pid);
    DaemonProcess gateway(dir.write("gateway.yaml", gateway_yaml(cfg, broker, kafka_bootstrap, topic, group, capture)));
    const std::string bootstrap =
        broker == Broker::embedded ? wait_for_log(gateway, embedded_address_re, "embedded broker address") : kafka_bootstrap;
    wait_for_log(gateway, std::regex(" assigned " + topic), "partition assignment");
    std::int64_t produced = realtime_ns();
    if (!prefilled) {
        DaemonProcess feed(dir.write("feed.yaml", feed_yaml(cfg, bootstrap, topic, rate, total)));
        const double expected = rate ? double(total) / double(rate) : 0;
        const int st = feed.process().wait(std::chrono::milliseconds(std::int64_t((expected + 60) * 1000)));
        produced = realtime_ns();
        check_interrupted();
        if (st != 0) throw std::runtime_error("tickcastd feed exited with " + std::to_string(st) + ": " + feed.process().err());
    }
    LineCounter lines{capture, {}, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::int64_t(cfg.drain_timeout * 1000));
    while (lines.poll() < total && std::chrono::steady_clock::now() < deadline) {
        check_interrupted();
        std::this_thread::sleep_for(10ms);
    }
    const bool complete = lines.poll() >= total;
    const std::string gateway_log = complete ? "" : gateway.process().err();
    const double rss = peak_rss_mb(gateway.process().pid());
    stop_daemon(gateway, "gateway");
    std::vector<Rx> rx;
    rx.reserve(total);
    {
        std::ifstream in(capture);
        Stamps st;
        for (std::string line; std::getline(in, line);)
            if (parse_stamps_line(line, st) && st.hop("kafka_in") > 0) rx.push_back({st.origin_ns, st.hop("kafka_in")});
    }
    Run run = summarize(rx, total, rate ? cfg.warmup : 0);
    run.prefilled = prefilled;
    run.produced = produced;
    run.cpu = cpu_seconds() - cpu0;
    run.broker_cpu = process_cpu(broker_pid) - bcpu0;
    run.consumer_rss_mb = rss;
    if (!complete) {  // kept for a look: the gateway's log up to the drain timeout
        const std::string path = "/tmp/bench_kafka-" + id + "-gateway.log";
        std::ofstream(path) << gateway_log;
        run.note += " (gateway log: " + path + ")";
    }
    return run;
}

// ---- reporting -------------------------------------------------------------------------

struct Point {
    std::vector<Run> runs;
    double med(double (*f)(const Run&)) const {
        std::vector<double> v;
        for (const Run& r : runs) v.push_back(f(r));
        return median(v);
    }
    Run pooled() const { return pooled_latencies(runs); }
    std::string notes() const {
        std::string s;
        for (const Run& r : runs)
            if (!r.note.empty()) s += (s.empty() ? "" : "; ") + r.note;
        return s;
    }
};

double f_p50(const Run& r) { return r.pct(0.50); }
double f_p99(const Run& r) { return r.pct(0.99); }
double f_tput(const Run& r) { return r.throughput(); }
double f_recv(const Run& r) { return double(r.received); }
double f_cpu(const Run& r) { return r.received ? r.cpu * 1e6 / double(r.received) : 0; }
double f_bcpu(const Run& r) { return r.received ? r.broker_cpu * 1e6 / double(r.received) : 0; }

const char* impl_name(bool tickcast) { return tickcast ? "tickcast" : "raw librdkafka"; }
std::string rate_name(std::uint64_t rate) { return rate ? std::to_string(rate) : "max"; }

void print_run(Broker b, bool tickcast, std::uint64_t rate, const Run& r) {
    std::printf("  %-8s %-14s rate %6s/s  recv %7" PRIu64 "/%-7" PRIu64 " p50 %8.2f  p99 %8.2f ms  %7.0f ev/s (produced %7.0f/s)  cpu %5.1f us/ev",
                name(b), impl_name(tickcast), rate_name(rate).c_str(), r.received, r.sent, r.pct(0.5), r.pct(0.99), r.throughput(),
                r.produce_rate(), f_cpu(r));
    if (b == Broker::kafka) std::printf(" (broker %4.1f)", f_bcpu(r));
    if (r.consumer_rss_mb > 0) std::printf("  gateway peak RSS %.0f MB", r.consumer_rss_mb);
    std::printf("  load %s%s%s\n", loadavg().c_str(), r.note.empty() ? "" : "  ", r.note.c_str());
    std::fflush(stdout);
}

std::string ratio(double tc, double raw) {
    if (raw <= 0) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", tc / raw);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    std::string kafka_rates = "10000,50000", embedded_rates = "10000,50000", brokers = "embedded,kafka";
    bool no_max = false;
    CLI::App app{"bench_kafka: produce -> consume through the Kafka plugins next to raw librdkafka, on the embedded and a real broker"};
    app.add_option("--brokers", brokers, "which brokers: embedded, kafka (Apache Kafka via scripts/kafka.sh), comma-separated")
        ->capture_default_str();
    app.add_option("--rates", kafka_rates, "paced rates on Apache Kafka, events/s, comma-separated")->capture_default_str();
    app.add_option("--embedded-rates", embedded_rates, "paced rates on the embedded broker, events/s, comma-separated")->capture_default_str();
    app.add_option("--seconds", cfg.seconds, "seconds per paced run")->capture_default_str();
    app.add_option("--max-events", cfg.max_events, "events per unpaced (max) run on Apache Kafka")->capture_default_str();
    app.add_option("--embedded-max-events", cfg.embedded_max_events, "events per unpaced (max) run on the embedded broker")->capture_default_str();
    app.add_flag("--no-max", no_max, "skip the unpaced runs");
    app.add_flag("--consume-only", cfg.consume_only,
                 "unpaced runs read a topic the raw producer filled beforehand (the consumer side alone; Apache Kafka only)");
    app.add_option("--repeat", cfg.repeat, "runs per point (the median is reported)")->capture_default_str();
    app.add_option("--partitions", cfg.partitions, "partitions of each topic")->capture_default_str();
    app.add_option("--keys", cfg.keys, "distinct message keys (round robin)")->capture_default_str();
    app.add_option("--threads", cfg.threads, "tickcastd daemon.threads")->capture_default_str();
    app.add_option("--feed-max-in-flight", cfg.feed_max_in_flight, "max_in_flight of the tickcast feed pipeline (0: the default, 10000)")
        ->capture_default_str();
    app.add_option("--payload", cfg.payload_bytes, "payload bytes")->capture_default_str();
    app.add_option("--warmup", cfg.warmup, "seconds of events (by send stamp) left out of the latencies")->capture_default_str();
    app.add_option("--drain-timeout", cfg.drain_timeout, "seconds to wait for the last events once the producer is done")->capture_default_str();
    std::vector<std::string> consumer_properties, producer_properties;
    app.add_option("--consumer-property", consumer_properties,
                   "NAME=VALUE: a librdkafka property for both consumers, the raw one and kafka_source (repeatable)");
    app.add_option("--producer-property", producer_properties,
                   "NAME=VALUE: a librdkafka property for both producers, the raw one and kafka_sink (repeatable)");
    CLI11_PARSE(app, argc, argv);
    try {
        cfg.consumer_properties = parse_properties({}, consumer_properties);
        cfg.producer_properties = parse_properties({}, producer_properties);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "bench_kafka: --consumer-property, --producer-property: %s\n", e.what());
        return 2;
    }
    cfg.kafka_rates = parse_list<std::uint64_t>(kafka_rates);
    cfg.embedded_rates = parse_list<std::uint64_t>(embedded_rates);
    cfg.max = !no_max;
    cfg.brokers.clear();
    {
        std::stringstream in(brokers);
        for (std::string b; std::getline(in, b, ',');) {
            if (b == "embedded") cfg.brokers.push_back(Broker::embedded);
            else if (b == "kafka") cfg.brokers.push_back(Broker::kafka);
            else if (!b.empty()) {
                std::fprintf(stderr, "bench_kafka: unknown broker '%s' (embedded, kafka)\n", b.c_str());
                return 2;
            }
        }
    }
    if (cfg.keys < 1 || cfg.partitions < 1 || cfg.repeat < 1) {
        std::fprintf(stderr, "bench_kafka: --keys, --partitions and --repeat must be at least 1\n");
        return 2;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    int exit_code = 0;
    try {
        const auto t0 = std::chrono::steady_clock::now();
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
        const std::time_t now = std::time(nullptr);
        char when[64];
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
        std::printf("bench_kafka: produce -> consume, tickcast's Kafka plugins vs raw librdkafka %s, same run\n", rd_kafka_version_str());
        std::printf("conditions:\n");
        std::printf("  when %s; host %s, %s, %ld online CPUs (shared by producer, consumer and broker)\n", when, u.release, cpu_model.c_str(),
                    sysconf(_SC_NPROCESSORS_ONLN));
        std::printf("  load average at start: %s\n", loadavg().c_str());
        std::printf("  brokers:");
        for (Broker b : cfg.brokers) std::printf(" [%s = %s]", name(b), long_name(b));
        std::printf("\n  payload %zu bytes, %d keys round robin, topic of %d partitions (fresh topic and group per run), headers tc.channel,\n"
                    "    tc.seq, tc.origin_ns, tc.hop.kafka_out on both sides; latency = receive - send stamp (CLOCK_REALTIME, same host)\n",
                    cfg.payload_bytes, cfg.keys, cfg.partitions);
        std::printf("  producer: enable.idempotence=true acks=all linger.ms=1 max.in.flight.requests.per.connection=1; consumer: fetch.wait.max.ms=5 queued.min.messages=1000000 auto.offset.reset=earliest\n");
        for (const auto& [name, value] : cfg.consumer_properties)
            std::printf("  --consumer-property %s=%s (both consumers)\n", name.c_str(), value.c_str());
        for (const auto& [name, value] : cfg.producer_properties)
            std::printf("  --producer-property %s=%s (both producers)\n", name.c_str(), value.c_str());
        std::printf("  raw: this process, producer thread (paced like mock_source: wakes at most once per ms, batch <= 256) + consumer thread\n"
                    "    (rd_kafka_consumer_poll, auto-commit every 200 ms), production starts once the consumer is assigned\n");
        std::printf("  tickcast: gateway tickcastd (kafka_source -> capture_sink, format: stamps; latency = hops.kafka_in - origin_ns) started first,\n"
                    "    then feed tickcastd (mock_source -> kafka_sink) once the gateway logged its assignment; daemon.threads %d each;\n"
                    "    the capture file is on /dev/shm (tmpfs) when available\n",
                    cfg.threads);
        std::printf("  embedded: hosted by a tickcastd with `brokers: embedded` (the gateway in tickcast runs, an idle daemon in raw runs);\n"
                    "    every client connects to the address it logs; a fresh broker per run\n");
        std::printf("  paced runs %.1f s each, first %.2f s of events left out of latencies; unpaced (max) runs: %" PRIu64
                    " events (Kafka), %" PRIu64 " (embedded),\n"
                    "    all of them in the latencies (a burst: the latency there is mostly queueing)\n",
                    cfg.seconds, cfg.warmup, cfg.max_events, cfg.embedded_max_events);
        std::printf("  throughput = received / (last receive - first send); cpu us/ev = CPU of this process + its child processes (the\n"
                    "    daemons, and the embedded broker inside them) per event; broker = the Kafka JVM's CPU per event\n");
        if (cfg.consume_only)
            std::printf("  --consume-only: in the unpaced runs the raw producer fills the topic first, then the consumer (raw thread or\n"
                        "    gateway tickcastd) reads it from a fresh group; throughput = received / (last receive - first receive), cpu\n"
                        "    us/ev counts the consumer alone; latency there is the age of a stored message, not a figure to compare\n");
        std::printf("  %d runs per point, medians reported; raw and tickcast alternate which goes first\n", cfg.repeat);
        std::fflush(stdout);

        int serial = 0;
        auto next_id = [&] { return std::to_string(getpid()) + "-" + std::to_string(serial++); };
        // key: (broker, rate (0 = max), tickcast?)
        std::map<std::tuple<int, std::uint64_t, bool>, Point> points;
        std::vector<std::pair<Broker, std::vector<std::uint64_t>>> plan;

        for (Broker b : cfg.brokers) {
            std::unique_ptr<KafkaBroker> kafka;
            std::string bootstrap;
            pid_t broker_pid = 0;
            if (b == Broker::kafka) {
                std::printf("\nstarting Apache Kafka (scripts/kafka.sh start) ...\n");
                std::fflush(stdout);
                kafka = std::make_unique<KafkaBroker>();
                bootstrap = kafka->bootstrap;
                broker_pid = kafka->pid;
                std::printf("  Apache Kafka %s (KRaft, 1 node, JVM pid %d) on %s\n", kafka->version().c_str(), int(broker_pid), bootstrap.c_str());
                // A fresh JVM is slow until the JIT warms up: one unrecorded run first.
                Run w = run_raw(cfg, b, bootstrap, 0, 100'000, next_id(), broker_pid);
                std::printf("  warm-up (raw, 100000 events unpaced, not recorded): %.0f ev/s\n", w.throughput());
            }
            std::vector<std::uint64_t> rates = b == Broker::kafka ? cfg.kafka_rates : cfg.embedded_rates;
            if (cfg.max) rates.push_back(0);
            plan.emplace_back(b, rates);
            std::printf("\nruns on %s:\n", long_name(b));
            std::fflush(stdout);
            for (int rep = 0; rep < cfg.repeat; ++rep)
                for (std::uint64_t rate : rates) {
                    std::uint64_t total = rate ? std::uint64_t(double(rate) * cfg.seconds)
                                               : (b == Broker::kafka ? cfg.max_events : cfg.embedded_max_events);
                    total -= total % std::uint64_t(cfg.keys);
                    for (int i = 0; i < 2; ++i) {
                        const bool tc = (i == 0) == (rep % 2 == 1);
                        Run r = tc ? run_tickcast(cfg, b, bootstrap, rate, total, next_id(), broker_pid)
                                   : run_raw(cfg, b, bootstrap, rate, total, next_id(), broker_pid);
                        print_run(b, tc, rate, r);
                        points[{int(b), rate, tc}].runs.push_back(std::move(r));
                    }
                }
            if (kafka) {
                std::printf("  stopping Apache Kafka\n");
                kafka.reset();
            }
        }

        std::printf("\nmedians of %d runs (latency in ms; ratio = tickcast / raw; target: tickcast within 1.3x of raw, i.e. latency\n"
                    "ratios <= 1.3 and throughput ratio >= 1/1.3 = 0.77):\n",
                    cfg.repeat);
        std::printf("\n| broker | rate/s | impl | p50 ms | p99 ms | throughput ev/s | received | cpu us/ev |\n|---|---|---|---|---|---|---|---|\n");
        for (const auto& [b, rates] : plan)
            for (std::uint64_t rate : rates)
                for (bool tc : {false, true}) {
                    const Point& p = points[{int(b), rate, tc}];
                    std::printf("| %s | %s | %s | %.2f | %.2f | %.0f | %.0f | %.1f |\n", b == Broker::embedded ? "embedded (librdkafka test broker)" : "Apache Kafka",
                                rate_name(rate).c_str(), impl_name(tc), p.med(f_p50), p.med(f_p99), p.med(f_tput), p.med(f_recv), p.med(f_cpu));
                }
        std::printf("\npaced rates, all runs' events pooled (latency in ms; a stall of the machine weighs as the events it held):\n");
        std::printf("\n| broker | rate/s | raw events | raw p50 / p99 / p99.9 | tickcast events | tickcast p50 / p99 / p99.9 | ratio p50 / p99 / p99.9 |\n"
                    "|---|---|---|---|---|---|---|\n");
        for (const auto& [b, rates] : plan)
            for (std::uint64_t rate : rates) {
                if (rate == 0) continue;  // unpaced: its latency is the backlog
                const Run raw = points[{int(b), rate, false}].pooled(), tc = points[{int(b), rate, true}].pooled();
                std::printf("| %s | %s | %zu | %.2f / %.2f / %.2f | %zu | %.2f / %.2f / %.2f | %s / %s / %s |\n", long_name(b),
                            rate_name(rate).c_str(), raw.lat.size(), raw.pct(0.5), raw.pct(0.99), raw.pct(0.999), tc.lat.size(), tc.pct(0.5),
                            tc.pct(0.99), tc.pct(0.999), ratio(tc.pct(0.5), raw.pct(0.5)).c_str(), ratio(tc.pct(0.99), raw.pct(0.99)).c_str(),
                            ratio(tc.pct(0.999), raw.pct(0.999)).c_str());
            }
        std::printf("\nratios (tickcast / raw):\n");
        for (const auto& [b, rates] : plan)
            for (std::uint64_t rate : rates) {
                const Point& raw = points[{int(b), rate, false}];
                const Point& tc = points[{int(b), rate, true}];
                const double r50 = tc.med(f_p50) / raw.med(f_p50), r99 = tc.med(f_p99) / raw.med(f_p99),
                             rt = raw.med(f_tput) > 0 ? tc.med(f_tput) / raw.med(f_tput) : 0;
                const bool lat_ok = r50 <= 1.3 && r99 <= 1.3, tput_ok = rt >= 1 / 1.3;
                const bool incomplete = !(raw.notes() + tc.notes()).empty();
                std::printf("  %-8s rate %6s/s: p50 %s  p99 %s  throughput %s  -> 1.3x target %s%s%s\n", name(b), rate_name(rate).c_str(),
                            ratio(tc.med(f_p50), raw.med(f_p50)).c_str(), ratio(tc.med(f_p99), raw.med(f_p99)).c_str(),
                            ratio(tc.med(f_tput), raw.med(f_tput)).c_str(),
                            incomplete                     ? "NOT JUDGED (a run did not get every event: see notes)"
                            : lat_ok && tput_ok            ? "holds"
                            : !lat_ok && !tput_ok          ? "missed (latency and throughput)"
                            : !lat_ok                      ? "missed (latency)"
                                                           : "missed (throughput)",
                            (raw.notes() + tc.notes()).empty() ? "" : "  notes: ", (raw.notes() + (raw.notes().empty() || tc.notes().empty() ? "" : "; ") + tc.notes()).c_str());
            }
        std::printf("\nload average at end: %s; total %.0f s\n", loadavg().c_str(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_kafka: %s\n", e.what());
        exit_code = 1;
    }
    return exit_code;
}
