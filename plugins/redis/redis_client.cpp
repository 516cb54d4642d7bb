#include "redis_client.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <tickcast/event.hpp>

#include "wire.hpp"

namespace tickcast::redis {

namespace asio = boost::asio;
using generic_stream = asio::generic::stream_protocol;

std::string describe(const redisReply* r) {
    if (!r) return "(no reply)";
    switch (r->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR: return std::string(r->str, r->len);
        case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
        case REDIS_REPLY_NIL: return "(nil)";
        case REDIS_REPLY_ARRAY: {
            std::string out = "[";
            for (std::size_t i = 0; i < r->elements; ++i) out += (i ? ", " : "") + describe(r->element[i]);
            return out + "]";
        }
    }
    return "?";
}

RedisClient::RedisClient(asio::any_io_executor executor, RedisEndpoint endpoint, Options options,
                         std::shared_ptr<spdlog::logger> log, Metrics* metrics)
    : executor_(executor), endpoint_(std::move(endpoint)), options_(std::move(options)), log_(std::move(log)),
      socket_(executor), resolver_(executor), timer_(executor), read_buffer_(64 * 1024),
      backoff_(options_.backoff_min), jitter_(std::random_device{}()) {
    if (metrics) {
        const Labels l{{"redis", endpoint_.display()}, {"connection", options_.name}};
        connected_gauge_ = &metrics->gauge("tickcast_redis_connected", "1 while the connection to Redis is up", l);
        reconnects_ = &metrics->counter("tickcast_redis_reconnects_total", "Connections to Redis lost and retried", l);
        rtt_ = &metrics->histogram("tickcast_redis_command_seconds", "Round trip of a Redis command (every 16th)", latency_buckets(), l);
    }
}

RedisClient::~RedisClient() {
    if (reader_) redisReaderFree(reader_);
}

void RedisClient::start() {
    if (state_ != State::idle) return;
    connect();
}

void RedisClient::stop() {
    if (state_ == State::stopped) return;
    state_ = State::stopped;
    ++generation_;
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
    if (connected_gauge_) connected_gauge_->Set(0);
    // Nothing will answer now: tell every waiting handler.
    auto abandon = [](RingQueue<Pending>& queue) {
        RingQueue<Pending> gone;
        gone.swap(queue);
        for (std::size_t i = 0; i < gone.size(); ++i)
            if (gone[i].handler) gone[i].handler(nullptr);
    };
    abandon(awaiting_);
    abandon(outbox_);
    queued_.clear();
    written_.clear();
    answered_ = 0;
}

void RedisClient::connect() {
    state_ = State::connecting;
    const std::uint64_t gen = ++generation_;
    if (reader_) redisReaderFree(reader_);
    arena_.reset();  // after the old reader: a reply it had begun goes with it
    reader_ = arena_.make_reader();
    if (!reader_) throw std::bad_alloc();
    boost::system::error_code ignored;
    socket_.close(ignored);
    reading_ = writing_ = false;

    timer_.expires_after(options_.connect_timeout);
    timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
        if (ec || gen != self->generation_ || self->state_ != State::connecting) return;
        self->schedule_reconnect("connect timed out after " + std::to_string(self->options_.connect_timeout.count()) + " ms");
    });
    auto on_connect = [self = shared_from_this(), gen](boost::system::error_code ec) {
        self->log_->trace("{}: connect completed: {} (gen {} vs {})", self->options_.name, ec.message(), gen, self->generation_);
        if (gen != self->generation_) return;
        if (ec) return self->schedule_reconnect(ec.message());
        self->on_connected_socket();
    };
    if (!endpoint_.socket_path.empty()) {
        socket_.async_connect(generic_stream::endpoint(asio::local::stream_protocol::endpoint(endpoint_.socket_path)), on_connect);
        return;
    }
    resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                            [self = shared_from_this(), gen, on_connect](boost::system::error_code ec,
                                                                         asio::ip::tcp::resolver::results_type results) {
                                if (gen != self->generation_) return;
                                if (ec || results.empty()) return self->schedule_reconnect("cannot resolve: " + ec.message());
                                self->socket_.async_connect(generic_stream::endpoint(results.begin()->endpoint()), on_connect);
                            });
}

