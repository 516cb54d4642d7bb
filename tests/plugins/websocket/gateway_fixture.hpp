// A gateway under test: tickcastd in a child process running
//   redis_stream (exact channels) -> websocket_server (cache: the same Redis)
// on a fresh key prefix, so each test writes its events (XADD) and its cache
// contents (HSET, LPUSH) straight into a real redis-server. With
// Feed::pubsub the source is redis_pubsub and events go out with PUBLISH.
#pragma once

#include <regex>

#include <tickcast/event.hpp>

#include "wire.hpp"

#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"
#include "support/ws_client.hpp"

namespace tickcast::test {

class GatewayUnderTest {
public:
    enum class Feed { stream, pubsub };

    // `gateway_options`: extra YAML flow-map entries for websocket_server, e.g. ", heartbeat: 200ms".
    // `env`: extra NAME=VALUE for the daemon's environment.
    explicit GatewayUnderTest(const std::string& gateway_options = "", const std::string& channels = "trades.X, depth.X, ticker.X",
                              std::vector<std::string> env = {}, Feed feed = Feed::stream)
        : feed_(feed), prefix_("ws" + std::to_string(::getpid()) + "_" + std::to_string(counter()++) + ":"), redis_(shared_redis().connect()) {
        const std::string yaml =
            "resources:\n  cache: {plugin: redis, url: \"" + shared_redis().url() + "\"}\n"
            "pipelines:\n  gateway:\n"
            "    source: {plugin: " + std::string(feed == Feed::stream ? "redis_stream" : "redis_pubsub") + ", redis: cache, prefix: \"" +
            prefix_ + "\", channels: [" + channels + "]" + (feed == Feed::stream ? ", start: all, block: 20ms" : "") + "}\n"
            "    sinks:\n"
            "      - {plugin: websocket_server, listen: \"127.0.0.1:0\", cache: cache, prefix: \"" + prefix_ + "\"" + gateway_options + "}\n"
            "      - {plugin: websocket_server, name: no_cache, listen: \"127.0.0.1:0\"}\n";
        daemon_ = std::make_unique<DaemonProcess>(dir_.write("gateway.yaml", yaml), std::move(env));
        std::smatch m;
        const bool up = eventually([&] {
            const std::string err = daemon_->process().err();
            static const std::regex re(R"(websocket gateway on ws://([0-9.]+:\d+)/ \((no cache)?)");
            for (std::sregex_iterator it(err.begin(), err.end(), re), e; it != e; ++it)
                ((*it)[2].matched ? no_cache_address_ : address_) = (*it)[1];
            return !address_.empty() && !no_cache_address_.empty();
        });
        if (!up) throw std::runtime_error("the gateway did not start: " + daemon_->process().err());
        if (feed == Feed::pubsub) {  // one SUBSCRIBE for all channels: subscribed to the first, subscribed to all
            eventually([&] {
                Reply r = command(redis_.get(), {"PUBSUB", "NUMSUB", prefix_ + channels.substr(0, channels.find(','))});
                return r && r->type == REDIS_REPLY_ARRAY && r->element[1]->integer >= 1;
            });
        }
        // Its cache connection comes up asynchronously (REST answers 503 until then).
        eventually([&] { return http_get(address_, "/api/v1/depth?symbol=_").find(" 503 ") == std::string::npos; });
    }
    ~GatewayUnderTest() {
        if (!stopped_) stop();
    }
    // SIGTERM, as a service manager stops it; the daemon's exit status.
    int stop() {
        stopped_ = true;
        daemon_->process().signal(SIGTERM);
        return daemon_->process().wait(std::chrono::seconds(10));
    }

    const std::string& address() const { return address_; }
    const std::string& no_cache_address() const { return no_cache_address_; }
    const std::string& prefix() const { return prefix_; }
    DaemonProcess& daemon() { return *daemon_; }
    std::string log() { return daemon_->process().err(); }
    double metric(const std::string& name) { return daemon_->metric(name + R"({pipeline="gateway",plugin="websocket_server"})"); }

    // An event as redis_stream's sink would write it.
    void publish(const std::string& channel, std::uint64_t seq, const std::string& payload) {
        if (feed_ == Feed::pubsub) {
            tickcast::Event e;
            e.seq = seq;
            e.key = "X";
            e.payload = tickcast::make_payload(payload);
            send_message(channel, e);
            return;
        }
        const std::string id = std::to_string(seq) + "-0";
        Reply r = command(redis_.get(), {"XADD", prefix_ + channel, id, "seq", std::to_string(seq), "ts", std::to_string(tickcast::now_ns()),
                                         "key", "X", "hops", "-", "payload", payload});
        if (!r || r->type == REDIS_REPLY_ERROR) throw std::runtime_error("XADD failed");
    }
    // Feed::pubsub: the heartbeat redis_pubsub's sink sends for a quiet channel.
    void heartbeat(const std::string& channel, std::uint64_t seq) {
        tickcast::Event e;
        e.seq = seq;
        e.flags = tickcast::event_flags::heartbeat;
        send_message(channel, e);
    }
    // Cache contents as redis_cache would keep them.
    void cache(const std::vector<std::string>& args) {
        std::vector<std::string> a = args;
        a[1] = prefix_ + a[1];
        command(redis_.get(), a);
    }

private:
    void send_message(const std::string& channel, tickcast::Event& e) {
        e.origin_ns = tickcast::now_ns();
        Reply r = command(redis_.get(), {"PUBLISH", prefix_ + channel, tickcast::redis::encode_message(e)});
        if (!r || r->type == REDIS_REPLY_ERROR) throw std::runtime_error("PUBLISH failed");
    }

    static int& counter() {
        static int n = 0;
        return n;
    }
    TempDir dir_;
    Feed feed_;
    std::string prefix_;
    std::unique_ptr<redisContext, void (*)(redisContext*)> redis_;
    std::unique_ptr<DaemonProcess> daemon_;
    std::string address_, no_cache_address_;
    bool stopped_ = false;
};

inline std::uint64_t seq_of(const boost::json::object& m) { return m.at("seq").to_number<std::uint64_t>(); }
inline std::string str(const boost::json::object& m, const char* key) { return std::string(m.at(key).as_string().c_str()); }

}  // namespace tickcast::test
