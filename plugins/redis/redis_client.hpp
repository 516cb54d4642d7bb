// RedisClient: an asynchronous Redis connection on an Asio executor.
//
// hiredis parses the protocol (redisReader, its replies built in a
// ReplyArena: no allocation per reply); commands are encoded by
// append_command (wire.hpp), and the socket, pipelining and reconnection are
// ours. Not hiredis's own async layer: in 0.14.1 it routes only SUBSCRIBE/PSUBSCRIBE pushes (a
// sharded SSUBSCRIBE's smessage hits an assertion) and it writes each
// command as it is issued, where we coalesce everything queued into one write.
//
// Commands are pipelined: every command queued while a write is in flight
// goes out in the next single write; replies are matched in order. When the
// connection drops, commands that got no reply are sent again after the
// reconnect (so only idempotent commands belong here: the sinks make theirs
// idempotent by sequence number). Reconnects back off from `backoff_min` to
// `backoff_max`, doubling, with jitter.
//
// Subscriber mode (Pub/Sub): commands carry no reply handlers and every
// reply goes to the push handler; on_connected must subscribe again.
//
// Thread-safety: none; use from the executor's strand only. Create with
// std::make_shared (handlers keep the client alive until stop()).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <hiredis/hiredis.h>
#include <spdlog/logger.h>
#include <tickcast/metrics.hpp>
#include <tickcast/ring_queue.hpp>

#include "redis_endpoint.hpp"
#include "reply_arena.hpp"

namespace tickcast::redis {

class RedisClient : public std::enable_shared_from_this<RedisClient> {
public:
    struct Options {
        std::string name = "redis";  // names the connection in logs and metrics
        bool subscriber = false;
        std::chrono::milliseconds connect_timeout{2000};
        std::chrono::milliseconds backoff_min{100};
        std::chrono::milliseconds backoff_max{5000};
    };
    // The reply, owned by the client for the call only; null when the client
    // stopped before the reply came.
    using ReplyHandler = std::function<void(const redisReply* reply)>;

    RedisClient(boost::asio::any_io_executor executor, RedisEndpoint endpoint, Options options,
                std::shared_ptr<spdlog::logger> log, Metrics* metrics);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    void start();
    void stop();

    void command(std::span<const std::string_view> args, ReplyHandler handler = {});
    void command(std::initializer_list<std::string_view> args, ReplyHandler handler = {}) {
        command(std::span(args.begin(), args.size()), std::move(handler));
    }
    // Sends `commands` as one transaction, MULTI ... EXEC, and hands
    // `handler` EXEC's reply: an array of each command's own reply (a command
    // that fails when run fails alone), or an error when Redis refused the
    // transaction. Redis runs them with nothing in between and serves a
    // client blocked on their keys (XREAD) once, after EXEC, with all they
    // wrote. After a reconnect the whole transaction is sent again. Not for
    // subscriber mode.
    void transaction(std::span<const std::span<const std::string_view>> commands, ReplyHandler handler = {});

    // Runs after each (re)connect once AUTH and SELECT succeeded; commands it
    // issues go out before everything queued earlier.
    void set_on_connected(std::function<void()> f) { on_connected_ = std::move(f); }
    // Replies that answer no command: Pub/Sub messages in subscriber mode.
    void set_on_push(std::function<void(const redisReply&)> f) { on_push_ = std::move(f); }
    // An error retrying cannot fix (wrong password, unknown user): the owner
    // should report it and stop.
    void set_on_fatal(std::function<void(const std::string&)> f) { on_fatal_ = std::move(f); }
    // A reconnect happened: what was in flight on the old connection is resent.
    void set_on_disconnected(std::function<void()> f) { on_disconnected_ = std::move(f); }

    // Backpressure for subscribers: stop reading the socket (Redis buffers,
    // up to its client-output-buffer-limit) until resume_reading().
    void pause_reading() { paused_ = true; }
    void resume_reading();

    // Writes what is queued now, rather than once the current handler is
    // done: for a caller that has issued a whole batch (a sink's write).
    void flush_now() { flush(); }

