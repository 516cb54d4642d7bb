// What the benchmark programs share: Ctrl-C handling, the wall clock they
// stamp messages with, the machine's load, CPU time of processes and
// threads, and medians of repeated runs.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tickcast::bench {

// Set by the SIGINT/SIGTERM handler; long loops call check_interrupted() so
// that a Ctrl-C unwinds (and the destructors stop the servers started).
inline std::atomic<bool> g_interrupted{false};
inline void on_signal(int) { g_interrupted = true; }
inline void check_interrupted() {
    if (g_interrupted) throw std::runtime_error("interrupted");
}

// A thread running `body`; what it throws lands in `error` (read it after join).
template <class Body>
std::thread thread_catching(std::string& error, Body body) {
    return std::thread([&error, body = std::move(body)]() mutable {
        try {
            body();
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
}

// CLOCK_REALTIME ns: the clock tickcast stamps origins and hops with.
inline std::int64_t realtime_ns() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CPU seconds a thread has run so far, from the scheduler's own accounting
// (nanoseconds): `task_dir` is /proc/PID/task/TID. 0 if it is gone.
inline double schedstat_seconds(const std::string& task_dir) {
    std::ifstream in(task_dir + "/schedstat");
    unsigned long long ns = 0;
    return in >> ns ? double(ns) / 1e9 : 0;
}

// CPU seconds every live thread of `pid` has run so far (threads that
// already exited are not counted: take differences over long-lived ones).
inline double process_cpu(int pid) {
    double sum = 0;
    if (pid <= 0) return sum;
    const std::string base = "/proc/" + std::to_string(pid) + "/task";
    if (DIR* d = opendir(base.c_str())) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') sum += schedstat_seconds(base + "/" + e->d_name);
        closedir(d);
    }
    return sum;
}

// CPU seconds of thread `tid` of this process (0 for tid 0).
inline double thread_cpu(int tid) { return tid ? schedstat_seconds("/proc/self/task/" + std::to_string(tid)) : 0; }

// "1m 5m 15m" load averages, printed beside every figure.
inline std::string loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Every run's latencies (a Run's sorted `lat`) as one sample: a stall of
// the machine in one run then weighs as the events it held, not as that
// run's whole p99. Only `lat` is filled in the result.
template <class Run>
Run pooled_latencies(const std::vector<Run>& runs) {
    Run all;
    for (const Run& r : runs) all.lat.insert(all.lat.end(), r.lat.begin(), r.lat.end());
    std::sort(all.lat.begin(), all.lat.end());
    return all;
}

// "10000,50000" -> {10000, 50000}: the benches' list flags.
template <class T>
std::vector<T> parse_list(const std::string& s) {
    std::vector<T> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(T(std::stoll(item)));
    return out;
}

// librdkafka properties a bench passes through (--consumer-property and
// --producer-property NAME=VALUE): name, value, in the order given.
using Properties = std::vector<std::pair<std::string, std::string>>;

// "NAME=VALUE" strings -> Properties; a later NAME replaces an earlier one,
// so a bench's defaults can come first and the command line after them.
// Throws std::invalid_argument naming the bad item.
inline Properties parse_properties(Properties into, const std::vector<std::string>& given) {
    for (const std::string& p : given) {
        const auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0) throw std::invalid_argument("want NAME=VALUE, got '" + p + "'");
        std::string name = p.substr(0, eq), value = p.substr(eq + 1);
        auto same = std::find_if(into.begin(), into.end(), [&](const auto& kv) { return kv.first == name; });
        if (same != into.end()) same->second = std::move(value);
        else into.emplace_back(std::move(name), std::move(value));
    }
    return into;
}

// Properties as a plugin's `librdkafka:` map, after a leading ", "; empty
// for none.
inline std::string librdkafka_option(const Properties& properties) {
    std::string map;
    for (const auto& [name, value] : properties) map += (map.empty() ? "" : ", ") + ("\"" + name + "\": \"" + value + "\"");
    return map.empty() ? "" : ", librdkafka: {" + map + "}";
}

