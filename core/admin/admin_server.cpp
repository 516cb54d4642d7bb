#include "admin/admin_server.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace tickcast::core {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct AdminServer::State : std::enable_shared_from_this<AdminServer::State> {
    State(asio::io_context& io, Handlers h) : io(io), acceptor(asio::make_strand(io)), handlers(std::move(h)) {}
    asio::io_context& io;
    tcp::acceptor acceptor;
    Handlers handlers;

    void accept() {
        acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
            if (!ec) std::make_shared<Session>(std::move(socket), self)->read();
            self->accept();
        });
    }

    struct Session : std::enable_shared_from_this<Session> {
        Session(tcp::socket s, std::shared_ptr<State> st) : stream(std::move(s)), state(std::move(st)) {}
        beast::tcp_stream stream;
        std::shared_ptr<State> state;
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::response<http::string_body> response;

        void read() {
            request = {};
            stream.expires_after(std::chrono::seconds(30));
            http::async_read(stream, buffer, request, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) return;
                self->respond();
            });
        }
        void respond() {
            response = {};
            response.version(request.version());
            response.keep_alive(request.keep_alive());
            response.set(http::field::server, "tickcastd");
            const std::string target(request.target());
            const std::string path = target.substr(0, target.find('?'));
            if (request.method() != http::verb::get && request.method() != http::verb::head) {
                response.result(http::status::method_not_allowed);
                response.set(http::field::content_type, "application/json");
                response.body() = R"({"error":"only GET is supported"})";
            } else if (path == "/metrics") {
                response.result(http::status::ok);
                response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                response.body() = state->handlers.metrics();
            } else if (path == "/health") {
                response.result(http::status::ok);
                response.set(http::field::content_type, "application/json");
                response.body() = state->handlers.health();
            } else {
                response.result(http::status::not_found);
                response.set(http::field::content_type, "application/json");
                response.body() = R"({"error":"not found; try /health or /metrics"})";
            }
            response.prepare_payload();
            http::async_write(stream, response, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec || !self->response.keep_alive()) {
                    beast::error_code ignored;
                    self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                    return;
                }
                self->read();
            });
        }
    };
};

AdminServer::AdminServer(asio::io_context& io, Handlers handlers) : state_(std::make_shared<State>(io, std::move(handlers))) {}

AdminServer::~AdminServer() { close(); }

void AdminServer::listen(const std::string& host_port) {
    const auto colon = host_port.rfind(':');
    const std::string host = host_port.substr(0, colon);
    const std::string port = host_port.substr(colon + 1);
    beast::error_code ec;
    tcp::resolver resolver(state_->io);
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) throw std::runtime_error("admin endpoint " + host_port + ": cannot resolve: " + ec.message());
    const tcp::endpoint ep = results.begin()->endpoint();
    auto& a = state_->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("admin endpoint " + host_port + ": cannot listen: " + ec.message());
    state_->accept();
}

void AdminServer::close() {
    asio::post(state_->acceptor.get_executor(), [s = state_] {
        beast::error_code ignored;
        s->acceptor.close(ignored);
    });
}

tcp::endpoint AdminServer::endpoint() const {
    beast::error_code ec;
    return state_->acceptor.local_endpoint(ec);
}

}  // namespace tickcast::core
