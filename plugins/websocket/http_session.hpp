// HttpSession: a connection before (or without) the WebSocket upgrade. Serves
// the REST API from the Redis cache, and hands upgrade requests that pass
// the Origin check to a WebSocketSession.
//
//   GET /api/v1/trades?symbol=BTC-USDT&limit=100   recent trades, oldest first
//   GET /api/v1/depth?symbol=BTC-USDT&levels=50    the book, best levels first
//   GET /api/v1/ticker?symbol=BTC-USDT             last trade, best bid/ask, 24-hour volume
//
// Stream is beast::tcp_stream, or beast::ssl_stream<beast::tcp_stream> after
// the TLS handshake (both instantiated in http_session.cpp).
//
// Thread-safety: none; every call runs on the gateway's strand.
#pragma once

#include <memory>
#include <optional>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace tickcast::websocket {

class Gateway;

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    HttpSession(Stream stream, std::shared_ptr<Gateway> gateway);
    void run();

private:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    void read();
    void on_read(boost::beast::error_code ec);
    void upgrade(Request request);
    void serve_rest(const Request& request);
    void respond(unsigned status, std::string body, std::string_view content_type = "application/json");
    void shutdown();

    Stream stream_;
    std::shared_ptr<Gateway> gateway_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    unsigned version_ = 11;
    bool keep_alive_ = false;
};

}  // namespace tickcast::websocket
