// tickcast::testing against the bundled plugins, the broken ones in
// tests/bad_plugins, and plugins defined right here (from_registration).
#include <gtest/gtest.h>

#include <thread>

#include <tickcast/testing.hpp>

using namespace std::chrono_literals;
using tickcast::testing::PluginLibrary;
using tickcast::testing::SinkHarness;
using tickcast::testing::SourceHarness;
using tickcast::testing::StageHarness;
using tickcast::testing::event;

namespace {

const std::string plugin_dir = TICKCAST_PLUGIN_DIR;
const std::string bad_dir = TICKCAST_BAD_PLUGIN_DIR;

PluginLibrary mock() { return PluginLibrary::load(plugin_dir + "/libtickcast_mock.so"); }

// A sink that completes each batch from a thread of its own, as a client
// library's delivery callback would, and from there fails the context on
// "fatal".
class ThreadedSink final : public tickcast::Sink {
public:
    ~ThreadedSink() override {
        for (std::thread& t : threads_) t.join();
    }
    void start(tickcast::SinkContext& context) override { context_ = &context; }
    void write(tickcast::BatchRef batch, tickcast::Completion done) override {
        const bool fatal = batch->front().payload_view() == "fatal";
        threads_.emplace_back([this, fatal, d = std::move(done)]() mutable {
            std::this_thread::sleep_for(5ms);
            if (fatal) context_->fail("the broker said no");
            d();
        });
    }

private:
    tickcast::SinkContext* context_ = nullptr;
    std::vector<std::thread> threads_;
};

void register_threaded(tickcast::PluginRegistry& r) {
    r.add_sink({"threaded_sink", tickcast::PluginKind::sink, "completes from another thread", {}},
               [](const tickcast::ConfigNode&) { return std::make_unique<ThreadedSink>(); });
}

// A resource and a sink that appends what it receives to it, named by an
// option of type resource.
struct Journal final : tickcast::Resource {
    std::vector<std::string> lines;
};

class JournalSink final : public tickcast::Sink {
public:
    explicit JournalSink(const tickcast::ConfigNode& o) : journal_name_(o["journal"].as_string()) {}
    void start(tickcast::SinkContext& context) override { journal_ = context.resource_as<Journal>(journal_name_); }
    void write(tickcast::BatchRef batch, tickcast::Completion done) override {
        for (const tickcast::Event& e : *batch) journal_->lines.emplace_back(e.payload_view());
        done();
    }

private:
    std::string journal_name_;
    std::shared_ptr<Journal> journal_;
};

void register_journal(tickcast::PluginRegistry& r) {
    r.add_sink({"journal_sink", tickcast::PluginKind::sink, "appends payloads to a journal",
                {{"journal", tickcast::OptionType::resource, true, "", "the journal", "journal"}}},
               [](const tickcast::ConfigNode& o) { return std::make_unique<JournalSink>(o); });
}

}  // namespace

TEST(SinkHarness, gives_the_plugin_the_resources_the_test_declares) {
    const auto library = PluginLibrary::from_registration(register_journal);
    auto journal = std::make_shared<Journal>();
    SinkHarness sink(library, "journal_sink", {{"journal", "j"}}, {{"j", "journal", journal}});
    ASSERT_TRUE(sink.start());
    ASSERT_TRUE(sink.wait_for_ack(sink.write({event("a", "one"), event("a", "two")})));
    EXPECT_EQ(journal->lines, (std::vector<std::string>{"one", "two"}));

    EXPECT_THROW(SinkHarness(library, "journal_sink", {{"journal", "j"}}, {{"j", "redis", journal}}), tickcast::ConfigError)
        << "a resource of the wrong plugin is refused, as in a config";
    EXPECT_THROW(SinkHarness(library, "journal_sink", {{"journal", "missing"}}), tickcast::ConfigError);
}

TEST(SinkHarness, reports_each_batch_outcome_as_the_sink_completes_it) {
    SinkHarness sink(mock(), "fail_sink", {{"fail_every", "2"}});
    ASSERT_TRUE(sink.start());
    const auto first = sink.write({event("a", "1")});
    const auto second = sink.write({event("a", "2")});
    ASSERT_TRUE(sink.wait_for_all_acks());
    EXPECT_TRUE(sink.ack(first)->ok);
    EXPECT_FALSE(sink.ack(second)->ok);
    EXPECT_EQ(sink.ack(second)->error, "fail_sink: event #2 fails by configuration");
    ASSERT_EQ(sink.acks().size(), 2u);
    EXPECT_EQ(sink.acks()[0].id, first);
}

TEST(SinkHarness, advance_runs_the_sinks_timers_for_that_long) {
    SinkHarness sink(mock(), "fail_sink", {{"delay", "200ms"}});
    ASSERT_TRUE(sink.start());
    const auto id = sink.write({event("a", "1")});
    sink.advance(20ms);
    EXPECT_EQ(sink.pending(), 1u);
    sink.advance(300ms);
    ASSERT_TRUE(sink.ack(id).has_value());
    EXPECT_TRUE(sink.ack(id)->ok);
}

