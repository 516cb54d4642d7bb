// The loader refuses what it cannot use, with a message saying why, and
// never crashes on a bad library.
#include <gtest/gtest.h>

#include <tickcast/tickcast.hpp>

#include "loader/plugin_catalog.hpp"
#include "support/process.hpp"

using namespace tickcast;
using namespace tickcast::core;

namespace {
const std::string bad_dir = TICKCAST_BAD_PLUGIN_DIR;
}

TEST(PluginCatalog, finds_bundled_plugins_with_their_kinds) {
    PluginCatalog c({TICKCAST_PLUGIN_DIR});
    c.scan();
    ASSERT_NE(c.find("mock_source"), nullptr);
    EXPECT_EQ(c.find("mock_source")->info.kind, PluginKind::source);
    EXPECT_EQ(c.find("file_sink")->info.kind, PluginKind::sink);
    EXPECT_EQ(c.find("file_sink")->library_name, "file");
    EXPECT_TRUE(c.refused().empty());
}

TEST(PluginCatalog, library_without_handshake_is_not_a_plugin) {
    PluginCatalog c({});
    EXPECT_EQ(c.load_library(bad_dir + "/libbad_no_handshake.so"),
              "not a tickcast plugin: it exports no 'tickcast_handshake' symbol (build it with TICKCAST_PLUGIN_LIBRARY)");
}

TEST(PluginCatalog, abi_mismatch_names_both_versions) {
    PluginCatalog c({});
    const std::string why = c.load_library(bad_dir + "/libbad_abi_mismatch.so");
    EXPECT_EQ(why, "ABI mismatch: the library was built for tickcast plugin ABI 999 (SDK " TICKCAST_SDK_VERSION
                   "), this tickcastd speaks ABI 2 (SDK " TICKCAST_SDK_VERSION "); rebuild the plugin against this SDK");
    EXPECT_EQ(c.find("future_sink"), nullptr);
}

TEST(PluginCatalog, registration_that_throws_is_refused) {
    PluginCatalog c({});
    EXPECT_EQ(c.load_library(bad_dir + "/libbad_register_throws.so"), "its registration threw: registration exploded on purpose");
}

TEST(PluginCatalog, file_that_is_not_a_library_is_refused) {
    tickcast::test::TempDir dir;
    dir.write("libjunk.so", "this is not an ELF file\n");
    PluginCatalog c({});
    const std::string why = c.load_library(dir.file("libjunk.so"));
    EXPECT_EQ(why.rfind("cannot load: ", 0), 0u) << why;
}

TEST(PluginCatalog, not_found_lists_folders_searched_and_refused_libraries) {
    PluginCatalog c({TICKCAST_PLUGIN_DIR, bad_dir});
    c.scan();
    EXPECT_EQ(c.find("future_sink"), nullptr);
    const std::string msg = c.not_found_message("future_sink");
    EXPECT_NE(msg.find("unknown plugin 'future_sink'; searched " TICKCAST_PLUGIN_DIR ", " + bad_dir), std::string::npos) << msg;
    EXPECT_NE(msg.find("refused " + bad_dir + "/libbad_abi_mismatch.so: ABI mismatch"), std::string::npos) << msg;
    EXPECT_EQ(c.refused().size(), 3u);
    // The good plugins in the same scan are unaffected.
    EXPECT_NE(c.find("capture_sink"), nullptr);
}

TEST(PluginCatalog, abi_check_reports_each_toolchain_difference) {
    AbiInfo theirs = make_abi_info("x", "1");
    EXPECT_EQ(check_abi(theirs), "");
    theirs.boost_version = 107400;
    theirs.event_size = 8;
    const std::string why = check_abi(theirs);
    EXPECT_NE(why.find("Boost version 107400 vs " + std::to_string(BOOST_VERSION)), std::string::npos) << why;
    EXPECT_NE(why.find("sizeof(Event) 8 vs"), std::string::npos) << why;
    theirs.magic = 1;
    EXPECT_EQ(check_abi(theirs), "not a tickcast plugin: its handshake has the wrong magic number");
}

TEST(PluginCatalog, instances_outlive_the_catalog_that_loaded_them) {
    std::shared_ptr<void> library;
    std::unique_ptr<Sink> sink;
    {
        PluginCatalog c({TICKCAST_PLUGIN_DIR});
        c.scan();
        const LoadedPlugin* p = c.find("capture_sink");
        ASSERT_NE(p, nullptr);
        library = p->library;
        sink = std::get<Factory<Sink>>(p->factory)(ConfigNode(YAML::Load("{}"), nullptr));
    }
    // The catalog is gone; the library is still mapped through `library`.
    bool completed = false;
    struct Target : CompletionTarget {
        bool* flag;
        void complete(std::uint64_t, Status s) noexcept override { *flag = s.ok; }
    };
    auto target = std::make_shared<Target>();
    target->flag = &completed;
    sink->write(std::make_shared<const EventBatch>(EventBatch(3)), Completion(target, 1));
    EXPECT_TRUE(completed);
    sink.reset();
    library.reset();
}
