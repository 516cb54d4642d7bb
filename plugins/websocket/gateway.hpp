// Gateway: the state every connection shares (Beast's broadcast example's
// shared_state): channels, their subscribers, epochs and recent messages;
// fan-out of events; the snapshot-then-deltas merge; resumes from the
// stream history; depth books for checksums and conflation; access tokens;
// heartbeats; draining on shutdown. Defined in gateway.cpp, with the
// tokens in gateway_auth.cpp and resumes in gateway_resume.cpp.
//
// Threading: everything (the sink's write(), every session's socket
// handlers, Redis replies, timers) runs on one strand, the sink's executor,
// so none of this needs a lock. The one exception is end_batch(): the
// sessions a batch reached start their socket writes on write_threads
// threads at once (WriteWorkers, a fork-join inside the strand's handler;
// each thread touches only the sessions it claimed).
//
// Snapshot then deltas: a subscribed channel records the messages it
// encodes (`recent`, seq-ordered, contiguous within an epoch; a short tail
// while every subscriber is live, up to recent_capacity while a snapshot
// read is in flight). When the snapshot (seq S) arrives the subscriber gets it,
// then the recorded messages with seq > S, and is live from there on. If the
// recorded messages do not reach back to S+1 (the cache lags the gateway, or
// more arrived than `recent` holds) the snapshot is read again. A resume
// (subscribe with since) joins the live feed the same way after replaying
// the channel's stream from the client's seq.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tickcast/tickcast.hpp>

#include "auth_token.hpp"
#include "cache_reader.hpp"
#include "depth_book.hpp"
#include "gateway_options.hpp"
#include "messages.hpp"
#include "write_workers.hpp"

namespace tickcast::websocket {

class WebSocketSession;

class Gateway : public std::enable_shared_from_this<Gateway> {
public:
    // Messages recorded per subscribed channel for the snapshot merge: at
    // most recent_capacity while a subscriber waits for its snapshot or
    // history (or the depth book for its first snapshot), else the last recent_tail.
    static constexpr std::size_t recent_capacity = 4096;
    static constexpr std::size_t recent_tail = 256;
    static constexpr int snapshot_attempts = 6;
    // Stream entries per XRANGE while resuming.
    static constexpr std::size_t history_batch = 1000;
    // Longest wait for drained sessions to close: a close frame that cannot
    // be sent ends the socket after WebSocketSession::close_timeout.
    static constexpr std::chrono::seconds drain_timeout{3};

    // `cache` may be null (no snapshots; REST answers 503).
    Gateway(GatewayOptions options, SinkContext& context, std::shared_ptr<CacheReader> cache);

    void start();  // heartbeats
    // Shutdown with notice: every session gets {"type":"draining"} and close
    // 1012; `done` runs once all have closed (or after drain_timeout).
    void drain(Completion done);
    void stop();   // closes every session with 1001
    // Drops the gateway's references to its sessions (which hold the gateway
    // too): for teardown, when the close handshakes stop() began will never
    // finish because the io_context is no longer run.
    void release_sessions();

    // Fan-out of one event to the channel's live subscribers.
    void publish(const Event& e);
    // A batch of publish() calls: sessions idle when it begins only queue
    // (defer()) and start writing at end_batch(), so a coalescing session
    // gets the batch in as few frames as its caps allow, and the writes can
    // start on several threads. Order is unchanged: everything goes through
    // each session's queue.
    void begin_batch() { batching_ = true; }
    void end_batch();
    bool batching() const { return batching_; }
    void defer(std::shared_ptr<WebSocketSession> session) { deferred_.push_back(std::move(session)); }

    // Sessions. admit() reserves a connection slot (false at max_connections).
    bool admit();
    void release();  // gives back the slot of a connection that never opened
    void opened(const std::shared_ptr<WebSocketSession>& session);
    void closed(WebSocketSession& session);

    // Conflation (conflate_depth): what a slow session's latest-state entry
    // for `channel`, queued in `epoch`, becomes when its turn to be written
    // comes: the book as a snapshot message (shared by every session that
    // asks at the same seq); nothing, if the session left the channel or a
    // resnapshot follows; or close, if the book is not known.
    struct LatestState {
        Message message;
        bool close = false;
    };
    LatestState latest_state(WebSocketSession& session, const std::string& channel, const std::string& epoch);
    const std::string& epoch_of(const std::string& channel) { return this->channel(channel).epoch; }

    // Client requests; answers (ack, error, snapshot) go to the session.
    void subscribe(WebSocketSession& session, const ClientRequest& request);
    void unsubscribe(WebSocketSession& session, const ClientRequest& request);
    // op auth, or the URL's ?token= (with a null id).
    void authenticate(WebSocketSession& session, const boost::json::value& id, std::string_view token);
    // The session's token expired: its private subscriptions end with token_expired.
    void token_expired(WebSocketSession& session);

    const GatewayOptions& options() const { return options_; }
    CacheReader* cache() { return cache_.get(); }
    spdlog::logger& log() { return context_.log(); }
    boost::asio::any_io_executor executor() { return context_.executor(); }

    // A session is being closed with 4008: counts it, and logs it, at most
    // once per slow_log_interval (with how many more there were meanwhile).
    void slow_consumer(std::string_view why);
    static constexpr std::chrono::seconds slow_log_interval{10};

