// Runs a child process for tests: arguments, extra environment, captured
// stdout/stderr (in temp files, so a chatty child never blocks), signals.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tickcast::test {

class Process {
public:
    Process(std::vector<std::string> argv, std::vector<std::string> env = {}) {
        static int counter = 0;
        const std::string base = "/tmp/tickcast-proc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        out_path_ = base + ".out";
        err_path_ = base + ".err";
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e) envs.emplace_back(*e);
        for (const std::string& e : env) envs.push_back(e);
        std::vector<char*> cargv, cenv;
        for (std::string& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        for (std::string& e : envs) cenv.push_back(e.data());
        cenv.push_back(nullptr);
        if (posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data()) != 0)
            throw std::runtime_error("cannot start " + argv[0]);
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Process() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        std::remove(out_path_.c_str());
        std::remove(err_path_.c_str());
    }

    void signal(int sig) { ::kill(pid_, sig); }
    pid_t pid() const { return pid_; }

    // Exit status, or -signal if killed; -1000 on timeout (the child is killed).
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        int st = 0;
        while (::waitpid(pid_, &st, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
                exited_ = true;
                return -1000;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        exited_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    }

    std::string out() const { return slurp(out_path_); }
    std::string err() const { return slurp(err_path_); }

    static std::string slurp(const std::string& path) {
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    pid_t pid_ = -1;
    bool exited_ = false;
    std::string out_path_, err_path_;
};

// A fresh temp directory removed at the end of the test.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/tickcast-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(file(name)) << text;
        return file(name);
    }

private:
    std::string path_;
};

}  // namespace tickcast::test
