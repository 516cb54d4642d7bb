// The shipped push configs differ only in the plugin name and its options,
// and both deliver the same stream to the gateway pipeline.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

using namespace tickcast::test;

namespace {

std::vector<boost::json::object> gateway_output(const std::string& config_name, const RedisServer& redis) {
    TempDir dir;
    std::string text = Process::slurp(TICKCAST_SOURCE_DIR "/configs/" + config_name);
    text = std::regex_replace(text, std::regex("redis://127\\.0\\.0\\.1:6379/0"), redis.url());
    text = std::regex_replace(text, std::regex("/dev/stdout"), dir.file("out.jsonl"));
    text = std::regex_replace(text, std::regex("rate: 10"), "rate: 200");
    DaemonProcess d(dir.write("c.yaml", text));
    EXPECT_TRUE(eventually([&] { return read_jsonl(dir.file("out.jsonl")).size() >= 300; })) << d.process().err();
    d.process().signal(SIGTERM);
    EXPECT_EQ(d.process().wait(), 0) << d.process().err();
    return read_jsonl(dir.file("out.jsonl"));
}

}  // namespace

TEST(PushConfigs, pubsub_and_stream_configs_differ_only_in_the_push_plugin_and_deliver_alike) {
    const std::string a = Process::slurp(TICKCAST_SOURCE_DIR "/configs/push-pubsub.yaml");
    const std::string b = Process::slurp(TICKCAST_SOURCE_DIR "/configs/push-stream.yaml");
    auto body = [](const std::string& s) {  // the YAML without comments
        return std::regex_replace(s, std::regex("(^|\\n)#[^\\n]*"), "");
    };
    const std::string swapped = std::regex_replace(
        std::regex_replace(body(a), std::regex(R"(\{plugin: redis_pubsub, redis: cache\})"), "{plugin: redis_stream, redis: cache, maxlen: 10000}"),
        std::regex(R"(channels: \["trades\.\*", "depth\.\*"\]\})"), R"(channels: ["trades.*", "depth.*"], start: new})");
    EXPECT_EQ(std::regex_replace(swapped, std::regex("redis_pubsub"), "redis_stream"), body(b));

    RedisServer redis;
    const auto via_pubsub = gateway_output("push-pubsub.yaml", redis);
    const auto via_stream = gateway_output("push-stream.yaml", redis);
    // Per channel, both deliver the same events in seq order, gap-free from
    // where they joined (the publisher in the same daemon may have sent the
    // first few before the subscription or the `start: new` point).
    auto per_channel = [](const std::vector<boost::json::object>& events) {
        std::map<std::string, std::map<std::uint64_t, std::string>> out;
        for (const auto& e : events) {
            auto& list = out[std::string(e.at("channel").as_string())];
            const auto seq = e.at("seq").to_number<std::uint64_t>();
            EXPECT_TRUE(list.empty() || seq == list.rbegin()->first + 1) << "out of order or gap at " << seq;
            list[seq] = boost::json::serialize(e.at("payload"));
        }
        return out;
    };
    auto pubsub = per_channel(via_pubsub), stream = per_channel(via_stream);
    ASSERT_EQ(pubsub.size(), 2u);
    ASSERT_EQ(stream.size(), 2u);
    for (const auto& [channel, by_seq] : stream) {
        std::size_t common = 0;
        for (const auto& [seq, payload] : pubsub[channel])
            if (auto it = by_seq.find(seq); it != by_seq.end()) {
                EXPECT_EQ(payload, it->second) << channel << " seq " << seq;
                ++common;
            }
        EXPECT_GE(common, 50u) << channel;
    }
}