    bool connected() const { return state_ == State::ready; }
    // When the socket read that completed the reply being handled returned:
    // the moment its bytes reached this process. One clock read per socket
    // read, shared by every reply in it.
    std::int64_t read_ns() const { return read_ns_; }
    std::size_t queued() const { return outbox_.size() + awaiting_.size(); }
    const RedisEndpoint& endpoint() const { return endpoint_; }

private:
    enum class State { idle, connecting, ready, stopped };
    // A command's bytes live in queued_ (not yet written) or written_
    // (written, not answered), never in a string of its own: a sink's batch
    // costs no allocation per command.
    struct Pending {
        ReplyHandler handler;
        std::size_t size = 0;  // bytes of the formatted command (a transaction's: all of it)
        std::int64_t sent_ns = 0;
        std::uint32_t replies = 1;   // a transaction's: MULTI's, one per command, EXEC's
        std::uint32_t answered = 0;  // replies received so far; the handler gets the last one
    };

    void connect();
    void on_connected_socket();
    void schedule_reconnect(const std::string& why);
    // Moves what `first` holds ahead of the outbox, in order; `first` ends empty.
    void put_before_outbox(RingQueue<Pending>& first);
    // Queues a command: in the preamble while on_connected runs, else in the outbox.
    void enqueue(std::span<const std::string_view> args, ReplyHandler handler);
    void enqueue(std::initializer_list<std::string_view> args, ReplyHandler handler) {
        enqueue(std::span(args.begin(), args.size()), std::move(handler));
    }
    // The buffer a command issued now goes to, and the record of its bytes
    // from `before` on, which take `replies` replies.
    std::string& wire() { return in_preamble_ ? preamble_wire_ : queued_; }
    void add_pending(std::size_t before, ReplyHandler handler, std::uint32_t replies);
    void flush_soon();
    void flush();
    void recycle_answered();
    void read();
    void on_read(std::size_t n);
    void dispatch(redisReply* reply);

    boost::asio::any_io_executor executor_;
    RedisEndpoint endpoint_;
    Options options_;
    std::shared_ptr<spdlog::logger> log_;
    boost::asio::generic::stream_protocol::socket socket_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer timer_;  // connect timeout and reconnect backoff
    ReplyArena arena_;  // the reader's replies; reset after each one is handled
    redisReader* reader_ = nullptr;
    std::vector<char> read_buffer_;
    std::int64_t read_ns_ = 0;
    RingQueue<Pending> outbox_;    // not yet written; bytes in queued_
    RingQueue<Pending> awaiting_;  // written, waiting for their replies, in order; bytes in written_
    RingQueue<Pending> preamble_;  // issued during on_connected; bytes in preamble_wire_
    std::string queued_, preamble_wire_;
    // The bytes of each write, oldest first, until every command in them is
    // answered (a reconnect sends the unanswered ones again). A deque: the
    // chunk being written never moves. Replies advance answered_ (bytes of
    // the front chunk answered); flush() drops chunks wholly answered and
    // keeps up to two emptied ones, with their capacity, as spare_.
    std::deque<std::string> written_;
    std::size_t answered_ = 0;
    std::vector<std::string> spare_;
    bool in_preamble_ = false;
    State state_ = State::idle;
    bool writing_ = false;
    bool flush_posted_ = false;
    bool reading_ = false;
    bool paused_ = false;
    std::uint64_t generation_ = 0;  // bumps on every (re)connect, so stale handlers stop
    std::chrono::milliseconds backoff_;
    std::minstd_rand jitter_;
    std::string last_error_;
    std::function<void()> on_connected_, on_disconnected_;
    std::function<void(const redisReply&)> on_push_;
    std::function<void(const std::string&)> on_fatal_;

    prometheus::Gauge* connected_gauge_ = nullptr;
    prometheus::Counter* reconnects_ = nullptr;
    prometheus::Histogram* rtt_ = nullptr;
    std::uint32_t rtt_sample_ = 0;
};

// Formats a reply for error messages and tests: strings as they are, errors
// as "ERR ...", arrays as [a, b].
std::string describe(const redisReply* reply);

}  // namespace tickcast::redis
