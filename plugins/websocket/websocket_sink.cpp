#include "websocket_sink.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>

#include "http_session.hpp"
#include "redis_resource.hpp"

namespace tickcast::websocket {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {
std::string tls_error(const boost::system::system_error& e) { return e.code().message(); }
}  // namespace

WebSocketSink::WebSocketSink(const ConfigNode& options) : options_(options) {}

void WebSocketSink::start(SinkContext& context) {
    queued_hop_.emplace(context.metrics(), "ws_queued");
    std::shared_ptr<CacheReader> cache;
    if (!options_.cache.empty()) {
        redis_ = redis::redis_resource(context, options_.cache)->make_client(context, "websocket_cache", false);
        redis_->set_on_fatal([&context](const std::string& why) { context.fail("cache: " + why); });
        redis_->start();
        cache = std::make_shared<CacheReader>(redis_, options_.prefix, options_.stream_prefix);
    }
    if (!options_.tls_cert.empty()) {
        tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                          asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
        try {
            tls_->use_certificate_chain_file(options_.tls_cert);
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("tls cert '" + options_.tls_cert + "': not a PEM certificate chain (" + tls_error(e) + ")");
        }
        try {
            tls_->use_private_key_file(options_.tls_key, asio::ssl::context::pem);
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error("tls key '" + options_.tls_key + "': not a PEM private key matching the certificate (" + tls_error(e) + ")");
        }
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
    context.log().info("websocket gateway on {}://{}:{}/ ({})", tls_ ? "wss" : "ws", bound.address().to_string(), bound.port(),
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
            if (tls_)
                handshake(std::move(socket));
            else
                std::make_shared<HttpSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), gateway)->run();
        }
        accept();
    });
}

void WebSocketSink::handshake(tcp::socket socket) {
    auto stream = std::make_shared<TlsStream>(beast::tcp_stream(std::move(socket)), *tls_);
    beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(10));
    stream->async_handshake(asio::ssl::stream_base::server, [stream, gateway = gateway_](beast::error_code ec) {
        if (ec) return;  // not TLS, or an untrusted peer: nothing to answer
        std::make_shared<HttpSession<TlsStream>>(std::move(*stream), gateway)->run();
    });
}

void WebSocketSink::write(BatchRef batch, Completion done) {
    // Runs on the gateway's strand, as every session's handlers do. The whole
    // batch is queued before any idle session starts writing (coalescing).
    {
        struct BatchScope {
            Gateway& gateway;
            explicit BatchScope(Gateway& g) : gateway(g) { gateway.begin_batch(); }
            ~BatchScope() { gateway.end_batch(); }
        } scope(*gateway_);
        for (const Event& e : *batch) gateway_->publish(e);
    }
    // The gateway's own hop: from the event's last stamp (redis_in, kafka_in)
    // to its frame queued on every subscriber's connection.
    const std::int64_t now = now_ns();
    for (const Event& e : *batch)
        if (!(e.flags & event_flags::heartbeat)) queued_hop_->count(e.hops, now);
    queued_hop_->flush();
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
