#include "websocket_session.hpp"

#include <algorithm>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "gateway.hpp"

namespace tickcast::websocket {

namespace beast = boost::beast;
namespace ws = beast::websocket;

ws::close_reason reason_for(std::uint16_t code, std::string_view text) {
    ws::close_reason r;
    r.code = code;
    r.reason = std::string(text.substr(0, 120));  // a close frame's payload is at most 125 bytes
    return r;
}

WebSocketSession::WebSocketSession(std::shared_ptr<Gateway> gateway, const boost::asio::any_io_executor& executor)
    : gateway_(std::move(gateway)), close_timer_(executor), auth_timer_(executor) {
    tokens_ = gateway_->options().messages_per_second;
    refilled_ = std::chrono::steady_clock::now();
}

void WebSocketSession::on_accept(beast::error_code ec, bool admitted, const std::string& token) {
    if (ec) {
        if (admitted) gateway_->release();
        finished_ = true;
        return;
    }
    if (!admitted) {
        finished_ = true;  // holds no slot and is in no map
        closing_ = true;
        write_close(reason_for(close_code::try_again_later, "too many connections; try again later"));
        return;
    }
    opened_ = true;
    gateway_->opened(shared_from_this());
    if (!token.empty()) gateway_->authenticate(*this, nullptr, token);
    read_frame();
}

void WebSocketSession::authenticated(std::string user, std::int64_t expires) {
    user_ = std::move(user);
    auth_expires_ = expires;
    arm_auth_timer();
}

namespace {
std::int64_t unix_seconds() { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); }
}  // namespace

void WebSocketSession::arm_auth_timer() {
    // Waits of at most a day, so that no far expiry overflows the clock.
    const std::int64_t remaining = std::clamp<std::int64_t>(auth_expires_ - unix_seconds(), 0, 86400);
    auth_timer_.expires_after(std::chrono::seconds(remaining));
    auth_timer_.async_wait([self = shared_from_this(), expires = auth_expires_](beast::error_code ec) {
        // A newer token re-arms the timer (cancelling this wait) and moves auth_expires_.
        if (ec || self->finished_ || self->auth_expires_ != expires) return;
        if (unix_seconds() < expires) return self->arm_auth_timer();
        self->gateway_->token_expired(*self);
    });
}

void WebSocketSession::on_read(beast::error_code ec, bool text) {
    // Errors include the client's close, a message over max_message_size
    // (Beast has then sent close 1009), timeouts and our own close.
    if (ec) return finish();
    if (closing_) {
        in_.consume(in_.size());
        return read_frame();
    }
    if (!within_rate()) return;
    if (!text) {
        gateway_->counters().client_errors->Increment();
        send(encode_error(nullptr, error_code::binary_not_supported, "binary messages are not supported; send JSON text"));
    } else {
        const std::string text = beast::buffers_to_string(in_.data());
        handle(text);
    }
    in_.consume(in_.size());
    read_frame();
}

bool WebSocketSession::within_rate() {
    const double rate = gateway_->options().messages_per_second;
    const auto now = std::chrono::steady_clock::now();
    tokens_ = std::min(rate, tokens_ + rate * std::chrono::duration<double>(now - refilled_).count());
    refilled_ = now;
    if (tokens_ >= 1) {
        tokens_ -= 1;
        return true;
    }
    gateway_->counters().rate_limited->Increment();
    close(close_code::rate_limited, "more than " + std::to_string(std::int64_t(rate)) + " messages per second");
    in_.consume(in_.size());
    read_frame();  // until the close handshake ends
    return false;
}

void WebSocketSession::handle(std::string_view text) {
    ClientRequest request;
    RequestError error;
    if (!parse_request(text, request, error)) {
        gateway_->counters().client_errors->Increment();
        send(encode_error(request.id, error.code, error.message));
        return;
    }
    if (request.op == "ping")
        send(encode_pong(request.id));
    else if (request.op == "auth")
        gateway_->authenticate(*this, request.id, request.token);
    else if (request.op == "subscribe")
        gateway_->subscribe(*this, request);
    else
        gateway_->unsubscribe(*this, request);
}

void WebSocketSession::send(Message message, const std::string* depth_channel) {
    if (closing_ || finished_) return;
    const GatewayOptions& o = gateway_->options();
    if (depth_channel && o.conflate_depth) {
        // A latest-state entry already queued for this channel will carry this delta too.
        if (std::find(latest_pending_.begin(), latest_pending_.end(), depth_channel) != latest_pending_.end()) return;
        if (queued_bytes_ + message->size() > o.conflate_above) return conflate(depth_channel);
    }
    if (queued_bytes_ + message->size() > o.send_queue_limit) {
        const std::string why = "slow consumer: more than " + std::to_string(o.send_queue_limit) + " bytes queued";
        gateway_->slow_consumer(why);
        close(close_code::slow_consumer, why);
        return;
    }
    queued_bytes_ += message->size();
    queue_.push_back({std::move(message), depth_channel, {}});
    start_writing();
}