void RedisClient::on_connected_socket() {
    timer_.cancel();
    if (endpoint_.socket_path.empty()) {
        boost::system::error_code ignored;
        socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    state_ = State::ready;
    log_->debug("{}: connected to {}", options_.name, endpoint_.display());
    if (!last_error_.empty()) log_->info("{}: connected to {} again", options_.name, endpoint_.display());
    last_error_.clear();
    backoff_ = options_.backoff_min;
    if (connected_gauge_) connected_gauge_->Set(1);

    // AUTH and SELECT precede everything; then what on_connected issues;
    // then what was queued (or in flight on the lost connection).
    in_preamble_ = true;
    auto fatal_on_error = [self = shared_from_this()](const char* what) {
        return [self, what](const redisReply* r) {
            if (r && r->type == REDIS_REPLY_ERROR) {
                const std::string why = std::string(what) + " failed: " + describe(r);
                self->log_->error("{}: {} on {}", self->options_.name, why, self->endpoint_.display());
                if (self->on_fatal_) self->on_fatal_(why);
                self->stop();
            }
        };
    };
    if (!endpoint_.password.empty()) {
        if (endpoint_.user.empty())
            enqueue({"AUTH", endpoint_.password}, fatal_on_error("AUTH"));
        else
            enqueue({"AUTH", endpoint_.user, endpoint_.password}, fatal_on_error("AUTH"));
    }
    if (endpoint_.db != 0) {
        const std::string db = std::to_string(endpoint_.db);
        enqueue({"SELECT", db}, fatal_on_error("SELECT"));
    }
    if (on_connected_) on_connected_();
    in_preamble_ = false;
    put_before_outbox(preamble_);
    queued_.insert(0, preamble_wire_);
    preamble_wire_.clear();
    read();
    flush();
}

void RedisClient::put_before_outbox(RingQueue<Pending>& first) {
    for (; !outbox_.empty(); outbox_.pop_front()) first.push_back(std::move(outbox_.front()));
    outbox_.swap(first);  // `first` now holds the old, emptied outbox
}

void RedisClient::schedule_reconnect(const std::string& why) {
    if (state_ == State::stopped) return;
    const bool was_ready = state_ == State::ready;
    state_ = State::connecting;
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    reading_ = writing_ = false;
    if (connected_gauge_) connected_gauge_->Set(0);
    if (was_ready && reconnects_) reconnects_->Increment();
    // What was written and not answered goes out again, first, in order (a
    // subscriber's commands have no answers; on_connected subscribes again).
    for (std::size_t i = 0; i < awaiting_.size(); ++i)
        awaiting_[i].answered = 0;  // a transaction cut short is discarded by Redis and sent whole again
    put_before_outbox(awaiting_);
    if (!options_.subscriber) {
        // answered_ may span whole chunks not yet recycled.
        std::string unanswered;
        std::size_t skip = answered_;
        for (const std::string& chunk : written_) {
            const std::size_t from = std::min(skip, chunk.size());
            unanswered.append(chunk, from);
            skip -= from;
        }
        queued_.insert(0, unanswered);
    }
    written_.clear();
    answered_ = 0;
    if (on_disconnected_ && was_ready) on_disconnected_();

    const auto delay = std::chrono::milliseconds(backoff_.count() / 2 + jitter_() % (backoff_.count() / 2 + 1));
    if (why != last_error_)
        log_->warn("{}: {} {}: {}; retrying (backoff up to {} ms)", options_.name, was_ready ? "lost connection to" : "cannot connect to",
                   endpoint_.display(), why, options_.backoff_max.count());
    last_error_ = why;
    backoff_ = std::min(backoff_ * 2, options_.backoff_max);
    const std::uint64_t gen = generation_;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
        if (!ec && gen == self->generation_ && self->state_ != State::stopped) self->connect();
    });
}

void RedisClient::command(std::span<const std::string_view> args, ReplyHandler handler) {
    if (state_ == State::stopped) {
        if (handler) handler(nullptr);
        return;
    }
    enqueue(args, std::move(handler));
    flush_soon();
}

void RedisClient::transaction(std::span<const std::span<const std::string_view>> commands, ReplyHandler handler) {
    if (options_.subscriber) throw std::logic_error("RedisClient::transaction in subscriber mode");
    if (state_ == State::stopped) {
        if (handler) handler(nullptr);
        return;
    }
    std::string& out = wire();
    const std::size_t before = out.size();
    static constexpr std::string_view multi[] = {"MULTI"}, exec[] = {"EXEC"};
    append_command(out, multi);
    for (const auto& c : commands) append_command(out, c);
    append_command(out, exec);
    add_pending(before, std::move(handler), std::uint32_t(commands.size() + 2));
    flush_soon();
}

void RedisClient::flush_soon() {
    // Commands issued in one handler (a sink writing a batch) go out in one
    // write: flush once the handler is done, not after the first command.
    if (state_ == State::ready && !in_preamble_ && !flush_posted_) {
        flush_posted_ = true;
        boost::asio::post(executor_, [self = shared_from_this()] {
            self->flush_posted_ = false;
            self->flush();
        });
    }
}

