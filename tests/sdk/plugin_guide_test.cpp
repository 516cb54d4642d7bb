// docs/plugin-guide.md cannot drift from the code: every fenced block in it
// must say which file it quotes (`<!-- from: PATH -->` on the line before),
// that file must be one the SDK tests build or run (the example plugin,
// tests/sdk/sdk.sh), and the block's lines must appear in it, in order and
// contiguously (indentation and blank lines aside).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string source_dir = TICKCAST_SOURCE_DIR;

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t"), last = s.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// Trimmed, without blank lines: what a quote must match.
std::vector<std::string> significant(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& l : lines)
        if (!trim(l).empty()) out.push_back(trim(l));
    return out;
}

struct Block {
    int line;            // of the opening fence, 1-based
    std::string from;    // the quoted file, relative to the source tree
    std::vector<std::string> body;
};

std::vector<Block> blocks_of(const std::vector<std::string>& doc) {
    std::vector<Block> out;
    std::string last_from;
    int last_nonblank = -1;
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const std::string t = trim(doc[i]);
        if (t.rfind("```", 0) != 0) {
            if (!t.empty()) last_nonblank = int(i);
            continue;
        }
        Block b{int(i) + 1, {}, {}};
        const std::string marker = "<!-- from: ";
        if (last_nonblank >= 0 && trim(doc[std::size_t(last_nonblank)]).rfind(marker, 0) == 0) {
            const std::string m = trim(doc[std::size_t(last_nonblank)]);
            b.from = trim(m.substr(marker.size(), m.size() - marker.size() - 3));
        }
        for (++i; i < doc.size() && trim(doc[i]) != "```"; ++i) b.body.push_back(doc[i]);
        out.push_back(std::move(b));
        last_nonblank = -1;
    }
    return out;
}

bool contains_run(const std::vector<std::string>& haystack, const std::vector<std::string>& needle) {
    if (needle.empty()) return false;
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

}  // namespace

TEST(PluginGuide, every_code_block_is_quoted_from_a_file_the_tests_build_or_run) {
    const auto doc = read_lines(source_dir + "/docs/plugin-guide.md");
    ASSERT_FALSE(doc.empty()) << "cannot read docs/plugin-guide.md";
    const auto blocks = blocks_of(doc);
    EXPECT_GE(blocks.size(), 10u);
    for (const Block& b : blocks) {
        const std::string where = "docs/plugin-guide.md:" + std::to_string(b.line);
        if (b.from.empty()) {
            ADD_FAILURE() << where << ": a code block without '<!-- from: PATH -->' on the line before it";
            continue;
        }
        const bool tested = b.from.rfind("sdk/examples/", 0) == 0 || b.from == "tests/sdk/sdk.sh";
        EXPECT_TRUE(tested) << where << ": quotes " << b.from << ", which no SDK test builds or runs";
        const auto file = read_lines(source_dir + "/" + b.from);
        if (file.empty()) {
            ADD_FAILURE() << where << ": cannot read " << b.from;
            continue;
        }
        std::ostringstream body;
        for (const std::string& l : b.body) body << l << "\n";
        EXPECT_TRUE(contains_run(significant(file), significant(b.body)))
            << where << ": this block is no longer in " << b.from << ":\n" << body.str();
    }
}

TEST(PluginGuide, a_changed_quote_is_caught) {
    const std::vector<std::string> file = {"int main() {", "    return 0;", "}"};
    EXPECT_TRUE(contains_run(significant(file), significant({"  return 0;", "", "}"})));
    EXPECT_FALSE(contains_run(significant(file), significant({"return 1;"})));
    EXPECT_FALSE(contains_run(significant(file), significant({"int main() {", "}"})));
}