// Counts events due at `rate`/s since `start` as mock_source does: at most
// `batch` at once, never past `total`; rate 0 means as fast as batches go.
struct PacedCount {
    std::uint64_t rate, total, batch;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::uint64_t emitted = 0;
    std::uint64_t due() const {
        std::uint64_t n = batch;
        if (rate != 0) {
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
            const std::uint64_t d = std::uint64_t((__int128)ns * rate / 1'000'000'000) + 1;
            n = d > emitted ? std::min<std::uint64_t>(d - emitted, batch) : 0;
        }
        return std::min(n, total - emitted);
    }
    // When nothing is due: the next event's time, but at least 1 ms from now
    // (mock_source never wakes more often than that).
    std::chrono::steady_clock::time_point next_wake() const {
        const auto now = std::chrono::steady_clock::now();
        if (rate == 0) return now;
        const auto wake = start + std::chrono::nanoseconds(std::int64_t((__int128)emitted * 1'000'000'000 / rate));
        return std::max(wake, now + std::chrono::milliseconds(1));
    }
};

// One line of a capture_sink with `format: stamps`:
// "<channel> <seq> <origin_ns> <hop>=<ns>...". Hop names point into the line.
struct Stamps {
    std::uint64_t seq = 0;
    std::int64_t origin_ns = 0;
    std::array<std::pair<std::string_view, std::int64_t>, 8> hops{};
    std::size_t hop_count = 0;
    // The named hop's stamp, 0 when the line has none.
    std::int64_t hop(std::string_view name) const {
        for (std::size_t i = 0; i < hop_count; ++i)
            if (hops[i].first == name) return hops[i].second;
        return 0;
    }
};
// False when the line is not one (a partial last line included).
inline bool parse_stamps_line(std::string_view line, Stamps& out) {
    auto number = [&](std::size_t from, std::size_t to, auto& v) {
        const auto r = std::from_chars(line.data() + from, line.data() + to, v);
        return r.ec == std::errc() && r.ptr == line.data() + to;
    };
    auto field_end = [&](std::size_t from) { return std::min(line.find(' ', from), line.size()); };
    std::size_t at = line.find(' ');
    if (at == std::string_view::npos) return false;
    std::size_t end = field_end(at + 1);
    if (!number(at + 1, end, out.seq) || end == line.size()) return false;
    at = end;
    end = field_end(at + 1);
    if (!number(at + 1, end, out.origin_ns)) return false;
    out.hop_count = 0;
    for (at = end; at < line.size() && out.hop_count < out.hops.size(); at = end) {
        end = field_end(at + 1);
        const std::size_t eq = line.find('=', at + 1);
        if (eq == std::string_view::npos || eq >= end) return false;
        auto& [name, ns] = out.hops[out.hop_count++];
        name = line.substr(at + 1, eq - at - 1);
        if (!number(eq + 1, end, ns)) return false;
    }
    return true;
}

// Where a daemon's capture_sink writes: on tmpfs (/dev/shm) when there is
// one, since a page-cache flush to disk would block the daemon's strand and
// show up as latency of the hop being measured; else in `fallback_dir`.
// The file is removed when this goes.
class CaptureFile {
public:
    CaptureFile(const std::string& fallback_dir, const std::string& name) {
        struct stat shm {};
        const bool tmpfs = ::stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) && ::access("/dev/shm", W_OK) == 0;
        path_ = tmpfs ? "/dev/shm/tickcast-bench-" + std::to_string(::getpid()) + "-" + std::to_string(serial()++) + "-" + name
                      : fallback_dir + "/" + name;
    }
    ~CaptureFile() { std::remove(path_.c_str()); }
    CaptureFile(const CaptureFile&) = delete;
    CaptureFile& operator=(const CaptureFile&) = delete;
    const std::string& path() const { return path_; }

private:
    static int& serial() {
        static int n = 0;
        return n;
    }
    std::string path_;
};

}  // namespace tickcast::bench