TEST(SinkHarness, completions_from_other_threads_and_context_failures_are_recorded) {
    SinkHarness sink(PluginLibrary::from_registration(register_threaded), "threaded_sink");
    ASSERT_TRUE(sink.start());
    sink.write({event("a", "ok")});
    sink.write({event("a", "fatal")});
    ASSERT_TRUE(sink.wait_for_all_acks());
    EXPECT_TRUE(sink.acks()[0].status.ok && sink.acks()[1].status.ok);
    EXPECT_EQ(sink.failures(), std::vector<std::string>{"test/threaded_sink: the broker said no"});
}

TEST(SinkHarness, options_are_checked_like_a_config_entry) {
    try {
        SinkHarness sink(mock(), "capture_sink", {{"pth", "/tmp/x"}});
        FAIL() << "expected a ConfigError";
    } catch (const tickcast::ConfigError& e) {
        EXPECT_EQ(e.message(), "unknown option 'pth' for plugin 'capture_sink' (did you mean 'path'?); its options are: path, format");
    }
    EXPECT_THROW(SinkHarness(mock(), "fail_sink", {{"delay", "soon"}}), tickcast::ConfigError);
}

TEST(SinkHarness, the_plugin_must_be_of_the_harnessed_kind) {
    try {
        SinkHarness sink(mock(), "mock_source");
        FAIL() << "expected std::out_of_range";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("registers no sink named 'mock_source'"), std::string::npos) << e.what();
    }
}

TEST(SourceHarness, captures_emits_and_holds_the_source_to_its_capacity) {
    SourceHarness source(mock(), "mock_source",
                         {{"events", "[{channel: t.A, payload: x}, {channel: t.B, payload: y}]"}, {"repeat", "3"}, {"batch", "2"}});
    source.set_auto_ack(false);
    source.set_capacity(2);
    ASSERT_TRUE(source.start());
    ASSERT_TRUE(source.run_until_events(2));
    source.advance(20ms);
    ASSERT_EQ(source.emitted().size(), 1u) << "nothing more while 2 events are unacknowledged";

    source.set_auto_ack(true);
    source.ack(source.emitted()[0].token);
    ASSERT_TRUE(source.run_until_done());
    const auto events = source.events();
    ASSERT_EQ(events.size(), 6u);
    EXPECT_EQ(events[4].channel, "t.A");
    EXPECT_EQ(events[4].seq, 3u);
    EXPECT_EQ(events[5].payload_view(), "y");
    EXPECT_TRUE(source.logged("emitted 6 events"));
}

// A generator's failed batch cannot be made again: it reports the batch's
// events lost, once, with the sink's reason; a successful ack reports nothing.
TEST(SourceHarness, a_generator_reports_a_failed_batch_lost) {
    SourceHarness source(mock(), "mock_source", {{"events", "[{channel: t.A, payload: x}]"}, {"repeat", "5"}, {"batch", "2"}});
    source.set_auto_ack(false);
    ASSERT_TRUE(source.start());
    ASSERT_TRUE(source.run_until_done());
    ASSERT_EQ(source.emitted().size(), 3u);  // 2 + 2 + 1
    source.ack(source.emitted()[0].token);
    source.ack(source.emitted()[1].token, tickcast::Status::failure("the sink is full"));
    source.ack(source.emitted()[1].token, tickcast::Status::failure("the same batch again"));  // counted once
    source.ack(source.emitted()[2].token, tickcast::Status::failure("gone"));
    EXPECT_EQ(source.lost(), 3u);
    EXPECT_EQ(source.lost_reasons(), (std::vector<std::string>{"the sink is full", "gone"}));
}

TEST(StageHarness, an_exception_from_process_is_recorded_not_thrown) {
    StageHarness stage(PluginLibrary::load(bad_dir + "/libbad_explode_stage.so"), "explode_stage", {{"trigger", "boom"}});
    ASSERT_TRUE(stage.start());
    const auto out = stage.process({event("a", "fine"), event("a", "also fine")});
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->size(), 2u);
    EXPECT_FALSE(stage.process({event("a", "boom")}).has_value());
    EXPECT_EQ(stage.failures(), std::vector<std::string>{"test/explode_stage: process threw: exploded on 'boom'"});
}

TEST(PluginLibrary, a_library_of_another_abi_is_refused_with_tickcastds_reason) {
    try {
        PluginLibrary::load(bad_dir + "/libbad_abi_mismatch.so");
        FAIL() << "expected a LoadError";
    } catch (const tickcast::testing::LoadError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "tickcast plugin library " + bad_dir + "/libbad_abi_mismatch.so refused: ABI mismatch: the library was built for "
                  "tickcast plugin ABI 999 (SDK " TICKCAST_SDK_VERSION "), this tickcastd speaks ABI 2 (SDK " TICKCAST_SDK_VERSION
                  "); rebuild the plugin against this SDK");
    }
}

TEST(PluginLibrary, lists_what_a_library_registers) {
    const auto plugins = mock().plugins();
    ASSERT_EQ(plugins.size(), 3u);
    EXPECT_EQ(mock().info("mock_source", tickcast::PluginKind::source).options.front().name, "events");
}
