#include "gateway.hpp"

#include <algorithm>

#include "websocket_session.hpp"

namespace tickcast::websocket {

namespace {
Gateway::Counters make_counters(Metrics& m) {
    const auto rejected = [&m](const char* reason) -> prometheus::Counter& {
        return m.counter("tickcast_websocket_rejected_connections_total", "Connections refused at the upgrade", {{"reason", reason}});
    };
    return {
        &m.gauge("tickcast_websocket_connections", "Open WebSocket connections"),
        &rejected("max_connections"),
        &rejected("origin"),
        &m.counter("tickcast_websocket_deliveries_total", "Event messages queued to clients (one per subscriber)"),
        &m.counter("tickcast_websocket_slow_consumer_closes_total", "Connections closed because their send queue was full (4008)"),
        &m.counter("tickcast_websocket_rate_limit_closes_total", "Connections closed for sending too many messages (4029)"),
        &m.counter("tickcast_websocket_client_errors_total", "Error messages sent to clients"),
        &m.counter("tickcast_websocket_snapshots_total", "Snapshots sent"),
        &m.counter("tickcast_websocket_resnapshots_total", "Subscribers told to take a new snapshot"),
        &m.counter("tickcast_websocket_epochs_total", "New epochs started because a channel's history broke"),
        &m.counter("tickcast_websocket_rest_requests_total", "REST requests answered"),
        &m.counter("tickcast_websocket_auth_total", "Access tokens checked", {{"result", "ok"}}),
        &m.counter("tickcast_websocket_auth_total", "Access tokens checked", {{"result", "refused"}}),
        &m.counter("tickcast_websocket_resumes_total", "Subscriptions resumed from a seq", {{"result", "resumed"}}),
        &m.counter("tickcast_websocket_resumes_total", "Subscriptions resumed from a seq", {{"result", "refused"}}),
        &m.counter("tickcast_websocket_conflations_total", "Times a slow client's queued depth deltas were replaced by the latest state"),
        &m.gauge("tickcast_websocket_channels", "Channels the gateway keeps state for: published to, or subscribed"),
    };
}
}  // namespace

Gateway::Gateway(GatewayOptions options, SinkContext& context, std::shared_ptr<CacheReader> cache)
    : options_(std::move(options)), context_(context), cache_(std::move(cache)),
      epoch_base_(std::to_string(now_ns() / 1'000'000)), heartbeat_timer_(context.executor()), drain_timer_(context.executor()),
      writers_(options_.write_threads), counters_(make_counters(context.metrics())) {
    if (!options_.auth_secret.empty()) tokens_.emplace(options_.auth_secret);
}

void Gateway::start() { heartbeat(); }

void Gateway::drain(Completion done) {
    stopped_ = true;
    heartbeat_timer_.cancel();
    if (sessions_.empty()) return done();
    drained_ = std::move(done);
    context_.log().info("draining {} WebSocket connections", sessions_.size());
    const Message notice = encode_draining("shutdown");
    auto sessions = sessions_;
    for (auto& [_, s] : sessions) s->close(close_code::service_restart, "the gateway is restarting; reconnect", notice);
    drain_timer_.expires_after(drain_timeout);
    drain_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || !self->drained_) return;
        self->context_.log().warn("{} WebSocket connections did not close within {} s", self->sessions_.size(), drain_timeout.count());
        self->drained_();
    });
}

void Gateway::stop() {
    stopped_ = true;
    heartbeat_timer_.cancel();
    drain_timer_.cancel();
    auto sessions = sessions_;  // closing never erases synchronously, but be safe
    for (auto& [_, s] : sessions) s->close(close_code::going_away, "the gateway is stopping");
}

void Gateway::release_sessions() {
    sessions_.clear();
    channels_.clear();
}

// Channels ----------------------------------------------------------------

Gateway::Channel& Gateway::channel(const std::string& name) {
    auto [it, fresh] = channels_.try_emplace(name);
    if (fresh) {
        counters_.channels->Set(double(channels_.size()));
        it->second.name = name;
        it->second.epoch = epoch_base_ + "-0";
        it->second.keeps_book = cache_ && split_channel(name).first == "depth";
    }
    return it->second;
}

bool Gateway::snapshots_for(std::string_view channel) const {
    const auto kind = split_channel(channel).first;
    return cache_ && (kind == "trades" || kind == "depth");
}

