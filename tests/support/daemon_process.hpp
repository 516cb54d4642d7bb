// tickcastd in a child process, for tests that need several daemons, real
// signals or crashes: starts it on a config, finds its admin endpoint, reads
// its metrics and its capture files.
#pragma once

#include <regex>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include "support/process.hpp"

namespace tickcast::test {

// Polls `check` every 10 ms until it is true or `timeout` passes.
template <class F>
bool eventually(F check, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (check()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return check();
}

inline std::vector<boost::json::object> read_jsonl(const std::string& path) {
    std::vector<boost::json::object> out;
    std::ifstream in(path);
    // A line the writer has not finished yet has no newline: getline then
    // stops at the end of the file, and the line is left for the next read.
    for (std::string line; std::getline(in, line) && !in.eof();)
        if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
    return out;
}

inline std::string http_get(const std::string& host_port, const std::string& target) {
    const auto colon = host_port.rfind(':');
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::asio::connect(s, boost::asio::ip::tcp::resolver(io).resolve(host_port.substr(0, colon), host_port.substr(colon + 1)));
    const std::string req = "GET " + target + " HTTP/1.0\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string out;
    boost::system::error_code ec;
    char buf[8192];
    for (;;) {
        const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

class DaemonProcess {
public:
    // Starts `tickcastd run config --admin 127.0.0.1:0` with the build's plugins.
    explicit DaemonProcess(const std::string& config, std::vector<std::string> env = {})
        : process_({TICKCAST_DAEMON, "run", config, "--admin", "127.0.0.1:0"}, with_plugins(std::move(env))) {}

    Process& process() { return process_; }

    const std::string& admin() {
        if (admin_.empty()) {
            std::smatch m;
            eventually([&] {
                const std::string err = process_.err();
                if (std::regex_search(err, m, std::regex(R"(admin endpoint on http://([0-9.]+:\d+)/)"))) admin_ = m[1];
                return !admin_.empty();
            });
        }
        return admin_;
    }

    // The value of one sample (`name{labels}`) on /metrics, or -1.
    double metric(const std::string& name_and_labels) {
        const std::string text = http_get(admin(), "/metrics");
        const auto at = text.find(name_and_labels + " ");
        return at == std::string::npos ? -1 : std::stod(text.substr(at + name_and_labels.size() + 1));
    }

private:
    static std::vector<std::string> with_plugins(std::vector<std::string> env) {
        env.push_back("TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR);
        return env;
    }
    Process process_;
    std::string admin_;
};

}  // namespace tickcast::test
