// A WebSocket client for the gateway tests and the benchmarks' probes
// (Boost.Beast, synchronous API with timeouts): connect, send text or binary,
// read JSON messages. Compiled once (ws_client.cpp, library
// tickcast_test_support): Beast's templates cost about 15 s of compile per
// translation unit that instantiates them, and a dozen include this header.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace tickcast::test {

class WsClient {
public:
    // `address` is host:port. `origin` empty sends no Origin header.
    // `receive_buffer` > 0 shrinks the socket's receive buffer (a slow client fills it fast).
    // `target` is the upgrade request's path and query, e.g. "/?token=...".
    // Throws std::system_error (boost::system::system_error) if the connect or the handshake fails.
    explicit WsClient(const std::string& address, const std::string& origin = "", int receive_buffer = 0,
                      const std::string& target = "/");
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    void send(const std::string& text);
    void send_binary(const std::string& bytes);
    void send_json(const boost::json::value& v);

    // The next message, or nullopt after `timeout` (the read stays pending
    // and the next call goes on waiting for it) or when the connection ended
    // (then closed() is true and close_code() says how).
    std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::optional<boost::json::object> read_json(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // The next message whose "type" is `type`, skipping others (heartbeats...).
    std::optional<boost::json::object> read_type(const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Reads until the connection ends; true if it did within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // A clean goodbye: sends a close frame (1000) and waits up to `timeout`
    // for the server's; true if the closing handshake completed.
    bool close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // An abrupt end: the socket is closed with SO_LINGER 0, so the server
    // gets a TCP reset and no close frame.
    void reset();

    bool closed() const;
    // The code of the close frame the server sent (0 if none arrived).
    int close_code() const;
    std::string close_reason() const;
    // Why the last read ended the connection ("Success" if it did not).
    std::string error() const;

    // A slow client: simply do not call read(); its socket's receive buffer fills.

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tickcast::test