    struct Counters {
        prometheus::Gauge* connections;
        prometheus::Counter* rejected_max_connections;
        prometheus::Counter* rejected_origin;
        prometheus::Counter* deliveries;
        prometheus::Counter* slow_consumers;
        prometheus::Counter* rate_limited;
        prometheus::Counter* client_errors;
        prometheus::Counter* snapshots;
        prometheus::Counter* resnapshots;
        prometheus::Counter* epochs;
        prometheus::Counter* rest_requests;
        prometheus::Counter* auth_ok;
        prometheus::Counter* auth_failed;
        prometheus::Counter* resumed;
        prometheus::Counter* resume_refused;
        prometheus::Counter* conflations;
        prometheus::Gauge* channels;
    };
    Counters& counters() { return counters_; }

private:
    struct Subscriber {
        bool live = false;           // false while its snapshot (or its history, to resume) is read
        bool resumed = false;        // a resume's "resumed" message was sent
        std::uint64_t last_seq = 0;  // last seq delivered (or the snapshot's); 0: take whatever comes, unless `strict`
        // last_seq came from a snapshot or a resume point, so the next event
        // must be last_seq + 1 even when that is 0: an empty snapshot (the
        // cache had nothing yet) followed by seq 468 would be a gap.
        bool strict = false;
        std::uint64_t generation = 0;  // of its latest snapshot request: older replies are ignored
        int attempts = 0;
    };
    struct Recorded {
        std::uint64_t seq;
        Message message;
        Payload payload;  // the event's while the depth book is not known, to re-encode the message then; else null
    };
    struct Channel {
        std::string name;
        std::string epoch;
        std::uint64_t epoch_counter = 0;
        std::uint64_t last_seq = 0;
        bool quiet = true;  // no event since the last heartbeat tick
        std::unordered_map<WebSocketSession*, Subscriber> subscribers;
        std::deque<Recorded> recent;
        // depth.<SYM> with a cache: the book, seeded by the first snapshot read
        // and kept while the channel has subscribers, for the checksums.
        bool keeps_book = false;
        bool book_valid = false;
        std::uint64_t book_seq = 0;
        DepthBook book;
        Message latest;  // the book as a conflated snapshot at latest_seq, built on demand
        std::uint64_t latest_seq = 0;
    };

    Channel& channel(const std::string& name);
    bool snapshots_for(std::string_view channel) const;
    void new_epoch(Channel& ch, std::string_view reason);
    // The checksum after event `seq` when the book follows it (else none, and the book is dropped if it broke).
    std::optional<std::uint32_t> advance_book(Channel& ch, std::uint64_t seq, std::string_view payload);
    void seed_book(Channel& ch, const CacheSnapshot& snapshot);
    // Reads the book from the cache for a channel whose subscribers came
    // without a snapshot (resumed), so that its next messages carry checksums.
    void read_book(const std::string& channel, int attempt);
    void forget_book(Channel& ch);
    void request_snapshot(Channel& ch, WebSocketSession& session, Subscriber& sub);
    // The channel and subscriber a cache reply was for, if that subscriber is
    // still there and has not asked again since (else nulls).
    std::pair<Channel*, Subscriber*> awaiting(const std::string& channel, WebSocketSession* session, std::uint64_t generation);
    void on_snapshot(const std::string& channel, WebSocketSession* session, std::uint64_t generation,
                     const std::string& error, const CacheSnapshot& snapshot);
    void retry_snapshot(const std::string& channel, WebSocketSession* session, std::uint64_t generation, const std::string& why);
    void drop_subscription(Channel& ch, WebSocketSession& session);
    // Resume after `point.seq` from the channel's stream, or tell the client to re-snapshot.
    void start_resume(Channel& ch, WebSocketSession& session, Subscriber& sub, const ResumePoint& point);
    void read_history(Channel& ch, WebSocketSession& session, Subscriber& sub);
    void on_history(const std::string& channel, WebSocketSession* session, std::uint64_t generation, const std::string& error,
                    const std::vector<HistoryEntry>& entries);
    void resume_failed(Channel& ch, WebSocketSession& session, Subscriber& sub, const std::string& why);
    void start_deltas(Channel& ch, WebSocketSession& session, Subscriber& sub);
    // Why `session` may not subscribe to `name` (empty: it may): a private
    // channel needs a live token for the channel's own user.
    std::pair<std::string_view, std::string> refusal(const WebSocketSession& session, const std::string& name) const;
    void heartbeat();

    GatewayOptions options_;
    SinkContext& context_;
    std::shared_ptr<CacheReader> cache_;
    std::optional<TokenVerifier> tokens_;  // absent without a secret
    std::string epoch_base_;  // the gateway's start time, ms since the Unix epoch
    std::unordered_map<std::string, Channel> channels_;
    std::unordered_map<WebSocketSession*, std::shared_ptr<WebSocketSession>> sessions_;
    std::uint64_t generations_ = 0;  // snapshot requests, gateway-wide
    std::size_t slots_ = 0;  // admitted connections, open or opening
    boost::asio::steady_timer heartbeat_timer_;
    bool stopped_ = false;
    bool batching_ = false;
    std::vector<std::shared_ptr<WebSocketSession>> deferred_, flushing_;  // sessions to start writing after the batch
    Completion drained_;  // set while draining
    boost::asio::steady_timer drain_timer_;
    WriteWorkers writers_;
    std::chrono::steady_clock::time_point slow_logged_{};  // last slow-consumer log line
    std::uint64_t slow_unlogged_ = 0;                      // closes since, not logged
    Counters counters_;
};

}  // namespace tickcast::websocket
