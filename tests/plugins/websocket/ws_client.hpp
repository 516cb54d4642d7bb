// A WebSocket client for the gateway tests (Boost.Beast, synchronous API
// with timeouts): connect, send text or binary, read JSON messages.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace tickcast::test {

class WsClient {
public:
    // `address` is host:port. `origin` empty sends no Origin header.
    // `receive_buffer` > 0 shrinks the socket's receive buffer (a slow client fills it fast).
    // `target` is the upgrade request's path and query, e.g. "/?token=...".
    explicit WsClient(const std::string& address, const std::string& origin = "", int receive_buffer = 0,
                      const std::string& target = "/")
        : ws_(io_) {
        const auto colon = address.rfind(':');
        boost::asio::ip::tcp::resolver resolver(io_);
        const auto endpoint = *resolver.resolve(address.substr(0, colon), address.substr(colon + 1)).begin();
        auto& socket = boost::beast::get_lowest_layer(ws_).socket();
        socket.open(endpoint.endpoint().protocol());
        if (receive_buffer > 0) socket.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
        socket.connect(endpoint.endpoint());
        ws_.set_option(boost::beast::websocket::stream_base::decorator([origin](boost::beast::websocket::request_type& req) {
            if (!origin.empty()) req.set(boost::beast::http::field::origin, origin);
        }));
        ws_.handshake(address, target);
    }

    void send(const std::string& text) {
        ws_.text(true);
        ws_.write(boost::asio::buffer(text));
    }
    void send_binary(const std::string& bytes) {
        ws_.binary(true);
        ws_.write(boost::asio::buffer(bytes));
    }
    void send_json(const boost::json::value& v) { send(boost::json::serialize(v)); }

    // The next message, or nullopt after `timeout` (the read stays pending
    // and the next call goes on waiting for it) or when the connection ended
    // (then closed() is true and close_code() says how).
    std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        if (closed_) return std::nullopt;
        if (!pending_) {
            pending_ = true;
            done_ = false;
            ws_.async_read(buffer_, [this](boost::beast::error_code ec, std::size_t) {
                done_ = true;
                ec_ = ec;
            });
        }
        io_.restart();
        io_.run_for(timeout);
        if (!done_) return std::nullopt;
        pending_ = false;
        if (ec_) {
            closed_ = true;
            return std::nullopt;
        }
        std::string s = boost::beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        return s;
    }
    std::optional<boost::json::object> read_json(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        auto s = read(timeout);
        if (!s) return std::nullopt;
        return boost::json::parse(*s).as_object();
    }
    // The next message whose "type" is `type`, skipping others (heartbeats...).
    std::optional<boost::json::object> read_type(const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto m = read_json(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (!m) return std::nullopt;
            if (m->at("type").as_string() == type) return m;
        }
        return std::nullopt;
    }
    // Reads until the connection ends; true if it did within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!closed_ && std::chrono::steady_clock::now() < deadline) read(std::chrono::milliseconds(100));
        return closed_;
    }
    // A clean goodbye: sends a close frame (1000) and waits up to `timeout`
    // for the server's; true if the closing handshake completed.
    bool close(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        if (closed_) return false;
        bool done = false;
        boost::beast::error_code cec;
        ws_.async_close(boost::beast::websocket::close_code::normal, [&](boost::beast::error_code ec) {
            done = true;
            cec = ec;
        });
        io_.restart();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done && std::chrono::steady_clock::now() < deadline) io_.run_one_for(timeout);
        closed_ = true;
        return done && !cec;
    }
    bool closed() const { return closed_; }
    // The code of the close frame the server sent (0 if none arrived).
    int close_code() const { return ws_.reason().code; }
    std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }
    boost::beast::error_code error() const { return ec_; }

    // Stop reading from the socket (a slow client): simply do not call read().
    boost::asio::ip::tcp::socket& socket() { return boost::beast::get_lowest_layer(ws_).socket(); }

private:
    boost::asio::io_context io_;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    boost::beast::flat_buffer buffer_;
    bool pending_ = false, done_ = false, closed_ = false;
    boost::beast::error_code ec_;
};

}  // namespace tickcast::test
