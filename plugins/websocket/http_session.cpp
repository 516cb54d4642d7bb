#include "http_session.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include "gateway.hpp"
#include "page.hpp"
#include "websocket_stream_session.hpp"

namespace tickcast::websocket {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t default_trades = 100, max_trades = 1000;
constexpr std::size_t default_levels = 100, max_levels = 5000;

std::string error_body(std::string_view message) {
    return boost::json::serialize(boost::json::object{{"error", boost::json::string_view(message.data(), message.size())}});
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += char(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        out[percent_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

// A count parameter: absent gives `fallback`; else 1..max.
bool parse_count(const std::map<std::string, std::string>& q, const std::string& name, std::size_t fallback, std::size_t max,
                 std::size_t& out, std::string& error) {
    auto it = q.find(name);
    if (it == q.end()) {
        out = fallback;
        return true;
    }
    const std::string& v = it->second;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || out < 1 || out > max) {
        error = "'" + name + "' must be an integer from 1 to " + std::to_string(max) + ", got '" + v.substr(0, 32) + "'";
        return false;
    }
    return true;
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, std::shared_ptr<Gateway> gateway)
    : stream_(std::move(stream)), gateway_(std::move(gateway)) {}

template <class Stream>
void HttpSession<Stream>::run() { read(); }

template <class Stream>
void HttpSession<Stream>::shutdown() {
    // (Over TLS this skips close_notify: every answer is delimited by its Content-Length.)
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

template <class Stream>
void HttpSession<Stream>::read() {
    parser_.emplace();
    parser_->header_limit(8192);
    parser_->body_limit(8192);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec) {
    if (ec) return shutdown();  // end_of_stream included
    Request request = parser_->release();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    if (beast::websocket::is_upgrade(request)) return upgrade(std::move(request));
    serve_rest(request);
}

template <class Stream>
void HttpSession<Stream>::upgrade(Request request) {
    const auto& allowed = gateway_->options().allowed_origins;
    const auto origin = request.find(http::field::origin);
    if (!allowed.empty() && origin != request.end() &&
        std::find(allowed.begin(), allowed.end(), std::string_view(origin->value())) == allowed.end()) {
        gateway_->counters().rejected_origin->Increment();
        keep_alive_ = false;
        return respond(403, error_body("origin '" + std::string(origin->value().substr(0, 200)) + "' is not allowed"));
    }
    // A token in the URL (?token=...), for clients that cannot send one first; checked once the socket is open.
    const std::string_view target = request.target();
    const auto qmark = target.find('?');
    std::string token;
    bool coalesce = false;
    if (qmark != std::string_view::npos) {
        auto query = parse_query(target.substr(qmark + 1));
        if (auto it = query.find("token"); it != query.end()) token = std::move(it->second);
        // ?coalesce=1: this client takes several messages per frame as a JSON array (docs/protocol.md).
        if (auto it = query.find("coalesce"); it != query.end()) coalesce = it->second == "1" || it->second == "true";
    }
    const bool admitted = gateway_->admit();
    std::make_shared<WebSocketStreamSession<Stream>>(std::move(stream_), gateway_)->run(std::move(request), admitted, std::move(token), coalesce);
}

template <class Stream>
void HttpSession<Stream>::serve_rest(const Request& request) {
    gateway_->counters().rest_requests->Increment();
    const std::string_view target = request.target();
    const auto qmark = target.find('?');
    const std::string_view path = target.substr(0, qmark);
    if (request.method() != http::verb::get) return respond(405, error_body("only GET is supported"));
    if (path == "/" || path == "/index.html") return respond(200, std::string(page_html()), "text/html; charset=utf-8");
    const bool trades = path == "/api/v1/trades", depth = path == "/api/v1/depth", ticker = path == "/api/v1/ticker";
    if (!trades && !depth && !ticker)
        return respond(404, error_body("not found; try / (the live page), /api/v1/trades?symbol=S, /api/v1/depth?symbol=S or "
                                       "/api/v1/ticker?symbol=S"));

    const auto query = parse_query(qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1));
    auto symbol = query.find("symbol");
    if (symbol == query.end() || !valid_symbol(symbol->second))
        return respond(400, error_body("'symbol' is required: 1 to 64 letters, digits, '.', '_' or '-'"));
    std::size_t count = 0;
    std::string error;
    const std::string_view count_name = trades ? "limit" : depth ? "levels" : "";
    if (!count_name.empty() && !parse_count(query, std::string(count_name), trades ? default_trades : default_levels,
                                            trades ? max_trades : max_levels, count, error))
        return respond(400, error_body(error));
    for (const auto& [name, _] : query)
        if (name != "symbol" && (count_name.empty() || name != count_name))
            return respond(400, error_body("unknown parameter '" + name.substr(0, 32) + "'"));

    CacheReader* cache = gateway_->cache();
    if (!cache) return respond(503, error_body("this gateway has no cache configured"));
    if (!cache->connected()) return respond(503, error_body("the cache is unavailable; try again later"));

    auto answer = [self = this->shared_from_this(), sym = symbol->second, trades, ticker](const std::string& error,
                                                                                          CacheSnapshot snapshot) {
        if (!error.empty()) return self->respond(503, error_body("the cache is unavailable: " + error));
        if (!snapshot.found) return self->respond(404, error_body("no data for symbol '" + sym + "'"));
        std::string body = "{\"symbol\":\"" + sym + "\",\"seq\":" + std::to_string(snapshot.seq);
        if (trades) {
            body += ",\"trades\":" + snapshot.data_json + "}";
        } else if (ticker) {
            body += "," + snapshot.data_json + "}";
        } else {
            body += "," + snapshot.data_json.substr(1);  // {"bids":..,"asks":..} merged into the object
        }
        self->respond(200, std::move(body));
    };
    if (trades)
        cache->read_trades(symbol->second, count, std::move(answer));
    else if (ticker)
        cache->read_ticker(symbol->second, now_ns() / 1'000'000'000, std::move(answer));
    else
        cache->read_depth(symbol->second, count, std::move(answer));
}

template <class Stream>
void HttpSession<Stream>::respond(unsigned status, std::string body, std::string_view content_type) {
    auto response = std::make_shared<http::response<http::string_body>>(http::status(status), version_);
    response->set(http::field::server, "tickcastd");
    response->set(http::field::content_type, content_type);
    response->keep_alive(keep_alive_);
    response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(stream_, *response, [self = this->shared_from_this(), response](beast::error_code ec, std::size_t) {
        if (ec || !response->keep_alive()) return self->shutdown();
        self->read();
    });
}

template class HttpSession<beast::tcp_stream>;
template class HttpSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace tickcast::websocket
