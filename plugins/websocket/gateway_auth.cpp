// Gateway: access tokens and who may subscribe to private orders.<user> channels.
#include "gateway.hpp"

#include <chrono>

#include "websocket_session.hpp"

namespace tickcast::websocket {

namespace {
std::int64_t unix_seconds() { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); }
}  // namespace

std::pair<std::string_view, std::string> Gateway::refusal(const WebSocketSession& session, const std::string& name) const {
    const auto [kind, user] = split_channel(name);
    if (kind != "orders") return {};
    if (!tokens_) return {error_code::auth_unavailable, "private channels need authentication, and this gateway has no auth_secret"};
    if (session.user().empty())
        return {error_code::auth_required, "private channel: send {\"op\":\"auth\",\"token\":...} first (or connect with ?token=)"};
    if (session.auth_expires() <= unix_seconds())
        return {error_code::token_expired, "the connection's token expired at " + std::to_string(session.auth_expires()) + "; send a new one"};
    if (user != session.user())
        return {error_code::forbidden, "the connection is authenticated as '" + session.user() + "'; only orders." + session.user() + " is yours"};
    return {};
}

void Gateway::authenticate(WebSocketSession& session, const boost::json::value& id, std::string_view token) {
    const auto refuse = [&](std::string_view code, const std::string& message) {
        counters_.auth_failed->Increment();
        counters_.client_errors->Increment();
        session.send(encode_error(id, code, message));
    };
    if (!tokens_) return refuse(error_code::auth_unavailable, "this gateway has no auth_secret configured");
    const TokenCheck check = tokens_->verify(token, unix_seconds());
    if (!check.ok) return refuse(check.code, check.message);
    if (!session.user().empty() && session.user() != check.user)
        return refuse(error_code::forbidden, "the connection is already authenticated as '" + session.user() +
                                                 "'; open another connection for '" + check.user + "'");
    counters_.auth_ok->Increment();
    session.authenticated(check.user, check.expires);
    session.send(encode_auth_ack(id, check.user, check.expires));
}

void Gateway::token_expired(WebSocketSession& session) {
    std::vector<std::string> private_channels;
    for (const std::string& name : session.subscriptions())
        if (split_channel(name).first == "orders") private_channels.push_back(name);
    for (const std::string& name : private_channels) {
        session.subscriptions().erase(name);
        if (auto it = channels_.find(name); it != channels_.end()) drop_subscription(it->second, session);
        counters_.client_errors->Increment();
        session.send(encode_error(nullptr, error_code::token_expired,
                                  "the connection's token expired; subscribe again after a new auth", name));
    }
}

void Gateway::drop_subscription(Channel& ch, WebSocketSession& session) {
    ch.subscribers.erase(&session);
    if (ch.subscribers.empty()) {
        ch.recent.clear();
        forget_book(ch);
        // A channel nothing was ever published to holds nothing worth
        // keeping: forget it, or a client naming made-up channels grows the
        // gateway without bound. (Pending cache replies look their channel up.)
        if (ch.last_seq == 0 && ch.epoch_counter == 0) {
            channels_.erase(channels_.find(ch.name));
            counters_.channels->Set(double(channels_.size()));
        }
    }
}

}  // namespace tickcast::websocket