void Gateway::new_epoch(Channel& ch, std::string_view reason) {
    ch.epoch = epoch_base_ + "-" + std::to_string(++ch.epoch_counter);
    ch.recent.clear();
    forget_book(ch);
    counters_.epochs->Increment();
    if (ch.subscribers.empty()) return;
    const Message notice = encode_resnapshot(ch.name, ch.epoch, reason);
    for (auto& [session, sub] : ch.subscribers) {
        session->send(notice);
        counters_.resnapshots->Increment();
        if (snapshots_for(ch.name)) {
            sub.attempts = 0;
            request_snapshot(ch, *session, sub);
        } else {
            sub.live = true;
            sub.strict = false;
            sub.last_seq = 0;  // continue with whatever comes next
        }
    }
}

void Gateway::publish(const Event& e) {
    Channel& ch = channel(e.channel);
    if (e.flags & event_flags::heartbeat) {
        // Upstream says the channel is at e.seq: if we are behind, what we
        // missed is gone (Pub/Sub), so subscribers start over from a snapshot.
        if (e.seq == 0 || e.seq <= ch.last_seq) return;
        if ((e.flags & event_flags::gap_before) || (ch.last_seq != 0 && e.seq > ch.last_seq + 1)) new_epoch(ch, "gap");
        ch.last_seq = e.seq;
        return;
    }
    ch.quiet = false;
    if (e.seq != 0 && ch.last_seq != 0) {
        if (e.seq == ch.last_seq) return;  // a replay the source let through
        if (e.flags & event_flags::gap_before)
            new_epoch(ch, "gap");
        else if (e.seq < ch.last_seq)
            new_epoch(ch, "seq_reset");
        else if (e.seq > ch.last_seq + 1)
            new_epoch(ch, "gap");
    } else if (e.flags & event_flags::gap_before) {
        new_epoch(ch, "gap");
    }
    if (e.seq != 0) ch.last_seq = e.seq;
    if (ch.subscribers.empty()) return;  // nobody listens: not even encoded

    std::optional<std::uint32_t> checksum;
    if (ch.keeps_book) checksum = advance_book(ch, e.seq, e.payload_view());
    const Message message = encode_event(ch.name, e.seq, ch.epoch, e.payload_view(), checksum);
    if (e.seq != 0) {
        // The payload only while the book waits for its first snapshot
        // (seed_book re-encodes those messages with checksums): a payload may
        // share its memory with thousands of other events (the matching
        // stage's PayloadSlabs), and an entry of `recent` would keep all of
        // it alive for as long as the entry stays, which on a quiet channel
        // is hours.
        ch.recent.push_back({e.seq, message, ch.keeps_book && !ch.book_valid ? e.payload : Payload()});
        if (ch.recent.size() > recent_capacity) ch.recent.pop_front();
    }
    std::uint64_t delivered = 0;
    bool waiting = false;  // a subscriber's snapshot or history is being read
    for (auto& [session, sub] : ch.subscribers) {
        if (!sub.live) {
            waiting = true;
            continue;  // its snapshot merge will take it from `recent`
        }
        if (e.seq != 0) {
            if (e.seq <= sub.last_seq) continue;  // already in its snapshot
            if ((sub.last_seq != 0 || sub.strict) && e.seq != sub.last_seq + 1) {
                // The snapshot was empty (the cache had no history yet) but
                // the feed began past seq 1: a cache builder that started
                // mid-stream cannot give the events before it. Otherwise the
                // channel checks prevent this; kept as the last line of defence.
                session->send(encode_resnapshot(ch.name, ch.epoch, "gap"));
                counters_.resnapshots->Increment();
                if (snapshots_for(ch.name)) {
                    sub.attempts = 0;
                    request_snapshot(ch, *session, sub);
                    continue;
                }
            }
            sub.last_seq = e.seq;
        }
        session->send(message, ch.book_valid ? &ch.name : nullptr);
        ++delivered;
    }
    // With nobody waiting on `recent`, a short tail is enough for the next
    // subscriber's snapshot (a cache a little behind the gateway); it grows
    // again while someone waits. Full, it holds recent_capacity messages
    // per channel: ~3 MB of a busy depth channel.
    const std::size_t keep = waiting || (ch.keeps_book && !ch.book_valid) ? recent_capacity : recent_tail;
    while (ch.recent.size() > keep) ch.recent.pop_front();
    counters_.deliveries->Increment(double(delivered));
}

