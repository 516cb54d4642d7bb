// Private orders.<user> channels over real sockets: access tokens minted the
// documented way (scripts/token.sh, i.e. the openssl CLI) and by the
// gateway's own TokenVerifier; the owner is let in, everyone else refused
// with the documented error code.
#include <gtest/gtest.h>

#include "auth_token.hpp"
#include "gateway_fixture.hpp"

using namespace tickcast::test;
namespace json = boost::json;

namespace {

const std::string secret = "test-secret-0123456789";
const std::string auth_options = ", auth_secret: \"" + secret + "\"";

std::int64_t unix_now() { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string token_for(const std::string& user, std::int64_t ttl = 3600) {
    return tickcast::websocket::TokenVerifier(secret).mint(user, unix_now() + ttl);
}

// scripts/token.sh, as the docs tell operators to mint tokens.
std::string token_from_script(const std::string& user, const std::string& ttl) {
    Process p({"/bin/bash", TICKCAST_SOURCE_DIR "/scripts/token.sh", user, ttl}, {"TICKCAST_AUTH_SECRET=" + secret});
    EXPECT_EQ(p.wait(std::chrono::seconds(10)), 0) << p.err();
    std::string out = p.out();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

json::object request(WsClient& c, const std::string& text) {
    c.send(text);
    auto m = c.read_json();
    if (!m) throw std::runtime_error("no answer to " + text);
    return *m;
}

std::string auth(const std::string& token, int id = 1) {
    return R"({"op":"auth","token":")" + token + R"(","id":)" + std::to_string(id) + "}";
}

}  // namespace

TEST(WebSocketAuth, the_owner_gets_its_orders_channel_and_other_users_are_refused) {
    GatewayUnderTest g(auth_options, "orders.alice, orders.bob");
    WsClient alice(g.address());
    const std::string token = token_from_script("alice", "600");
    ASSERT_FALSE(token.empty());
    auto ack = request(alice, auth(token));
    EXPECT_EQ(str(ack, "type"), "ack") << json::serialize(ack);
    EXPECT_EQ(str(ack, "op"), "auth");
    EXPECT_EQ(str(ack, "user"), "alice");
    EXPECT_NEAR(double(ack.at("expires").as_int64()), double(unix_now() + 600), 5);

    EXPECT_EQ(str(request(alice, R"({"op":"subscribe","channels":["orders.alice"],"id":2})"), "type"), "ack");
    auto refused = request(alice, R"({"op":"subscribe","channels":["orders.bob"],"id":3})");
    EXPECT_EQ(str(refused, "code"), "forbidden");
    EXPECT_EQ(str(refused, "channel"), "orders.bob");
    EXPECT_EQ(refused.at("id").as_int64(), 3);
    // Another user's token on the same connection does not switch users.
    EXPECT_EQ(str(request(alice, auth(token_for("bob"), 4)), "code"), "forbidden");

    WsClient anonymous(g.address());
    EXPECT_EQ(str(request(anonymous, R"({"op":"subscribe","channels":["orders.alice"],"id":1})"), "code"), "auth_required");

    g.publish("orders.bob", 1, R"({"type":"order","user":"bob"})");
    g.publish("orders.alice", 1, R"({"type":"order","user":"alice","status":"accepted"})");
    auto e = alice.read_type("event");
    ASSERT_TRUE(e);
    EXPECT_EQ(str(*e, "channel"), "orders.alice");
    EXPECT_EQ(str(e->at("data").as_object(), "status"), "accepted");
    EXPECT_EQ(g.daemon().metric(R"(tickcast_websocket_auth_total{pipeline="gateway",plugin="websocket_server",result="ok"})"), 1);
}

TEST(WebSocketAuth, bad_signature_malformed_and_expired_tokens_get_their_codes) {
    GatewayUnderTest g(auth_options, "orders.alice");
    WsClient c(g.address());
    std::string forged = token_for("alice");
    forged.back() = forged.back() == '0' ? '1' : '0';
    EXPECT_EQ(str(request(c, auth(forged)), "code"), "bad_token");
    const std::string other_secret = tickcast::websocket::TokenVerifier("another-secret-0123456").mint("alice", unix_now() + 60);
    EXPECT_EQ(str(request(c, auth(other_secret)), "code"), "bad_token");
    for (const char* junk : {"alice", "alice.123", "..", "alice.soon.abcdef", "al ice.99999999999.00"})
        EXPECT_EQ(str(request(c, auth(junk)), "code"), "bad_token") << junk;
    auto expired = request(c, auth(token_from_script("alice", "-5"), 9));
    EXPECT_EQ(str(expired, "code"), "token_expired");
    EXPECT_EQ(expired.at("id").as_int64(), 9);
    EXPECT_EQ(str(request(c, R"({"op":"auth"})"), "code"), "bad_request");
    EXPECT_EQ(str(request(c, R"({"op":"subscribe","channels":["orders.alice"]})"), "code"), "auth_required");
    EXPECT_EQ(g.daemon().metric(R"(tickcast_websocket_auth_total{pipeline="gateway",plugin="websocket_server",result="refused"})"), 8);
}

TEST(WebSocketAuth, a_token_in_the_url_query_authenticates_the_connection) {
    GatewayUnderTest g(auth_options, "orders.alice");
    WsClient c(g.address(), "", 0, "/?token=" + token_for("alice"));
    auto ack = c.read_json();
    ASSERT_TRUE(ack);
    EXPECT_EQ(json::serialize(*ack).find(R"({"type":"ack","op":"auth","user":"alice","expires":)"), 0u) << json::serialize(*ack);
    EXPECT_EQ(str(request(c, R"({"op":"subscribe","channels":["orders.alice"],"id":2})"), "type"), "ack");
    g.publish("orders.alice", 1, R"({"status":"filled"})");
    EXPECT_TRUE(c.read_type("event"));

    WsClient bad(g.address(), "", 0, "/?token=alice.1.00");
    auto error = bad.read_json();
    ASSERT_TRUE(error);
    EXPECT_EQ(str(*error, "code"), "bad_token");
    EXPECT_EQ(str(request(bad, R"({"op":"subscribe","channels":["orders.alice"]})"), "code"), "auth_required");
}

TEST(WebSocketAuth, private_subscriptions_end_when_the_token_expires) {
    GatewayUnderTest g(auth_options, "orders.alice");
    WsClient c(g.address());
    EXPECT_EQ(str(request(c, auth(token_for("alice", 2))), "type"), "ack");
    EXPECT_EQ(str(request(c, R"({"op":"subscribe","channels":["orders.alice"]})"), "type"), "ack");
    auto ended = c.read_type("error", std::chrono::seconds(5));
    ASSERT_TRUE(ended);
    EXPECT_EQ(str(*ended, "code"), "token_expired");
    EXPECT_EQ(str(*ended, "channel"), "orders.alice");
    EXPECT_EQ(str(request(c, R"({"op":"subscribe","channels":["orders.alice"]})"), "code"), "token_expired");
}

TEST(WebSocketAuth, the_secret_comes_from_the_named_environment_variable_and_without_one_private_channels_are_unavailable) {
    GatewayUnderTest g(", auth_secret_env: TICKCAST_TEST_WS_SECRET", "orders.alice", {"TICKCAST_TEST_WS_SECRET=" + secret});
    WsClient c(g.address());
    EXPECT_EQ(str(request(c, auth(token_for("alice"))), "type"), "ack");
    EXPECT_EQ(g.log().find(secret), std::string::npos) << "the secret is never logged";

    GatewayUnderTest plain;
    WsClient p(plain.address());
    EXPECT_EQ(str(request(p, auth(token_for("alice"))), "code"), "auth_unavailable");
    EXPECT_EQ(str(request(p, R"({"op":"subscribe","channels":["orders.alice"]})"), "code"), "auth_unavailable");
}

TEST(WebSocketAuth, a_python_client_mints_tokens_from_the_documented_format) {
    GatewayUnderTest g(auth_options, "orders.carol");
    Process py({"/usr/bin/python3", TICKCAST_SOURCE_DIR "/tests/plugins/websocket/python_client.py", "--auth", secret, "ws://" + g.address() + "/"});
    EXPECT_EQ(py.wait(std::chrono::seconds(30)), 0) << py.out() << py.err();
    EXPECT_NE(py.out().find("OK"), std::string::npos) << py.out() << py.err();
}
