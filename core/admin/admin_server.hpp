// AdminServer: the daemon's HTTP endpoint (Boost.Beast) on daemon.admin.
//   GET /health   200 {"status":"ok","pipelines":{...}} while running
//   GET /metrics  Prometheus text format from the daemon's registry
// Runs on the daemon's io_context; one strand per connection.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace tickcast::core {

class AdminServer {
public:
    struct Handlers {
        std::function<std::string()> metrics;  // text exposition
        std::function<std::string()> health;   // JSON
    };

    AdminServer(boost::asio::io_context& io, Handlers handlers);
    ~AdminServer();
    // Binds host:port (port 0 picks a free one); throws std::runtime_error with the address on failure.
    void listen(const std::string& host_port);
    void close();
    boost::asio::ip::tcp::endpoint endpoint() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace tickcast::core
