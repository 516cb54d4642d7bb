// Replays inputs through a fuzz target without libFuzzer, so that every
// build (GCC, ASan) runs the committed corpus as a regression test:
//   fuzz_replay_<target> FILE|DIR...
// Each file is one input; a folder's regular files are replayed in name
// order. A crash or a failed FUZZ_CHECK aborts; a handler names the input
// that was running.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace fs = std::filesystem;

namespace {

std::string current;  // the input being replayed, for the crash handler

// Async-signal-safe: write(2) only, then the default action (core, exit code).
void name_the_input(int signal) {
    const char head[] = "\nfuzz replay: crashed on input ";
    [[maybe_unused]] ssize_t n = ::write(2, head, sizeof head - 1);
    n = ::write(2, current.data(), current.size());
    n = ::write(2, "\n", 1);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        if (fs::is_directory(arg)) {
            std::vector<fs::path> files;
            for (const fs::directory_entry& e : fs::directory_iterator(arg))
                if (e.is_regular_file()) files.push_back(e.path());
            std::sort(files.begin(), files.end());
            inputs.insert(inputs.end(), files.begin(), files.end());
        } else if (fs::is_regular_file(arg)) {
            inputs.push_back(arg);
        } else {
            std::cerr << "fuzz replay: no such file or folder: " << arg << "\n";
            return 2;
        }
    }
    if (inputs.empty()) {
        std::cerr << "fuzz replay: no inputs given (usage: " << argv[0] << " FILE|DIR...)\n";
        return 2;
    }
    for (int s : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(s, name_the_input);
    for (const fs::path& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        current = p.string();
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "replayed " << inputs.size() << " inputs, no failure\n";
    return 0;
}