void Gateway::slow_consumer(std::string_view why) {
    counters_.slow_consumers->Increment();
    const auto now = std::chrono::steady_clock::now();
    if (slow_logged_ != std::chrono::steady_clock::time_point{} && now - slow_logged_ < slow_log_interval) {
        ++slow_unlogged_;
        return;
    }
    if (slow_unlogged_)
        context_.log().warn("closing a client with 4008, {} ({} more since the last such line)", why, slow_unlogged_);
    else
        context_.log().warn("closing a client with 4008, {}", why);
    slow_logged_ = now;
    slow_unlogged_ = 0;
}

void Gateway::end_batch() {
    batching_ = false;
    // Swapped, keeping both vectors' capacity: no allocation per batch.
    flushing_.swap(deferred_);
    // A session whose next frame takes a depth channel's latest state reads
    // the gateway's books: it starts here, after the others, on this thread.
    auto start = [this](std::size_t i) {
        if (!flushing_[i]->flush_reads_gateway()) flushing_[i]->flush();
    };
    writers_.for_each(flushing_.size(), start);
    for (const auto& session : flushing_)
        if (session->flush_reads_gateway()) session->flush();
    flushing_.clear();
}

// Depth books ---------------------------------------------------------------

std::optional<std::uint32_t> Gateway::advance_book(Channel& ch, std::uint64_t seq, std::string_view payload) {
    if (!ch.book_valid || seq <= ch.book_seq) return std::nullopt;  // not seeded, or the cache was ahead of the feed
    if (seq == ch.book_seq + 1 && ch.book.apply(payload)) {
        ch.book_seq = seq;
        return ch.book.checksum();
    }
    context_.log().warn("{}: event {} does not continue the depth book at {} (or is not a depth delta); checksums stop until the next snapshot",
                        ch.name, seq, ch.book_seq);
    forget_book(ch);
    return std::nullopt;
}

void Gateway::seed_book(Channel& ch, const CacheSnapshot& snapshot) {
    // Messages recorded before the book was known lack their checksum:
    // encode them again now (nobody has been sent them; they wait for this snapshot).
    if (!ch.book.load(snapshot.data_json)) return forget_book(ch);
    ch.book_valid = true;
    ch.book_seq = snapshot.seq;
    for (Recorded& r : ch.recent) {
        if (r.seq <= ch.book_seq) continue;
        if (!r.payload) {
            // Recorded while an earlier book was valid, which then broke: its
            // message cannot be re-encoded; no checksums until the next snapshot.
            forget_book(ch);
            break;
        }
        const std::optional<std::uint32_t> checksum = advance_book(ch, r.seq, *r.payload);
        if (!checksum) break;
        r.message = encode_event(ch.name, r.seq, ch.epoch, *r.payload, checksum);
    }
    if (ch.book_valid)
        for (Recorded& r : ch.recent) r.payload.reset();  // the messages carry their checksums now
}

void Gateway::read_book(const std::string& name, int attempt) {
    cache_->read_depth(split_channel(name).second, 0, [self = shared_from_this(), name, attempt](const std::string& error, CacheSnapshot snapshot) {
        auto it = self->channels_.find(name);
        if (self->stopped_ || it == self->channels_.end()) return;
        Channel& ch = it->second;
        if (ch.book_valid || ch.subscribers.empty()) return;  // a snapshot seeded it meanwhile, or nobody is left
        // As for a subscriber's snapshot: what the gateway recorded must continue it.
        if (error.empty() && (ch.last_seq <= snapshot.seq || (!ch.recent.empty() && ch.recent.front().seq <= snapshot.seq + 1)))
            return self->seed_book(ch, snapshot);
        if (attempt + 1 >= snapshot_attempts) return;  // no checksums until the next snapshot seeds the book
        auto timer = std::make_shared<boost::asio::steady_timer>(self->context_.executor(), std::chrono::milliseconds(10 << attempt));
        timer->async_wait([self, timer, name, attempt](boost::system::error_code ec) {
            if (!ec && !self->stopped_) self->read_book(name, attempt + 1);
        });
    });
}

