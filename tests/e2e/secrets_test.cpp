// Security review (docs/reliability.md): secrets a config takes from the
// environment (${VAR}) -- the gateway's auth_secret, a Redis URL's password,
// librdkafka's SASL and OAuth secrets -- never appear in `tickcastd
// validate`'s errors, in the daemon's log (at debug level) or on /metrics.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"
#include "support/ws_client.hpp"

using namespace tickcast::test;

namespace {

const std::vector<std::string> secrets = {"oidc-hunter2-x", "kafka-hunter2-x", "redis-hunter2-x", "ws-hunter2-x"};

void expect_no_secret(const std::string& text, const std::string& where) {
    for (const std::string& s : secrets) EXPECT_EQ(text.find(s), std::string::npos) << s << " appears in " << where << ":\n" << text;
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << "a part of a secret appears in " << where << ":\n" << text;
}

}  // namespace

TEST(Secrets, validate_names_what_is_wrong_without_printing_secrets_from_the_environment) {
    TempDir dir;
    const std::string config = dir.write("secrets.yaml",
        "resources:\n"
        "  bus: {plugin: kafka, brokers: embedded, librdkafka: {sasl.password: \"${TC_T_KAFKA}\", "
        "sasl.oauthbearer.client.secret: \"${TC_T_OIDC}\"}}\n"
        "  cache: {plugin: redis, url: \"${TC_T_REDIS_URL}\"}\n"
        "pipelines:\n"
        "  gateway:\n"
        "    source: {plugin: mock_source, events: [{channel: trades.X, payload: x}]}\n"
        "    sinks: [{plugin: websocket_server, listen: \"127.0.0.1:0\", auth_secret: \"${TC_T_WS}\"}]\n");
    Process p({TICKCAST_DAEMON, "validate", config},
              {"TICKCAST_PLUGIN_PATH=" TICKCAST_PLUGIN_DIR, "TC_T_KAFKA=kafka-hunter2-x", "TC_T_OIDC=oidc-hunter2-x",
               "TC_T_REDIS_URL=rediss://app:redis-hunter2-x@cache.local:6379", "TC_T_WS=ws-hunter2-x"});
    EXPECT_EQ(p.wait(), 2);
    const std::string err = p.err();
    // Each error still says what and where.
    EXPECT_NE(err.find("sasl.oauthbearer.client.secret"), std::string::npos) << err;  // not in Debian's librdkafka build
    EXPECT_NE(err.find("rediss://***@cache.local:6379"), std::string::npos) << err;
    EXPECT_NE(err.find("auth_secret must be at least 16 bytes"), std::string::npos) << err;
    expect_no_secret(err + p.out(), "validate's output");
}

TEST(Secrets, a_running_daemon_logs_and_serves_metrics_without_its_secrets) {
    RedisServer redis({"--requirepass", "redis-hunter2-x"});
    TempDir dir;
    const std::string config = dir.write("secrets.yaml",
        "daemon: {threads: 1, log_level: debug}\n"
        "resources:\n"
        "  bus: {plugin: kafka, brokers: embedded, librdkafka: {sasl.username: app, sasl.password: \"${TC_T_KAFKA}\"}}\n"
        "  cache: {plugin: redis, url: \"${TC_T_REDIS_URL}\"}\n"
        "pipelines:\n"
        "  feed:\n"
        "    source: {plugin: mock_source, repeat: 0, rate: 50, events: [{channel: trades.X, key: X, payload: {type: trade, price: \"1\"}}]}\n"
        "    sinks:\n"
        "      - {plugin: redis_cache, redis: cache}\n"
        "      - {plugin: kafka_sink, cluster: bus, topic: events}\n"
        "      - {plugin: websocket_server, listen: \"127.0.0.1:0\", cache: cache, auth_secret: \"${TC_T_WS}\"}\n");
    DaemonProcess daemon(config, {"TC_T_KAFKA=kafka-hunter2-x", "TC_T_REDIS_URL=redis://:redis-hunter2-x@" + redis.address(),
                                  "TC_T_WS=ws-hunter2-x-0123456789"});
    std::smatch m;
    std::string log;
    ASSERT_TRUE(eventually([&] { return std::regex_search(log = daemon.process().err(), m, std::regex(R"(websocket gateway on ws://([0-9.:]+)/)")); }))
        << log;
    const std::string address = m[1];
    // The cache is reachable with the password (REST answers from it), and a token signed with the secret works.
    ASSERT_TRUE(eventually([&] { return http_get(address, "/api/v1/trades?symbol=X").find(" 200 ") != std::string::npos; })) << daemon.process().err();
    WsClient c(address);
    c.send(R"({"op":"auth","token":")" + std::string("nobody.1.") + std::string(64, '0') + R"("})");
    EXPECT_TRUE(c.read_type("error"));
    const std::string metrics = http_get(daemon.admin(), "/metrics");
    EXPECT_NE(metrics.find("tickcast_websocket_auth_total"), std::string::npos);
    daemon.process().signal(SIGTERM);
    EXPECT_EQ(daemon.process().wait(std::chrono::seconds(20)), 0);
    expect_no_secret(metrics, "/metrics");
    expect_no_secret(daemon.process().err() + daemon.process().out(), "the log");
}
