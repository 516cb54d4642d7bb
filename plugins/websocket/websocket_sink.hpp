// websocket_server: the WebSocket gateway as a sink. Listens on `listen`
// (WebSocket and REST on one port), keeps each connection's subscriptions,
// and fans every event it is given out to the subscribers of its channel.
// Delivery to clients is best effort: write() completes at once, and a slow
// client is cut off rather than slowing the pipeline (docs/protocol.md).
#pragma once

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <tickcast/hop_latency.hpp>
#include <tickcast/tickcast.hpp>

#include "gateway.hpp"
#include "gateway_options.hpp"
#include "redis_client.hpp"

namespace tickcast::websocket {

class WebSocketSink final : public Sink {
public:
    explicit WebSocketSink(const ConfigNode& options);
    static OptionSpecs options() { return GatewayOptions::specs(); }

    void start(SinkContext& context) override;
    void write(BatchRef batch, Completion done) override;
    // Shutdown: stop accepting, tell every client it is draining, close them with 1012.
    void flush(Completion done) override;
    ~WebSocketSink() override;
    void stop() override;

    // The bound address (after start), e.g. for tests that listen on port 0.
    boost::asio::ip::tcp::endpoint endpoint() const;

private:
    void accept();
    void handshake(boost::asio::ip::tcp::socket socket);

    GatewayOptions options_;
    std::unique_ptr<boost::asio::ssl::context> tls_;  // with `tls`: every connection starts with a TLS handshake
    std::shared_ptr<redis::RedisClient> redis_;
    std::shared_ptr<Gateway> gateway_;
    std::optional<HopLatency> queued_hop_;  // previous stamp -> queued for every subscriber
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
};

}  // namespace tickcast::websocket
