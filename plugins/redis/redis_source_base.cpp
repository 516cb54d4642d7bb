#include "redis_source_base.hpp"

#include <boost/asio/post.hpp>

namespace tickcast::redis {

bool is_pattern(const std::string& c) { return c.find_first_of("*?[") != std::string::npos; }

OptionSpecs RedisSourceBase::common_options() {
    return {
        {"redis", OptionType::resource, true, "", "The Redis resource to read from", "redis"},
        {"channels", OptionType::string_list, true, "", "Channels to read, e.g. [\"trades.*\", depth.BTC-USDT]; * ? [] are patterns"},
        {"prefix", OptionType::string, false, "tc:", "Prefix of every Redis key or channel (as the sink wrote them)"},
        {"batch", OptionType::integer, false, "512", "Most events per emitted batch"},
    };
}

RedisSourceBase::RedisSourceBase(const ConfigNode& o)
    : channels_(o["channels"].as_strings()), resource_name_(o["redis"].as_string()), prefix_(o["prefix"].as_string()) {
    if (channels_.empty()) o["channels"].fail("give at least one channel");
    const std::int64_t batch = o["batch"].as_int();
    if (batch < 1) o["batch"].fail("batch must be at least 1");
    batch_max_ = std::size_t(batch);
    max_pending_ = std::max<std::size_t>(4 * batch_max_, 1024);
}

void RedisSourceBase::start_base(SourceContext& context) {
    context_ = &context;
    gaps_ = &context.metrics().counter("tickcast_redis_source_gaps_total", "Times a channel's seq jumped: events were lost upstream");
    missed_ = &context.metrics().counter("tickcast_redis_source_missed_events_total", "Events missing from the seq jumps");
    duplicates_ = &context.metrics().counter("tickcast_redis_source_duplicates_total", "Events dropped because their seq was not new");
    in_hop_.emplace(context.metrics(), "redis_in");
}

void RedisSourceBase::stop() {
    if (stopping_) return;
    stopping_ = true;
    stop_reading();
    pending_.clear();
    context_->done();
}

bool RedisSourceBase::deliver(Pending p, std::int64_t received_ns) {
    Event& e = p.event;
    if (!(e.flags & event_flags::heartbeat)) in_hop_->stamp(e.hops, received_ns);
    if (!check_sequence(e)) return false;
    pending_.push_back(std::move(p));
    if (backlogged()) on_backlog(true);
    if (!pump_posted_ && !waiting_) {
        pump_posted_ = true;
        boost::asio::post(context_->executor(), [this] {
            pump_posted_ = false;
            pump();
        });
    }
    return true;
}

bool RedisSourceBase::check_sequence(Event& e) {
    const bool beat = (e.flags & event_flags::heartbeat) != 0;
    if (e.seq == 0 || track_acks_) return !beat;
    auto [it, fresh] = last_seq_.try_emplace(e.channel, e.seq);
    if (fresh) return !beat;  // nothing to compare with yet
    const std::uint64_t last = it->second;
    if (e.seq <= last) {
        if (!beat) duplicates_->Increment();
        return false;
    }
    it->second = e.seq;
    // An event should follow `last` directly; a heartbeat carries the seq of
    // the publisher's last event, so anything past `last` was lost.
    const std::uint64_t missed = e.seq - last - (beat ? 0 : 1);
    if (missed == 0) return true;
    e.flags |= event_flags::gap_before;
    if (beat) e.payload.reset();
    gaps_->Increment();
    missed_->Increment(double(missed));
    context_->log().warn("gap on {}: {} {} after {}, {} events missed", e.channel, beat ? "a heartbeat says seq" : "seq", e.seq, last,
                         missed);
    return true;
}

void RedisSourceBase::pump() {
    waiting_ = false;
    if (stopping_) return;
    while (!pending_.empty()) {
        const std::size_t n = std::min({pending_.size(), batch_max_, context_->capacity()});
        if (n == 0) {
            waiting_ = true;
            context_->when_ready([this] { pump(); });
            return;
        }
        EventBatch batch;
        batch.reserve(n);
        std::vector<std::pair<std::string, std::string>> ids;
        for (std::size_t i = 0; i < n; ++i) {
            Pending& p = pending_.front();
            if (track_acks_) ids.emplace_back(std::move(p.stream), std::move(p.id));
            batch.push_back(std::move(p.event));
            pending_.pop_front();
        }
        const std::uint64_t token = next_token_++;
        unacked_.emplace(token, Unacked{n, std::move(ids)});
        context_->emit(std::move(batch), token);
    }
    in_hop_->flush();
    on_backlog(false);
}

void RedisSourceBase::on_ack(std::uint64_t token, const Status& status) {
    auto it = unacked_.find(token);
    if (it == unacked_.end()) return;
    // A failed batch stays unacknowledged in the group: Redis keeps it
    // pending and it is read again after a restart (at-least-once). Without
    // a group nothing reads it again.
    if (status.ok)
        acknowledged(it->second.ids);
    else if (!track_acks_)
        context_->lost(it->second.events, status.error);
    unacked_.erase(it);
}

}  // namespace tickcast::redis