void RedisClient::enqueue(std::span<const std::string_view> args, ReplyHandler handler) {
    std::string& out = wire();
    const std::size_t before = out.size();
    append_command(out, args);
    add_pending(before, std::move(handler), 1);
}

void RedisClient::add_pending(std::size_t before, ReplyHandler handler, std::uint32_t replies) {
    // A subscriber's commands get no replies of their own (pushes answer them).
    Pending p{options_.subscriber ? nullptr : std::move(handler), wire().size() - before, 0, replies, 0};
    if (in_preamble_)
        preamble_.push_back(std::move(p));
    else
        outbox_.push_back(std::move(p));
}

void RedisClient::flush() {
    if (writing_ || state_ != State::ready || outbox_.empty()) return;
    // Not writing, so answered chunks may go; then what is queued becomes
    // the next chunk, moved (not copied), and queued_ takes a spare one.
    recycle_answered();
    std::string chunk;
    if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
    }
    chunk.swap(queued_);
    written_.push_back(std::move(chunk));
    const std::int64_t now = now_ns();
    if (options_.subscriber) {
        outbox_.clear();
    } else {
        for (; !outbox_.empty(); outbox_.pop_front()) {
            outbox_.front().sent_ns = now;
            awaiting_.push_back(std::move(outbox_.front()));
        }
    }
    writing_ = true;
    const std::uint64_t gen = generation_;
    asio::async_write(socket_, asio::buffer(written_.back()), [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t) {
        if (gen != self->generation_) return;
        self->writing_ = false;
        if (ec) return self->schedule_reconnect(ec.message());
        if (self->options_.subscriber) {  // nothing answers these: all of it is done
            self->answered_ = 0;
            for (const std::string& chunk : self->written_) self->answered_ += chunk.size();
        }
        self->flush();
    });
}

void RedisClient::recycle_answered() {
    // Only while not writing: the last chunk may be the one being written.
    while (!written_.empty() && answered_ >= written_.front().size()) {
        answered_ -= written_.front().size();
        std::string done = std::move(written_.front());
        written_.pop_front();
        done.clear();  // keeps its capacity for a later chunk
        if (spare_.size() < 2) spare_.push_back(std::move(done));
    }
}

void RedisClient::resume_reading() {
    paused_ = false;
    if (state_ == State::ready) read();
}

void RedisClient::read() {
    if (reading_ || paused_ || state_ != State::ready) return;
    reading_ = true;
    const std::uint64_t gen = generation_;
    socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t n) {
        if (gen != self->generation_) return;
        self->reading_ = false;
        if (ec) return self->schedule_reconnect(ec == asio::error::eof ? "the server closed the connection" : ec.message());
        self->on_read(n);
    });
}

void RedisClient::on_read(std::size_t n) {
    const std::uint64_t gen = generation_;
    read_ns_ = now_ns();
    // hiredis's reader keeps unread input at the front of its buffer: each
    // time it has consumed 1 KiB it moves the rest down. Fed 64 KiB at once
    // it would move ~32 KiB per KiB parsed; fed a slice at a time it moves
    // only a slice's unfinished tail.
    constexpr std::size_t slice = 1024;
    for (std::size_t off = 0; off < n; off += slice) {
        if (redisReaderFeed(reader_, read_buffer_.data() + off, std::min(slice, n - off)) != REDIS_OK)
            return schedule_reconnect("protocol error");
        for (;;) {
            void* reply = nullptr;
            if (redisReaderGetReply(reader_, &reply) != REDIS_OK)
                return schedule_reconnect(std::string("protocol error: ") + reader_->errstr);
            if (!reply) break;
            dispatch(static_cast<redisReply*>(reply));
            arena_.reset();  // the reply was the handler's for the call only
            if (gen != generation_) return;  // a handler stopped or reset the connection
        }
    }
    read();
}

void RedisClient::dispatch(redisReply* reply) {
    if (options_.subscriber || awaiting_.empty()) {
        if (on_push_) on_push_(*reply);
        return;
    }
    // A transaction's MULTI and QUEUED replies: its handler wants EXEC's.
    if (++awaiting_.front().answered < awaiting_.front().replies) return;
    Pending p = std::move(awaiting_.front());
    awaiting_.pop_front();
    answered_ += p.size;
    if (rtt_ && (rtt_sample_++ & 15) == 0) rtt_->Observe(double(now_ns() - p.sent_ns) / 1e9);
    if (p.handler) p.handler(reply);
}

}  // namespace tickcast::redis
