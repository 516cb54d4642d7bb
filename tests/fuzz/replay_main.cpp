// Replays inputs through a fuzz target without libFuzzer, so that every
// build (GCC, ASan) runs the committed corpus as a regression test:
//   fuzz_replay_<target> FILE|DIR...
// Each file is one input; a folder's regular files are replayed in name
// order. A crash or a failed FUZZ_CHECK aborts, naming the file first.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace fs = std::filesystem;

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
    for (const fs::path& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::cerr << "replaying " << p.string() << " (" << bytes.size() << " bytes)\n";
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "replayed " << inputs.size() << " inputs, no failure\n";
    return 0;
}
