// WebSocketSession: one client connection after the HTTP upgrade. Reads and
// answers client requests, and writes what the gateway queues for it.
//
// Send queue: messages are shared buffers (one per event, whatever the
// number of subscribers), written in order, one frame each; or, on a
// coalescing connection (?coalesce=1), whatever is queued when a write starts
// (up to coalesce_max_messages and max_coalesced_bytes) as one text frame
// "[m1,m2,...]", gathered from the shared buffers without a copy.
// While the gateway publishes a batch (Gateway::batching()) an idle session
// only queues; the gateway starts its write (flush()) after the batch. The queue is
// bounded by send_queue_limit bytes: a client that does not read is closed
// with 4008 and never slows the gateway or other clients (with conflate_depth,
// past conflate_above a depth channel's queued deltas are first replaced by
// one entry for its latest state, taken when that entry is written). If even the close
// frame cannot be written (the client's TCP window is shut) the socket is
// closed after close_timeout.
//
// The transport (plain TCP or TLS) is the subclass's: WebSocketStreamSession
// (websocket_stream_session.hpp) implements the four I/O hooks below.
//
// Thread-safety: none; every call runs on the gateway's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "messages.hpp"

namespace tickcast::websocket {

class Gateway;

// A buffer sequence viewing an array of buffers. Beast copies the sequence
// object it is given; this copy costs two words and no allocation.
struct BufferSpan {
    using value_type = boost::asio::const_buffer;
    using const_iterator = const boost::asio::const_buffer*;
    const boost::asio::const_buffer* first = nullptr;
    std::size_t count = 0;
    const_iterator begin() const { return first; }
    const_iterator end() const { return first + count; }
};

// A close frame's code and reason (cut to fit the frame).
boost::beast::websocket::close_reason reason_for(std::uint16_t code, std::string_view text);

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
public:
    static constexpr std::chrono::seconds close_timeout{2};
    // A coalesced frame holds messages up to this many bytes (at least one message).
    static constexpr std::size_t max_coalesced_bytes = 64 * 1024;

    WebSocketSession(std::shared_ptr<Gateway> gateway, const boost::asio::any_io_executor& executor);
    virtual ~WebSocketSession() = default;

    // Queues a message (dropped once the session is closing). `depth_channel`
    // (the gateway's name of a depth channel whose book it keeps) marks a
    // delta that conflate_depth may replace by the channel's latest state.
    void send(Message message, const std::string* depth_channel = nullptr);
    // Stops sending: drops what is queued (but a message being written), sends
    // `last` if given, then the close frame. Never calls back into the gateway synchronously.
    void close(std::uint16_t code, std::string reason, Message last = nullptr);

    // Coalescing (?coalesce=1 on the upgrade): several queued messages per frame.
    void set_coalesce(bool on) { coalesce_ = on; }
    bool coalesce() const { return coalesce_; }
    // Starts the write of what was queued during a batch (Gateway::end_batch).
    // Touches only this session (and its socket), so flushes of different
    // sessions may run on different threads at once, unless
    // flush_reads_gateway(): a latest-state entry is queued (conflate_depth).
    void flush();
    bool flush_reads_gateway() const { return !latest_pending_.empty(); }

    std::unordered_set<std::string>& subscriptions() { return subscriptions_; }

    // The user a valid token named (empty: not authenticated) and its expiry
    // (Unix seconds). At expiry the gateway ends the private subscriptions.
    const std::string& user() const { return user_; }
    std::int64_t auth_expires() const { return auth_expires_; }
    void authenticated(std::string user, std::int64_t expires);

protected:
    // The transport. Each completes by calling back: read_frame() into `in_`
    // with on_read(ec, is_text); write_frame() (one text frame of the
    // buffers, which stay valid until the callback) with on_written(ec);
    // write_close() with finish(). drop_socket() closes the TCP socket.
    virtual void read_frame() = 0;
    virtual void write_frame(BufferSpan frame) = 0;
    virtual void write_close(const boost::beast::websocket::close_reason& reason) = 0;
    virtual void drop_socket() = 0;

    // The handshake's outcome. Not `admitted` (max_connections reached): close
    // with 1013 right after it. `token`: from the URL's ?token=, checked once open.
    void on_accept(boost::beast::error_code ec, bool admitted, const std::string& token);
    void on_read(boost::beast::error_code ec, bool text);
    void on_written(boost::beast::error_code ec);
    void finish();

    std::shared_ptr<Gateway> gateway_;
    boost::beast::flat_buffer in_;

private:
    void handle(std::string_view text);
    bool within_rate();
    void arm_auth_timer();
    void start_writing();  // now, or after the gateway's batch
    void write_next();
    void conflate(const std::string* channel);

    struct Outgoing {
        Message message;  // null: the latest state of depth_channel, taken when its turn comes
        const std::string* depth_channel;
        std::string epoch;  // of a latest-state entry: the channel's when it was queued
    };
    std::deque<Outgoing> queue_;
    std::vector<const std::string*> latest_pending_;  // channels with a latest-state entry queued
    std::size_t queued_bytes_ = 0;
    std::vector<boost::asio::const_buffer> gather_;  // the frame being written
    std::size_t in_flight_ = 0;  // queue_ entries in that frame
    bool coalesce_ = false;
    bool deferred_ = false;  // in the gateway's list of sessions to flush after its batch
    bool writing_ = false;
    bool closing_ = false;
    bool close_pending_ = false;  // the close frame goes once the queue is written
    boost::beast::websocket::close_reason close_reason_;
    bool opened_ = false;
    bool finished_ = false;
    double tokens_ = 0;
    std::chrono::steady_clock::time_point refilled_;
    boost::asio::steady_timer close_timer_;
    std::unordered_set<std::string> subscriptions_;
    std::string user_;
    std::int64_t auth_expires_ = 0;
    boost::asio::steady_timer auth_timer_;
};

}  // namespace tickcast::websocket
