// A real redis-server for tests, started and stopped through scripts/redis.sh
// (the one way the project starts Redis), plus a synchronous hiredis
// connection to look at what the plugins wrote.
#pragma once

#include <signal.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "support/process.hpp"

namespace tickcast::test {

class RedisServer {
public:
    explicit RedisServer(std::vector<std::string> server_args = {}, std::string port = "") : args_(std::move(server_args)) {
        start(port);
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;
    // Attaches to a server someone else runs (scripts/test.sh exports TICKCAST_REDIS).
    struct Attach {};
    RedisServer(Attach, std::string address) : address_(std::move(address)), owned_(false) {}
    ~RedisServer() {
        if (!owned_) return;
        Process stop({"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/redis.sh", "stop", "--dir", dir_.path() + "/redis"});
        stop.wait();
    }

    const std::string& address() const { return address_; }
    std::string port() const { return address_.substr(address_.rfind(':') + 1); }
    std::string url() const { return "redis://" + address_; }

    // The server's process id (0 for a server someone else runs).
    int pid() const { return owned_ ? std::atoi(Process::slurp(dir_.path() + "/redis/pid").c_str()) : 0; }

    // SIGKILL: no goodbye to clients, nothing saved.
    void kill9() {
        const std::string pid = Process::slurp(dir_.path() + "/redis/pid");
        ::kill(std::stoi(pid), SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::remove((dir_.path() + "/redis/pid").c_str());
    }
    // Starts again on the same port (empty, as after a crash without persistence).
    void restart() { start(port()); }

    // A synchronous connection for assertions.
    std::unique_ptr<redisContext, void (*)(redisContext*)> connect() const {
        redisContext* c = redisConnect("127.0.0.1", std::stoi(port()));
        if (!c || c->err) throw std::runtime_error("cannot connect to test redis at " + address_);
        return {c, redisFree};
    }

private:
    void start(const std::string& port) {
        // --owner: a test process that crashes takes its server with it.
        std::vector<std::string> argv{"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/redis.sh", "start", "--dir", dir_.path() + "/redis",
                                      "--owner", std::to_string(::getpid())};
        if (!port.empty()) {
            argv.push_back("--port");
            argv.push_back(port);
        }
        if (!args_.empty()) {
            argv.push_back("--");
            argv.insert(argv.end(), args_.begin(), args_.end());
        }
        Process p(argv);
        if (p.wait() != 0) throw std::runtime_error("scripts/redis.sh start failed: " + p.err());
        address_ = p.out();
        while (!address_.empty() && (address_.back() == '\n' || address_.back() == ' ')) address_.pop_back();
    }

    TempDir dir_;
    std::vector<std::string> args_;
    std::string address_;
    bool owned_ = true;
};

// The server for tests that only read and write (each uses its own key
// prefix): scripts/test.sh's, or one started for this test process.
inline RedisServer& shared_redis() {
    static std::unique_ptr<RedisServer> server = [] {
        if (const char* a = std::getenv("TICKCAST_REDIS"); a && *a) return std::make_unique<RedisServer>(RedisServer::Attach{}, a);
        return std::make_unique<RedisServer>();
    }();
    return *server;
}

// One reply of a synchronous command, freed on scope exit.
using Reply = std::unique_ptr<redisReply, void (*)(void*)>;
inline Reply command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return Reply(static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), argv.data(), lens.data())), freeReplyObject);
}

}  // namespace tickcast::test