void WebSocketSession::start_writing() {
    if (writing_) return;
    if (!gateway_->batching()) return write_next();
    if (deferred_) return;
    deferred_ = true;
    gateway_->defer(shared_from_this());
}

void WebSocketSession::flush() {
    deferred_ = false;
    if (!writing_ && !finished_) write_next();
}

void WebSocketSession::conflate(const std::string* channel) {
    // Drop the channel's queued deltas (not one being written) and queue, in
    // their stead, the channel's state as of when this entry is written.
    // One pass (a queue near the mark can hold many thousands of entries).
    const auto first = queue_.begin() + std::ptrdiff_t(writing_ ? in_flight_ : 0);
    const auto kept = std::remove_if(first, queue_.end(), [&](const Outgoing& o) {
        if (o.depth_channel != channel || !o.message) return false;
        queued_bytes_ -= o.message->size();
        return true;
    });
    queue_.erase(kept, queue_.end());
    queue_.push_back({nullptr, channel, gateway_->epoch_of(*channel)});
    latest_pending_.push_back(channel);
    gateway_->counters().conflations->Increment();
    start_writing();
}

namespace {
const char open_bracket = '[', comma = ',', close_bracket = ']';
}  // namespace

void WebSocketSession::write_next() {
    // The frame: the first queued message, or on a coalescing connection as
    // many as the caps allow. A latest-state entry's state is taken when it
    // joins a frame.
    const std::size_t max_messages = coalesce_ ? std::max<std::size_t>(1, gateway_->options().coalesce_max_messages) : 1;
    std::size_t count = 0, bytes = 1;  // a frame "[m1,...,mn]" takes sum(size + 1) + 1 bytes
    while (count < queue_.size() && count < max_messages) {
        Outgoing& entry = queue_[count];
        if (!entry.message) {
            const Gateway::LatestState state = gateway_->latest_state(*this, *entry.depth_channel, entry.epoch);
            // Closing drops the queue: first write what precedes the entry (it comes first in the next frame).
            if (state.close && count > 0) break;
            latest_pending_.erase(std::find(latest_pending_.begin(), latest_pending_.end(), entry.depth_channel));
            if (state.close) {
                writing_ = false;  // nothing is being written: close() may drop the whole queue
                in_flight_ = 0;
                const std::string why = "slow consumer: the depth it missed could not be conflated";
                gateway_->slow_consumer(why);
                return close(close_code::slow_consumer, why);
            }
            if (!state.message) {
                queue_.erase(queue_.begin() + std::ptrdiff_t(count));  // unsubscribed, or a resnapshot follows
                continue;
            }
            entry.message = state.message;
            queued_bytes_ += entry.message->size();
        }
        if (count > 0 && bytes + entry.message->size() + 1 > max_coalesced_bytes) break;
        bytes += entry.message->size() + 1;
        ++count;
    }
    if (count == 0) {
        writing_ = false;
        if (close_pending_) {
            // Everything close() kept is written: now the close frame.
            close_pending_ = false;
            write_close(close_reason_);
        }
        return;
    }
    gather_.clear();
    if (count == 1) {
        gather_.push_back(boost::asio::buffer(*queue_.front().message));
    } else {
        gather_.push_back(boost::asio::buffer(&open_bracket, 1));
        for (std::size_t i = 0; i < count; ++i) {
            if (i > 0) gather_.push_back(boost::asio::buffer(&comma, 1));
            gather_.push_back(boost::asio::buffer(*queue_[i].message));
        }
        gather_.push_back(boost::asio::buffer(&close_bracket, 1));
    }
    writing_ = true;
    in_flight_ = count;
    write_frame(BufferSpan{gather_.data(), gather_.size()});
}

void WebSocketSession::on_written(beast::error_code ec) {
    for (std::size_t i = 0; i < in_flight_; ++i) {
        queued_bytes_ -= queue_.front().message->size();
        queue_.pop_front();
    }
    in_flight_ = 0;
    if (ec) {
        writing_ = false;
        return;  // the read side sees the failure and finishes
    }
    write_next();
}

void WebSocketSession::close(std::uint16_t code, std::string reason, Message last) {
    if (closing_ || finished_) return;
    closing_ = true;
    // Keep only the messages being written (and `last`); the close frame follows them.
    while (queue_.size() > (writing_ ? in_flight_ : 0u)) {
        if (queue_.back().message) queued_bytes_ -= queue_.back().message->size();
        queue_.pop_back();
    }
    latest_pending_.clear();
    if (last) {
        queued_bytes_ += last->size();
        queue_.push_back({std::move(last), nullptr, {}});
    }
    close_reason_ = reason_for(code, reason);
    close_pending_ = true;
    close_timer_.expires_after(close_timeout);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->drop_socket();  // the peer never took the close frame
    });
    if (!writing_) write_next();
}

void WebSocketSession::finish() {
    if (finished_) return;
    finished_ = true;
    close_timer_.cancel();
    auth_timer_.cancel();
    if (opened_) gateway_->closed(*this);
    drop_socket();
}

}  // namespace tickcast::websocket
