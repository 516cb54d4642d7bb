// The servers a benchmark starts through the project's scripts, stopped in
// their destructors (also when a Ctrl-C unwinds): a real Apache Kafka broker
// (scripts/kafka.sh). Needs TICKCAST_SOURCE_DIR and tests/support on the
// include path.
#pragma once

#include <cstdio>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

#include "support/daemon_process.hpp"

namespace tickcast::bench {

// Runs `cmd` through the shell; returns its stdout and sets its wait status.
inline std::string run_command(const std::string& cmd, int& status) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    status = ::pclose(p);
    return out;
}

// A real Apache Kafka broker from scripts/kafka.sh, stopped in the destructor.
struct KafkaBroker {
    tickcast::test::TempDir dir;
    std::string bootstrap;
    pid_t pid = 0;
    KafkaBroker() {
        const std::string script = std::string(TICKCAST_SOURCE_DIR) + "/scripts/kafka.sh";
        int st = 0;
        const std::string out = run_command("'" + script + "' start --dir '" + dir.file("kafka") + "'", st);
        started_ = true;
        bootstrap = out.substr(0, out.find_first_of("\r\n"));
        if (st != 0 || bootstrap.empty()) throw std::runtime_error("scripts/kafka.sh start failed (see its messages above)");
        std::ifstream(dir.file("kafka/pid")) >> pid;
    }
    ~KafkaBroker() {
        if (!started_) return;
        int st = 0;
        run_command("'" + std::string(TICKCAST_SOURCE_DIR) + "/scripts/kafka.sh' stop --dir '" + dir.file("kafka") + "' 2>/dev/null", st);
    }
    KafkaBroker(const KafkaBroker&) = delete;
    KafkaBroker& operator=(const KafkaBroker&) = delete;
    std::string version() const {
        std::ifstream in(dir.file("kafka/logs/server.log"));
        std::smatch m;
        for (std::string line; std::getline(in, line);)
            if (std::regex_search(line, m, std::regex(R"(Kafka version: ([0-9A-Za-z.\-]+))"))) return m[1];
        return "4.x";
    }

private:
    bool started_ = false;
};

}  // namespace tickcast::bench