void Gateway::forget_book(Channel& ch) {
    ch.book_valid = false;
    ch.book_seq = 0;
    ch.book.clear();
    ch.latest.reset();
}

Gateway::LatestState Gateway::latest_state(WebSocketSession& session, const std::string& name, const std::string& epoch) {
    Channel& ch = channel(name);
    const auto sub = ch.subscribers.find(&session);
    if (sub == ch.subscribers.end() || ch.epoch != epoch || !sub->second.live) return {};  // gone, or a resnapshot is queued after
    // A live subscriber has been given every event up to the channel's last: the book is at that seq.
    if (!ch.book_valid || ch.book_seq != sub->second.last_seq) return {nullptr, true};
    if (!ch.latest || ch.latest_seq != ch.book_seq) {
        ch.latest = encode_snapshot(ch.name, ch.book_seq, ch.epoch, ch.book.to_json(), ch.book.checksum(), true);
        ch.latest_seq = ch.book_seq;
    }
    return {ch.latest};
}

// Sessions ----------------------------------------------------------------

bool Gateway::admit() {
    if (stopped_ || slots_ >= options_.max_connections) {
        counters_.rejected_max_connections->Increment();
        return false;
    }
    ++slots_;
    return true;
}

void Gateway::release() { --slots_; }

void Gateway::opened(const std::shared_ptr<WebSocketSession>& session) {
    sessions_.emplace(session.get(), session);
    counters_.connections->Set(double(sessions_.size()));
}

void Gateway::closed(WebSocketSession& session) {
    for (const std::string& name : session.subscriptions()) {
        auto it = channels_.find(name);
        if (it == channels_.end()) continue;
        drop_subscription(it->second, session);
    }
    session.subscriptions().clear();
    if (sessions_.erase(&session)) --slots_;
    counters_.connections->Set(double(sessions_.size()));
    if (drained_ && sessions_.empty()) {
        drain_timer_.cancel();
        drained_();
    }
}

// Requests ----------------------------------------------------------------

void Gateway::subscribe(WebSocketSession& session, const ClientRequest& request) {
    auto& mine = session.subscriptions();
    std::vector<std::string> fresh;
    for (const std::string& name : request.channels) {
        if (const auto [code, message] = refusal(session, name); !code.empty()) {
            counters_.client_errors->Increment();
            session.send(encode_error(request.id, code, message, name));
            return;
        }
        if (!mine.count(name)) fresh.push_back(name);
    }
    if (mine.size() + fresh.size() > options_.max_subscriptions) {
        counters_.client_errors->Increment();
        session.send(encode_error(request.id, error_code::too_many_subscriptions,
                                  "at most " + std::to_string(options_.max_subscriptions) + " channels per connection; " +
                                      std::to_string(mine.size()) + " already subscribed"));
        return;
    }
    session.send(encode_ack(request.id, "subscribe", request.channels));
    for (const std::string& name : fresh) {
        mine.insert(name);
        Channel& ch = channel(name);
        Subscriber& sub = ch.subscribers[&session];
        const auto point = std::find_if(request.since.begin(), request.since.end(), [&](const ResumePoint& p) { return p.channel == name; });
        if (point != request.since.end())
            start_resume(ch, session, sub, *point);
        else
            start_deltas(ch, session, sub);
    }
}

void Gateway::start_deltas(Channel& ch, WebSocketSession& session, Subscriber& sub) {
    if (snapshots_for(ch.name)) {
        sub.attempts = 0;
        request_snapshot(ch, session, sub);
    } else {
        sub.live = true;
        sub.strict = false;
        sub.last_seq = ch.last_seq;  // deltas from the next event on
    }
}

// Snapshots ---------------------------------------------------------------

void Gateway::request_snapshot(Channel& ch, WebSocketSession& session, Subscriber& sub) {
    sub.live = false;
    const std::uint64_t generation = sub.generation = ++generations_;
    const std::string name = ch.name;
    auto handler = [self = shared_from_this(), name, s = &session, generation](const std::string& error, CacheSnapshot snapshot) {
        self->on_snapshot(name, s, generation, error, snapshot);
    };
    const auto [kind, symbol] = split_channel(name);
    if (kind == "depth")
        cache_->read_depth(symbol, 0, std::move(handler));
    else
        cache_->read_trades(symbol, 0, std::move(handler));
}

