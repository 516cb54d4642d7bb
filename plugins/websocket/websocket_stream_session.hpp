// WebSocketStreamSession<Stream>: a WebSocketSession over a concrete stream,
// plain TCP (beast::tcp_stream) or TLS (beast::ssl_stream<beast::tcp_stream>):
// the handshake, Beast's options and timeouts, and the four I/O hooks.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "gateway.hpp"
#include "websocket_session.hpp"

namespace tickcast::websocket {

template <class Stream>
class WebSocketStreamSession final : public WebSocketSession {
public:
    WebSocketStreamSession(Stream stream, std::shared_ptr<Gateway> gateway)
        : WebSocketSession(gateway, stream.get_executor()), ws_(std::move(stream)) {
        namespace ws = boost::beast::websocket;
        ws_.read_message_max(gateway->options().max_message_size);
        ws_.auto_fragment(false);
        // Beast's own keep-alive: a ping after 30 s of silence, closed after 60 s without an answer.
        ws::stream_base::timeout t = ws::stream_base::timeout::suggested(boost::beast::role_type::server);
        t.handshake_timeout = std::chrono::seconds(10);
        t.idle_timeout = std::chrono::seconds(60);
        t.keep_alive_pings = true;
        ws_.set_option(t);
        ws_.set_option(ws::stream_base::decorator([](ws::response_type& res) { res.set(boost::beast::http::field::server, "tickcastd"); }));
    }

    // Completes the handshake for `request` (see WebSocketSession::on_accept).
    void run(boost::beast::http::request<boost::beast::http::string_body> request, bool admitted, std::string token, bool coalesce) {
        set_coalesce(coalesce);
        boost::beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
        ws_.async_accept(request, [self = shared_from_this(), this, admitted, token = std::move(token)](boost::beast::error_code ec) {
            on_accept(ec, admitted, token);
        });
    }

private:
    void read_frame() override {
        ws_.async_read(in_, [self = shared_from_this(), this](boost::beast::error_code ec, std::size_t) { on_read(ec, ws_.got_text()); });
    }
    void write_frame(BufferSpan frame) override {
        ws_.text(true);
        ws_.async_write(frame, [self = shared_from_this(), this](boost::beast::error_code ec, std::size_t) { on_written(ec); });
    }
    void write_close(const boost::beast::websocket::close_reason& reason) override {
        ws_.async_close(reason, [self = shared_from_this(), this](boost::beast::error_code) { finish(); });
    }
    void drop_socket() override { boost::beast::get_lowest_layer(ws_).close(); }

    boost::beast::websocket::stream<Stream> ws_;
};

}  // namespace tickcast::websocket
