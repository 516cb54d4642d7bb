#include "support/ports.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace tickcast::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::uint16_t free_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

std::string free_address() { return "127.0.0.1:" + std::to_string(free_port()); }

bool listens(std::uint16_t port) {
    asio::io_context io;
    tcp::socket probe(io);
    boost::system::error_code ec;
    probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    return !ec;
}

}  // namespace tickcast::test
