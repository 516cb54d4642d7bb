// The pipeline runtime in-process: backpressure, acknowledgement of failures,
// and metrics.
#include <gtest/gtest.h>

#include <regex>

#include "support/in_process.hpp"
#include "support/process.hpp"

using namespace tickcast;
using namespace tickcast::core;

namespace {

using tickcast::test::RunResult;
using tickcast::test::run_config;

std::size_t count_lines(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

}  // namespace

TEST(PipelineRuntime, slow_sink_keeps_in_flight_at_or_under_the_bound) {
    tickcast::test::TempDir dir;
    const RunResult r = run_config(
        "pipelines:\n  main:\n    max_in_flight: 50\n"
        "    source: {plugin: mock_source, repeat: 300, batch: 10, events: [{channel: c, payload: x}]}\n"
        "    sinks:\n      - {plugin: fail_sink, delay: 1ms}\n      - {plugin: capture_sink, path: " + dir.file("out.jsonl") + "}\n");
    ASSERT_EQ(r.exit_code, 0);
    const double high_water = r.metric(R"(tickcast_pipeline_in_flight_high_water_events{pipeline="main"})");
    EXPECT_LE(high_water, 50);
    EXPECT_GE(high_water, 40) << "the source should have been faster than the sink and hit the bound";
    EXPECT_EQ(r.metric(R"(tickcast_pipeline_in_flight_events{pipeline="main"})"), 0);
    EXPECT_EQ(r.metric(R"(tickcast_pipeline_lost_events_total{pipeline="main"})"), 0);
    EXPECT_EQ(count_lines(dir.file("out.jsonl")), 300u);
}

// A generator cannot make a failed batch again: the pipeline still delivers
// the other batches, counts the lost events, and the run ends with status 1
// so that a replay or a test run that lost events does not pass.
TEST(PipelineRuntime, failed_batches_are_counted_as_lost_the_others_delivered_and_the_run_fails) {
    tickcast::test::TempDir dir;
    const RunResult r = run_config(
        "pipelines:\n  main:\n"
        "    source: {plugin: mock_source, repeat: 100, batch: 10, events: [{channel: c, payload: x}]}\n"
        "    sinks:\n      - {plugin: fail_sink, fail_every: 25}\n      - {plugin: capture_sink, path: " + dir.file("out.jsonl") + "}\n");
    EXPECT_EQ(r.exit_code, 1);
    // Events 25, 50, 75 and 100 fail, so four batches of 10 fail in fail_sink.
    EXPECT_EQ(r.metric(R"(tickcast_plugin_errors_total{kind="sink",pipeline="main",plugin="fail_sink"})"), 40);
    EXPECT_EQ(r.metric(R"(tickcast_pipeline_lost_events_total{pipeline="main"})"), 40);
    EXPECT_EQ(r.metric(R"(tickcast_plugin_events_out_total{kind="sink",pipeline="main",plugin="capture_sink"})"), 100);
    EXPECT_EQ(count_lines(dir.file("out.jsonl")), 100u);
}

TEST(PipelineRuntime, metrics_count_events_per_plugin) {
    const RunResult r = run_config(
        "pipelines:\n  p1:\n    source: {plugin: mock_source, repeat: 7, events: [{channel: a, payload: x}, {channel: b, payload: y}]}\n"
        "    sinks: [{plugin: capture_sink}]\n");
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.metric(R"(tickcast_plugin_events_out_total{kind="source",pipeline="p1",plugin="mock_source"})"), 14);
    EXPECT_EQ(r.metric(R"(tickcast_plugin_events_in_total{kind="sink",pipeline="p1",plugin="capture_sink"})"), 14);
    EXPECT_NE(r.metrics.find("tickcast_sink_write_seconds_count{pipeline=\"p1\",plugin=\"capture_sink\"}"), std::string::npos);
}

TEST(PipelineRuntime, several_pipelines_run_and_all_finish) {
    tickcast::test::TempDir dir;
    const RunResult r = run_config(
        "daemon: {threads: 2}\npipelines:\n"
        "  a:\n    source: {plugin: mock_source, repeat: 500, events: [{channel: a, payload: x}]}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("a.jsonl") + "}]\n"
        "  b:\n    source: {plugin: mock_source, repeat: 700, events: [{channel: b, payload: y}]}\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("b.jsonl") + "}]\n");
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_EQ(count_lines(dir.file("a.jsonl")), 500u);
    EXPECT_EQ(count_lines(dir.file("b.jsonl")), 700u);
}

TEST(PipelineRuntime, a_stage_that_throws_fails_only_its_batch_and_the_pipeline_goes_on) {
    tickcast::test::TempDir dir;
    const RunResult r = run_config(
        "pipelines:\n  main:\n"
        "    source: {plugin: mock_source, batch: 1, events: [{channel: c, payload: a}, {channel: c, payload: boom}, {channel: c, payload: b}]}\n"
        "    stages: [{plugin: explode_stage, trigger: boom}]\n"
        "    sinks: [{plugin: capture_sink, path: " + dir.file("out.jsonl") + "}]\n");
    EXPECT_EQ(r.exit_code, 1);  // the generator cannot make "boom" again: it is lost
    EXPECT_EQ(r.metric(R"(tickcast_plugin_errors_total{kind="stage",pipeline="main",plugin="explode_stage"})"), 1);
    EXPECT_EQ(r.metric(R"(tickcast_pipeline_lost_events_total{pipeline="main"})"), 1);
    EXPECT_EQ(count_lines(dir.file("out.jsonl")), 2u);
}
