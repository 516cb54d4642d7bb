#include "ws/nchan_baseline.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>

#include <boost/asio.hpp>

#include "common/bench_support.hpp"
#include "support/ports.hpp"

namespace tickcast::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using test::free_port;

void append_bench_envelope(std::string& out, std::string_view channel, std::uint64_t seq, std::size_t k, std::size_t payload_bytes) {
    char digits[24];
    out += R"({"type":"event","channel":")";
    out += channel;
    out += R"(","seq":)";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, seq).ptr);
    out += R"(,"epoch":"1795683897300-0","data":{"ts":)";
    const std::size_t data_at = out.size() - 6;  // at the '{' of data
    out.append(digits, std::to_chars(digits, digits + sizeof digits, realtime_ns()).ptr);
    out += R"(,"type":"trade","symbol":"B)";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, k).ptr);
    out += R"(","price":"64210.50","qty":"0.0150","pad":")";
    const std::size_t data_len = out.size() - data_at;
    if (data_len + 2 < payload_bytes) out.append(payload_bytes - data_len - 2, 'x');
    out += "\"}}";
}

NchanServer::NchanServer(const std::string& module, int workers) {
    port_ = free_port();
    const std::string d = dir_.path();
    std::system(("mkdir -p '" + d + "/logs' '" + d + "/tmp'").c_str());
    // keepalive_requests: nginx closes a keep-alive connection after 1000
    // requests by default; the publisher keeps one for the whole run.
    const std::string conf = "load_module " + module + ";\n"
        "worker_processes " + std::to_string(workers) + ";\n"
        "worker_rlimit_nofile 40000;\n"
        "pid " + d + "/nginx.pid;\n"
        "error_log " + d + "/logs/error.log warn;\n"
        "events { worker_connections 30000; multi_accept on; }\n"
        "http {\n"
        "  access_log off;\n"
        "  client_body_temp_path " + d + "/tmp/body;\n"
        "  proxy_temp_path " + d + "/tmp/proxy;\n"
        "  fastcgi_temp_path " + d + "/tmp/fastcgi;\n"
        "  uwsgi_temp_path " + d + "/tmp/uwsgi;\n"
        "  scgi_temp_path " + d + "/tmp/scgi;\n"
        "  keepalive_requests 1000000000;\n"
        "  keepalive_timeout 600s;\n"
        "  nchan_shared_memory_size 256M;\n"
        "  server {\n"
        "    listen 127.0.0.1:" + std::to_string(port_) + " backlog=4096;\n"
        "    location ~ ^/pub/(\\w+)$ { nchan_publisher http; nchan_channel_id $1;\n"
        "      nchan_message_buffer_length 16; nchan_message_timeout 30s; }\n"
        "    location ~ ^/sub/(\\w+)$ { nchan_subscriber websocket; nchan_channel_id $1; }\n"
        "  }\n"
        "}\n";
    const std::string path = dir_.write("nginx.conf", conf);
    master_ = std::make_unique<test::Process>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", d, "-e", d + "/logs/error.log", "-c", path, "-g", "daemon off;"});
    for (int i = 0; i < 500 && !test::listens(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!test::listens(port_)) throw std::runtime_error("nginx did not start: " + master_->err() + test::Process::slurp(d + "/logs/error.log"));
}

NchanServer::~NchanServer() { stop(); }

void NchanServer::stop() {
    if (!master_) return;
    master_->signal(SIGTERM);  // the master stops its workers
    master_->wait(std::chrono::seconds(10));
    master_.reset();
}

std::vector<int> NchanServer::worker_pids() const {
    std::vector<int> out;
    std::ifstream pidfile(dir_.path() + "/nginx.pid");
    int master = 0;
    if (!(pidfile >> master)) return out;
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
            std::string s((std::istreambuf_iterator<char>(in)), {});
            const auto close = s.rfind(')');
            int ppid = 0;
            char state = 0;
            if (close != std::string::npos && std::sscanf(s.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == master)
                out.push_back(std::stoi(e->d_name));
        }
        closedir(d);
    }
    return out;
}

// Publisher -----------------------------------------------------------------

NchanPublisher::NchanPublisher(Spec spec) : spec_(std::move(spec)) {
    thread_ = thread_catching(error_, [this] {
        tid_ = int(::syscall(SYS_gettid));
        run();
    });
}

NchanPublisher::~NchanPublisher() { stop(); }

void NchanPublisher::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void NchanPublisher::run() {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), spec_.port));
    s.set_option(tcp::no_delay(true));
    std::vector<std::uint64_t> seqs(spec_.channels, 0);
    std::vector<std::string> heads, names;
    for (std::size_t k = 0; k < spec_.channels; ++k) {
        heads.push_back("POST /pub/" + spec_.id_prefix + std::to_string(k) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ");
        names.push_back(spec_.channel_prefix + std::to_string(k));
    }
    std::string out, body, in;
    out.reserve(1 << 20);
    body.reserve(1024);
    in.reserve(1 << 20);
    char rx[65536];
    std::uint64_t next = 0;
    // Paced as tickcast's GeneratorSource: wake at least 1 ms apart, send what is due.
    PacedCount pacer{spec_.rate, UINT64_MAX, 256};
    while (!stopping_) {
        const std::uint64_t due = pacer.due();
        if (due == 0) {
            std::this_thread::sleep_until(pacer.next_wake());
            continue;
        }
        out.clear();
        char digits[24];
        for (std::uint64_t i = 0; i < due; ++i) {
            const std::size_t k = next++ % spec_.channels;
            body.clear();
            append_bench_envelope(body, names[k], ++seqs[k], k, spec_.payload_bytes);
            out += heads[k];
            out.append(digits, std::to_chars(digits, digits + sizeof digits, body.size()).ptr);
            out += "\r\n\r\n";
            out += body;
        }
        asio::write(s, asio::buffer(out));
        pacer.emitted += due;
        // Read the `due` responses (status line, headers with Content-Length, body).
        std::uint64_t answered = 0;
        while (answered < due) {
            const auto end = in.find("\r\n\r\n");
            if (end == std::string::npos) {
                const std::size_t n = s.read_some(asio::buffer(rx));
                in.append(rx, n);
                continue;
            }
            std::size_t length = 0;
            const auto cl = in.find("Content-Length: ");
            if (cl != std::string::npos && cl < end) std::from_chars(in.data() + cl + 16, in.data() + end, length);
            if (in.size() < end + 4 + length) {
                const std::size_t n = s.read_some(asio::buffer(rx));
                in.append(rx, n);
                continue;
            }
            if (in.compare(0, 10, "HTTP/1.1 2") != 0) {
                if (refused_++ == 0) error_ = in.substr(0, in.find("\r\n"));
            } else {
                published_.fetch_add(1, std::memory_order_relaxed);
            }
            in.erase(0, end + 4 + length);
            ++answered;
        }
    }
}

}  // namespace tickcast::bench