std::pair<Gateway::Channel*, Gateway::Subscriber*> Gateway::awaiting(const std::string& name, WebSocketSession* session,
                                                                    std::uint64_t generation) {
    auto it = channels_.find(name);
    if (stopped_ || it == channels_.end()) return {nullptr, nullptr};
    auto found = it->second.subscribers.find(session);
    if (found == it->second.subscribers.end() || found->second.generation != generation) return {nullptr, nullptr};
    return {&it->second, &found->second};
}

void Gateway::on_snapshot(const std::string& name, WebSocketSession* session, std::uint64_t generation, const std::string& error,
                          const CacheSnapshot& snapshot) {
    // The subscriber may have gone (unsubscribed, disconnected) or asked again since.
    const auto [channel, subscriber] = awaiting(name, session, generation);
    if (!subscriber) return;
    Channel& ch = *channel;
    Subscriber& sub = *subscriber;
    if (!error.empty()) return retry_snapshot(name, session, generation, error);

    const std::uint64_t s = snapshot.seq;
    if (ch.last_seq > s && (ch.recent.empty() || ch.recent.front().seq > s + 1))
        return retry_snapshot(name, session, generation,
                              "the cache is at seq " + std::to_string(s) + " and the gateway at " + std::to_string(ch.last_seq));

    std::optional<std::uint32_t> checksum;
    if (ch.keeps_book) {
        if (!ch.book_valid) seed_book(ch, snapshot);
        if (ch.book_valid && ch.book_seq == s) {
            checksum = ch.book.checksum();
        } else {
            DepthBook at_snapshot;  // the gateway's book has moved past the snapshot
            if (at_snapshot.load(snapshot.data_json)) checksum = at_snapshot.checksum();
        }
    }
    session->send(encode_snapshot(name, s, ch.epoch, snapshot.data_json, checksum));
    counters_.snapshots->Increment();
    sub.live = true;
    sub.attempts = 0;
    sub.strict = true;
    sub.last_seq = s;
    for (const Recorded& r : ch.recent) {
        if (r.seq <= sub.last_seq) continue;
        session->send(r.message);
        sub.last_seq = r.seq;
    }
}

void Gateway::retry_snapshot(const std::string& name, WebSocketSession* session, std::uint64_t generation, const std::string& why) {
    Subscriber& sub = channels_[name].subscribers[session];
    if (++sub.attempts >= snapshot_attempts) {
        context_.log().warn("no consistent snapshot for {} after {} attempts: {}", name, sub.attempts, why);
        counters_.client_errors->Increment();
        session->send(encode_error(nullptr, error_code::snapshot_unavailable,
                                   "no consistent snapshot could be read (" + why + "); subscribe again later", name));
        session->subscriptions().erase(name);
        drop_subscription(channels_[name], *session);
        return;
    }
    // The cache usually lags the gateway by a write: read again shortly.
    auto timer = std::make_shared<boost::asio::steady_timer>(context_.executor(), std::chrono::milliseconds(10 << sub.attempts));
    timer->async_wait([self = shared_from_this(), timer, name, session, generation](boost::system::error_code ec) {
        if (ec || self->stopped_) return;
        auto it = self->channels_.find(name);
        if (it == self->channels_.end()) return;
        auto found = it->second.subscribers.find(session);
        if (found == it->second.subscribers.end() || found->second.generation != generation) return;
        self->request_snapshot(it->second, *session, found->second);
    });
}

// Heartbeats --------------------------------------------------------------

void Gateway::heartbeat() {
    if (stopped_ || options_.heartbeat.count() == 0) return;
    heartbeat_timer_.expires_after(options_.heartbeat);
    heartbeat_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->stopped_) return;
        for (auto& [name, ch] : self->channels_) {
            if (!std::exchange(ch.quiet, true) || ch.subscribers.empty()) continue;
            const Message beat = encode_heartbeat(name, ch.last_seq, ch.epoch);
            for (auto& [session, sub] : ch.subscribers) {
                if (!sub.live) continue;
                session->send(sub.last_seq == ch.last_seq || sub.last_seq == 0 ? beat : encode_heartbeat(name, sub.last_seq, ch.epoch));
            }
        }
        self->heartbeat();
    });
}

}  // namespace tickcast::websocket
