#include "soak/churn_client.hpp"

#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "support/ws_client.hpp"

namespace tickcast::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

const char* ChurnClient::name(Kind k) {
    switch (k) {
        case clean: return "clean close";
        case reset: return "reset after subscribe";
        case half_fin: return "half handshake + FIN";
        case half_rst: return "half handshake + reset";
        case no_bytes: return "connect + FIN, no bytes";
        default: return "?";
    }
}

// Half the cycles leave cleanly, 3 in 10 reset, 2 in 10 drop mid-handshake.
ChurnClient::Kind ChurnClient::kind_of(std::size_t cycle) {
    static constexpr Kind mix[10] = {clean, reset, clean, half_fin, clean, reset, clean, half_rst, clean, reset};
    const Kind k = mix[cycle % 10];
    // Every fourth mid-handshake drop sends nothing at all.
    return k == half_fin && (cycle / 10) % 4 == 3 ? no_bytes : k;
}

void ChurnClient::run(std::size_t first, std::size_t last) {
    next_ = first;
    last_ = last;
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < spec_.threads; ++t)
        threads.emplace_back([this] {
            for (std::size_t i; (i = next_.fetch_add(1)) < last_.load();) {
                cycle(i);
                done_.fetch_add(1);
            }
        });
    for (auto& t : threads) t.join();
}

std::string ChurnClient::first_failure() const {
    std::lock_guard lock(mutex_);
    return first_failure_;
}

void ChurnClient::fail(const std::string& why) {
    failures_.fetch_add(1);
    std::lock_guard lock(mutex_);
    if (first_failure_.empty()) first_failure_ = why;
}

void ChurnClient::cycle(std::size_t i) {
    const Kind k = kind_of(i);
    per_kind_[k].fetch_add(1);
    try {
        switch (k) {
            case clean: return subscribed_cycle(i, false);
            case reset: return subscribed_cycle(i, true);
            case half_fin: return half_handshake(false, false);
            case half_rst: return half_handshake(true, false);
            case no_bytes: return half_handshake(false, true);
            default: return;
        }
    } catch (const std::exception& e) {
        fail(std::string(name(k)) + ": " + e.what());
    }
}

void ChurnClient::subscribed_cycle(std::size_t i, bool reset_at_end) {
    test::WsClient c(spec_.address);
    const std::string channel = spec_.channel_prefix + std::to_string(i % spec_.channels);
    c.send(R"({"op":"subscribe","channels":[")" + channel + R"("],"id":)" + std::to_string(i) + "}");
    if (!c.read_type("ack", std::chrono::seconds(5))) return fail("no ack to a subscribe within 5 s");
    bool event = false;
    const auto deadline = std::chrono::steady_clock::now() + spec_.receive_for;
    for (std::size_t n = 0; n < spec_.messages && !event; ++n) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        const auto m = c.read(left);
        if (!m) break;
        event = m->rfind(R"({"type":"event")", 0) == 0;
    }
    if (event) with_events_.fetch_add(1);
    if (reset_at_end) {
        c.reset();
    } else if (!c.close(std::chrono::seconds(5))) {
        fail("the server did not complete the close handshake within 5 s");
    }
}

void ChurnClient::half_handshake(bool reset_at_end, bool send_nothing) {
    asio::io_context io;
    tcp::socket s(io);
    const auto colon = spec_.address.rfind(':');
    s.connect({asio::ip::make_address(spec_.address.substr(0, colon)), std::uint16_t(std::stoi(spec_.address.substr(colon + 1)))});
    if (!send_nothing) {
        static const std::string half = "GET / HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
        asio::write(s, asio::buffer(half));
    }
    if (reset_at_end) s.set_option(asio::socket_base::linger(true, 0));
    else s.shutdown(tcp::socket::shutdown_send);
    s.close();
}

}  // namespace tickcast::bench
