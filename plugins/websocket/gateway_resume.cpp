// Gateway: resuming a subscription from a seq out of the redis_stream history.
#include "gateway.hpp"

#include <algorithm>

#include "websocket_session.hpp"

namespace tickcast::websocket {

// The subscriber is not live while its history is read, so the channel
// records what it publishes meanwhile (`recent`), as for a snapshot. The
// stream is read from the client's seq in batches; once a batch comes back
// short the stream is exhausted and `recent` must continue it.

void Gateway::start_resume(Channel& ch, WebSocketSession& session, Subscriber& sub, const ResumePoint& point) {
    if (!cache_) return resume_failed(ch, session, sub, "no cache");
    // An epoch of this gateway that is no longer current: the history broke since.
    if (!point.epoch.empty() && point.epoch.rfind(epoch_base_ + "-", 0) == 0 && point.epoch != ch.epoch)
        return resume_failed(ch, session, sub, "epoch " + point.epoch + " ended");
    sub.live = false;
    sub.resumed = false;
    sub.attempts = 0;
    sub.strict = true;
    sub.last_seq = point.seq;
    read_history(ch, session, sub);
}

void Gateway::read_history(Channel& ch, WebSocketSession& session, Subscriber& sub) {
    const std::uint64_t generation = sub.generation = ++generations_;
    cache_->read_history(ch.name, sub.last_seq, history_batch,
                         [self = shared_from_this(), name = ch.name, s = &session, generation](const std::string& error,
                                                                                                std::vector<HistoryEntry> entries) {
                             self->on_history(name, s, generation, error, entries);
                         });
}

void Gateway::on_history(const std::string& name, WebSocketSession* session, std::uint64_t generation, const std::string& error,
                         const std::vector<HistoryEntry>& entries) {
    const auto [channel, subscriber] = awaiting(name, session, generation);
    if (!subscriber) return;
    Channel& ch = *channel;
    Subscriber& sub = *subscriber;
    if (!error.empty()) return resume_failed(ch, *session, sub, error);

    // The entries start at last_seq (inclusive); the first new one must be last_seq + 1.
    if (!sub.resumed) {
        // First batch: the stream still holds the client's seq or the next one, or
        // holds nothing after it while the gateway is exactly there (nothing was missed).
        const bool holds = !entries.empty() && entries.front().seq <= sub.last_seq + 1;
        const bool current = entries.empty() && sub.last_seq == ch.last_seq && ch.last_seq != 0;
        if (!holds && !current)
            return resume_failed(ch, *session, sub, "the stream no longer holds seq " + std::to_string(sub.last_seq + 1));
        session->send(encode_resumed(name, sub.last_seq, ch.epoch));
        counters_.resumed->Increment();
        sub.resumed = true;
    }
    auto entry = entries.begin();
    while (entry != entries.end() && entry->seq <= sub.last_seq) ++entry;
    for (; entry != entries.end(); ++entry) {
        if (entry->seq != sub.last_seq + 1)
            return resume_failed(ch, *session, sub, "the stream skips from " + std::to_string(sub.last_seq) + " to " + std::to_string(entry->seq));
        // History is encoded per resuming client: it is not on the live path.
        session->send(encode_event(name, entry->seq, ch.epoch, entry->payload));
        sub.last_seq = entry->seq;
    }
    if (entries.size() == history_batch) return read_history(ch, *session, sub);

    // The stream is exhausted: what the gateway published since must continue it.
    if (ch.last_seq > sub.last_seq && (ch.recent.empty() || ch.recent.front().seq > sub.last_seq + 1)) {
        if (++sub.attempts >= snapshot_attempts)
            return resume_failed(ch, *session, sub, "the stream ends at " + std::to_string(sub.last_seq) + " but the gateway is at " +
                                                        std::to_string(ch.last_seq));
        return read_history(ch, *session, sub);
    }
    sub.live = true;
    for (const Recorded& r : ch.recent) {
        if (r.seq <= sub.last_seq) continue;
        session->send(r.message);
        sub.last_seq = r.seq;
    }
    if (ch.keeps_book && !ch.book_valid) read_book(name, 0);
}

void Gateway::resume_failed(Channel& ch, WebSocketSession& session, Subscriber& sub, const std::string& why) {
    context_.log().debug("{}: cannot resume a subscriber: {}", ch.name, why);
    counters_.resnapshots->Increment();
    counters_.resume_refused->Increment();
    sub.resumed = false;
    session.send(encode_resnapshot(ch.name, ch.epoch, "resume_unavailable"));
    start_deltas(ch, session, sub);
}

void Gateway::unsubscribe(WebSocketSession& session, const ClientRequest& request) {
    for (const std::string& name : request.channels) {
        if (!session.subscriptions().erase(name)) continue;
        auto it = channels_.find(name);
        if (it != channels_.end()) drop_subscription(it->second, session);
    }
    session.send(encode_ack(request.id, "unsubscribe", request.channels));
}

}  // namespace tickcast::websocket
