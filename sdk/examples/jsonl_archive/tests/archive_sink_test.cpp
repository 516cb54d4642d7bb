// jsonl_archive hosted by tickcast::testing: the plugin's own .so, loaded and
// handshaken as tickcastd does, fed batches by the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <tickcast/testing.hpp>

namespace fs = std::filesystem;
using tickcast::testing::PluginLibrary;
using tickcast::testing::SinkHarness;
using tickcast::testing::event;

namespace {

class ArchiveSinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("jsonl_archive_test_" + std::to_string(::getpid()) + "_" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    std::vector<std::string> lines(const fs::path& file) {
        std::vector<std::string> out;
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
    std::vector<std::string> files() {
        std::vector<std::string> out;
        if (fs::exists(dir))
            for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }

    PluginLibrary library = PluginLibrary::load(TICKCAST_PLUGIN_FILE);
    fs::path dir;
};

tickcast::EventBatch trades(int first, int count) {
    tickcast::EventBatch batch;
    for (int i = first; i < first + count; ++i)
        batch.push_back(event("trades.BTC-USDT", R"({"price":"100.5","qty":")" + std::to_string(i) + R"("})", std::uint64_t(i), "BTC-USDT"));
    return batch;
}

}  // namespace

TEST_F(ArchiveSinkTest, writes_each_event_as_an_envelope_line_and_acks_once_synced) {
    SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}});
    ASSERT_TRUE(sink.start());
    const auto id = sink.write(trades(1, 3));
    ASSERT_TRUE(sink.wait_for_ack(id));
    EXPECT_TRUE(sink.ack(id)->ok) << sink.ack(id)->error;
    EXPECT_EQ(files(), std::vector<std::string>{"events-000001.jsonl.part"});

    sink.stop();
    ASSERT_EQ(files(), std::vector<std::string>{"events-000001.jsonl"});
    const auto written = lines(dir / "events-000001.jsonl");
    ASSERT_EQ(written.size(), 3u);
    const auto first = boost::json::parse(written[0]).as_object();
    EXPECT_EQ(first.at("channel"), "trades.BTC-USDT");
    EXPECT_EQ(first.at("key"), "BTC-USDT");
    EXPECT_EQ(first.at("seq").to_number<int>(), 1);
    EXPECT_EQ(first.at("payload").at("qty"), "1");
    EXPECT_EQ(sink.metric("tickcast_archive_bytes_total"), double(fs::file_size(dir / "events-000001.jsonl")));
    EXPECT_EQ(sink.metric("tickcast_archive_files_total"), 1.0);
    EXPECT_GE(sink.metric("tickcast_archive_fsync_seconds").value_or(0), 1.0);
    EXPECT_TRUE(sink.failures().empty());
}

TEST_F(ArchiveSinkTest, rotates_before_a_batch_would_pass_max_size) {
    SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}, {"max_size", "400B"}, {"fsync", "never"}});
    ASSERT_TRUE(sink.start());
    for (int i = 0; i < 6; ++i) sink.write(trades(i * 2 + 1, 2));  // ~250 bytes per batch
    ASSERT_TRUE(sink.wait_for_all_acks());
    sink.stop();

    const auto names = files();
    ASSERT_EQ(names.size(), 6u) << "one batch per file, since two do not fit in 400 bytes";
    int total = 0;
    for (const std::string& name : names) {
        EXPECT_LE(fs::file_size(dir / name), 400u) << name;
        total += int(lines(dir / name).size());
    }
    EXPECT_EQ(names.front(), "events-000001.jsonl");
    EXPECT_EQ(names.back(), "events-000006.jsonl");
    EXPECT_EQ(total, 12);
}

TEST_F(ArchiveSinkTest, closes_an_idle_file_after_max_age) {
    SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}, {"max_age", "100ms"}, {"prefix", "trades"}, {"fsync", "never"}});
    ASSERT_TRUE(sink.start());
    // With fsync: never a batch completes inside write(), before any timer can run.
    EXPECT_TRUE(sink.ack(sink.write(trades(1, 1))).has_value());
    EXPECT_EQ(files(), std::vector<std::string>{"trades-000001.jsonl.part"});

    sink.advance(std::chrono::milliseconds(250));
    EXPECT_EQ(files(), std::vector<std::string>{"trades-000001.jsonl"});
    EXPECT_EQ(sink.metric("tickcast_archive_files_total"), 1.0);

    EXPECT_TRUE(sink.ack(sink.write(trades(2, 1))).has_value());  // the next write opens the next file
    EXPECT_EQ(files(), (std::vector<std::string>{"trades-000001.jsonl", "trades-000002.jsonl.part"}));
}

TEST_F(ArchiveSinkTest, interval_policy_acknowledges_batches_together_at_the_next_sync) {
    SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}, {"fsync", "interval"}, {"fsync_interval", "40ms"}});
    ASSERT_TRUE(sink.start());
    const auto a = sink.write(trades(1, 1));
    const auto b = sink.write(trades(2, 1));
    EXPECT_EQ(sink.pending(), 2u) << "nothing is acknowledged before its fsync, which only the timer runs";

    ASSERT_TRUE(sink.wait_for_all_acks());
    EXPECT_TRUE(sink.ack(a)->ok);
    EXPECT_TRUE(sink.ack(b)->ok);
    EXPECT_EQ(sink.metric("tickcast_archive_fsync_seconds"), 1.0) << "one fsync covered both batches";
}

TEST_F(ArchiveSinkTest, continues_numbering_and_completes_a_file_left_by_a_crash) {
    fs::create_directories(dir);
    std::ofstream(dir / "events-000003.jsonl") << "{\"seq\":1}\n";
    std::ofstream(dir / "events-000004.jsonl.part") << "{\"seq\":2}\n{\"seq\":3,\"payl";  // torn last line

    SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}});
    ASSERT_TRUE(sink.start());
    EXPECT_TRUE(sink.logged("events-000004.jsonl.part left open by an earlier run"));
    EXPECT_EQ(lines(dir / "events-000004.jsonl"), std::vector<std::string>{"{\"seq\":2}"});

    ASSERT_TRUE(sink.wait_for_ack(sink.write(trades(5, 1))));
    EXPECT_TRUE(fs::exists(dir / "events-000005.jsonl.part"));
}

TEST_F(ArchiveSinkTest, start_fails_with_the_reason_when_dir_cannot_be_created) {
    std::ofstream(dir.string()) << "a file where the folder should be";
    SinkHarness sink(library, "jsonl_archive", {{"dir", (dir / "sub").string()}});
    EXPECT_FALSE(sink.start());
    ASSERT_EQ(sink.failures().size(), 1u);
    EXPECT_NE(sink.failures()[0].find("test/jsonl_archive: start threw:"), std::string::npos) << sink.failures()[0];
    fs::remove(dir);
}

TEST_F(ArchiveSinkTest, bad_options_are_refused_as_tickcastd_would) {
    try {
        SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}, {"fsync", "sometimes"}});
        FAIL() << "expected a ConfigError";
    } catch (const tickcast::ConfigError& e) {
        EXPECT_EQ(e.message(), "fsync must be batch, interval or never, got 'sometimes'");
    }
    try {
        SinkHarness sink(library, "jsonl_archive", {{"dir", dir.string()}, {"max_sise", "1KiB"}});
        FAIL() << "expected a ConfigError";
    } catch (const tickcast::ConfigError& e) {
        EXPECT_NE(e.message().find("unknown option 'max_sise' for plugin 'jsonl_archive' (did you mean 'max_size'?)"), std::string::npos)
            << e.message();
    }
}
