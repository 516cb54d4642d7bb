#include "websocket_sink.hpp"

#include "http_session.hpp"
#include "redis_resource.hpp"

namespace tickcast::websocket {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

WebSocketSink::WebSocketSink(const ConfigNode& options) : options_(options) {}

void WebSocketSink::start(SinkContext& context) {
    std::shared_ptr<CacheReader> cache;
    if (!options_.cache.empty()) {
        redis_ = redis::redis_resource(context, options_.cache)->make_client(context, "websocket_cache", false);
        redis_->set_on_fatal([&context](const std::string& why) { context.fail("cache: " + why); });
        redis_->start();
        cache = std::make_shared<CacheReader>(redis_, options_.prefix, options_.stream_prefix);
    }
    gateway_ = std::make_shared<Gateway>(options_, context, std::move(cache));

    const auto colon = options_.listen.rfind(':');
    const std::string host = options_.listen.substr(0, colon), port = options_.listen.substr(colon + 1);
    boost::system::error_code ec;
    tcp::resolver resolver(context.executor());
    const auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) throw std::runtime_error("listen " + options_.listen + ": cannot resolve: " + ec.message());
    acceptor_ = std::make_unique<tcp::acceptor>(context.executor());
    const tcp::endpoint wanted = results.begin()->endpoint();
    acceptor_->open(wanted.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(wanted, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("listen " + options_.listen + ": " + ec.message());
    const tcp::endpoint bound = endpoint();
    context.log().info("websocket gateway on ws://{}:{}/ ({})", bound.address().to_string(), bound.port(),
                       options_.cache.empty() ? "no cache: no snapshots, no REST data" : "snapshots from cache '" + options_.cache + "'");
    gateway_->start();
    accept();
}

tcp::endpoint WebSocketSink::endpoint() const {
    boost::system::error_code ec;
    return acceptor_ ? acceptor_->local_endpoint(ec) : tcp::endpoint();
}

void WebSocketSink::accept() {
    // Sockets take the sink's executor (the pipeline strand): the whole
    // gateway runs there, so fan-out needs no locks and no thread hop.
    acceptor_->async_accept(gateway_->executor(), [this, gateway = gateway_](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) return;
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<HttpSession>(std::move(socket), gateway)->run();
        }
        accept();
    });
}

void WebSocketSink::write(BatchRef batch, Completion done) {
    for (const Event& e : *batch) gateway_->publish(e);
    done();
}

void WebSocketSink::flush(Completion done) {
    if (acceptor_) {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
    }
    if (!gateway_) return done();
    gateway_->drain(std::move(done));
}

WebSocketSink::~WebSocketSink() {
    if (gateway_) gateway_->release_sessions();
}

void WebSocketSink::stop() {
    if (acceptor_) {
        boost::system::error_code ignored;
        acceptor_->close(ignored);
    }
    if (gateway_) gateway_->stop();
    if (redis_) redis_->stop();
}

}  // namespace tickcast::websocket
