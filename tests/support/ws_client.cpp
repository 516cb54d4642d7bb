#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tickcast::test {

namespace beast = boost::beast;
namespace asio = boost::asio;

struct WsClient::Impl {
    asio::io_context io;
    beast::websocket::stream<beast::tcp_stream> ws{io};
    beast::flat_buffer buffer;
    bool pending = false, done = false, closed = false;
    beast::error_code ec;
};

WsClient::WsClient(const std::string& address, const std::string& origin, int receive_buffer, const std::string& target)
    : impl_(std::make_unique<Impl>()) {
    const auto colon = address.rfind(':');
    asio::ip::tcp::resolver resolver(impl_->io);
    const auto endpoint = *resolver.resolve(address.substr(0, colon), address.substr(colon + 1)).begin();
    auto& socket = beast::get_lowest_layer(impl_->ws).socket();
    socket.open(endpoint.endpoint().protocol());
    if (receive_buffer > 0) socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket.connect(endpoint.endpoint());
    impl_->ws.set_option(beast::websocket::stream_base::decorator([origin](beast::websocket::request_type& req) {
        if (!origin.empty()) req.set(beast::http::field::origin, origin);
    }));
    impl_->ws.handshake(address, target);
}

WsClient::~WsClient() = default;

void WsClient::send(const std::string& text) {
    impl_->ws.text(true);
    impl_->ws.write(asio::buffer(text));
}

void WsClient::send_binary(const std::string& bytes) {
    impl_->ws.binary(true);
    impl_->ws.write(asio::buffer(bytes));
}

void WsClient::send_json(const boost::json::value& v) { send(boost::json::serialize(v)); }

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    if (s.closed) return std::nullopt;
    if (!s.pending) {
        s.pending = true;
        s.done = false;
        s.ws.async_read(s.buffer, [&s](beast::error_code ec, std::size_t) {
            s.done = true;
            s.ec = ec;
        });
    }
    s.io.restart();
    s.io.run_for(timeout);
    if (!s.done) return std::nullopt;
    s.pending = false;
    if (s.ec) {
        s.closed = true;
        return std::nullopt;
    }
    std::string text = beast::buffers_to_string(s.buffer.data());
    s.buffer.consume(s.buffer.size());
    return text;
}

std::optional<boost::json::object> WsClient::read_json(std::chrono::milliseconds timeout) {
    auto s = read(timeout);
    if (!s) return std::nullopt;
    return boost::json::parse(*s).as_object();
}

std::optional<boost::json::object> WsClient::read_type(const std::string& type, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto m = read_json(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!m) return std::nullopt;
        if (m->at("type").as_string() == type) return m;
    }
    return std::nullopt;
}

bool WsClient::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!impl_->closed && std::chrono::steady_clock::now() < deadline) read(std::chrono::milliseconds(100));
    return impl_->closed;
}

bool WsClient::close(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    if (s.closed) return false;
    bool done = false;
    beast::error_code cec;
    s.ws.async_close(beast::websocket::close_code::normal, [&](beast::error_code ec) {
        done = true;
        cec = ec;
    });
    s.io.restart();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) s.io.run_one_for(timeout);
    s.closed = true;
    return done && !cec;
}

void WsClient::reset() {
    auto& socket = beast::get_lowest_layer(impl_->ws).socket();
    beast::error_code ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
    impl_->closed = true;
}

bool WsClient::closed() const { return impl_->closed; }
int WsClient::close_code() const { return impl_->ws.reason().code; }
std::string WsClient::close_reason() const { return std::string(impl_->ws.reason().reason.c_str()); }
std::string WsClient::error() const { return impl_->ec.message(); }

}  // namespace tickcast::test
