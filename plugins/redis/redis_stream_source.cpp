#include "redis_stream_source.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include "redis_resource.hpp"
#include "wire.hpp"

namespace tickcast::redis {

OptionSpecs RedisStreamSource::options() {
    OptionSpecs o = common_options();
    o.push_back({"start", OptionType::string, false, "new", "new: only entries added after start-up; all: whatever the streams still hold"});
    o.push_back({"since", OptionType::map, false, "", "Resume per channel after a seq, e.g. {trades.BTC-USDT: 1041}"});
    o.push_back({"group", OptionType::string, false, "", "Read as this consumer group (XREADGROUP) and XACK what every sink handled"});
    o.push_back({"consumer", OptionType::string, false, "", "Consumer name within the group (default: host-pid)"});
    o.push_back({"block", OptionType::duration, false, "100ms", "How long one XREAD waits for new entries (new streams join after at most this)"});
    o.push_back({"count", OptionType::integer, false, "512", "Most entries per XREAD"});
    o.push_back({"discover_every", OptionType::duration, false, "1s", "How often patterns are matched against the streams again"});
    return o;
}

RedisStreamSource::RedisStreamSource(const ConfigNode& o) : RedisSourceBase(o) {
    const std::string start = o["start"].as_string();
    if (start != "new" && start != "all") o["start"].fail("start must be 'new' or 'all', got '" + start + "'");
    start_all_ = start == "all";
    for (const auto& [k, v] : o["since"].entries()) since_[k.text()] = v.as_uint();
    if (o.has("group")) group_ = o["group"].as_string();
    if (o.has("consumer")) consumer_ = o["consumer"].as_string();
    if (consumer_.empty()) {
        char host[256] = {};
        gethostname(host, sizeof host - 1);
        consumer_ = std::string(host) + "-" + std::to_string(getpid());
    }
    block_ms_ = std::to_string(std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(o["block"].as_duration()).count()));
    const std::int64_t count = o["count"].as_int();
    if (count < 1) o["count"].fail("count must be at least 1");
    count_ = std::to_string(count);
    discover_every_ = o["discover_every"].as_duration();
    if (!group_.empty()) track_acks();
}

void RedisStreamSource::start(SourceContext& context) {
    start_base(context);
    auto resource = redis_resource(context, resource_name());
    reader_ = resource->make_client(context, "xread", false);
    control_ = resource->make_client(context, "control", false);
    for (auto* c : {&reader_, &control_})
        (*c)->set_on_fatal([this](const std::string& why) { this->context().fail("Redis " + reader_->endpoint().display() + ": " + why); });
    timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
    reader_->start();
    control_->start();
    for (const auto& [channel, seq] : since_) expect_next(channel, seq);
    for (const std::string& c : channels_)
        if (is_pattern(c)) patterns_.push_back(prefix() + c);
    announce_key_ = prefix() + std::string(new_streams_key);  // never a data stream, even to a "*" pattern
    if (group_.empty() && !patterns_.empty()) {
        // Announcements from now on: after the newest one there is, if any.
        announce_id_ = "0-0";
        start_after_newest(announce_key_, announce_id_);
    }
    discover();
}

std::string RedisStreamSource::channel_of(std::string_view key) const {
    if (key.substr(0, prefix().size()) == prefix()) key.remove_prefix(prefix().size());
    return std::string(key);
}

void RedisStreamSource::discover() {
    if (stopping_) return;
    ++outstanding_;  // held until every scan below has been issued
    bool any_pattern = false;
    for (const std::string& c : channels_) {
        if (is_pattern(c)) {
            any_pattern = true;
            scan(prefix() + c, "0");
        } else {
            add_stream(prefix() + c);
        }
    }
    one_done();
    if (any_pattern && discover_every_.count() > 0) {
        timer_->expires_after(discover_every_);
        timer_->async_wait([this](boost::system::error_code ec) {
            if (!ec) discover();
        });
    }
}

void RedisStreamSource::scan(const std::string& pattern, const std::string& cursor) {
    ++outstanding_;
    control_->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "stream"}, [this, pattern](const redisReply* r) {
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            for (std::size_t i = 0; i < r->element[1]->elements; ++i)
                add_stream(std::string(r->element[1]->element[i]->str, r->element[1]->element[i]->len));
            const std::string next(r->element[0]->str, r->element[0]->len);
            if (next != "0") scan(pattern, next);
        } else if (r) {
            context().log().warn("SCAN for {} failed: {}", pattern, describe(r));
        }
        one_done();
    });
}

void RedisStreamSource::add_stream(const std::string& key) {
    if (streams_.count(key) || key == announce_key_) return;
    const std::string channel = channel_of(key);
    auto since = since_.find(channel);
    if (!group_.empty()) {
        // The group starts where `start` says; afterwards ">" means "not yet
        // delivered to the group". First re-read our own pending entries ("0").
        streams_[key] = "0";
        ++outstanding_;
        const std::string from = since != since_.end() ? std::to_string(since->second) + "-0" : (start_all_ || !initial_ ? "0" : "$");
        control_->command({"XGROUP", "CREATE", key, group_, from, "MKSTREAM"}, [this, key](const redisReply* r) {
            if (r && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).find("BUSYGROUP") == std::string_view::npos)
                context().log().error("XGROUP CREATE {} failed: {}", key, describe(r));
            one_done();
        });
        return;
    }
    if (since != since_.end()) {
        streams_[key] = std::to_string(since->second) + "-0";
    } else if (start_all_ || !initial_) {
        streams_[key] = "0-0";  // a stream that appeared after start-up is new in full
    } else {
        // `start: new`: resolve "$" to a concrete ID now; "$" itself would
        // skip whatever arrives between two XREADs.
        start_after_newest(key, streams_[key] = "0-0");
    }
}

// A start-up command: `id` (a member, or an element of streams_, which keeps
// its entries) becomes the newest entry ID of `key`, unless it has none.
void RedisStreamSource::start_after_newest(const std::string& key, std::string& id) {
    ++outstanding_;
    control_->command({"XREVRANGE", key, "+", "-", "COUNT", "1"}, [this, &id](const redisReply* r) {
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) id.assign(r->element[0]->element[0]->str, r->element[0]->element[0]->len);
        one_done();
    });
}

void RedisStreamSource::one_done() {
    if (--outstanding_ > 0) return;
    initial_ = false;
    read();
}

void RedisStreamSource::read() {
    if (stopping_ || reading_ || (streams_.empty() && announce_id_.empty()) || backlogged() || outstanding_ > 0) return;
    std::vector<std::string> args;
    if (group_.empty())
        args = {"XREAD", "COUNT", count_, "BLOCK", block_ms_, "STREAMS"};
    else
        args = {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", count_, "BLOCK", block_ms_, "STREAMS"};
    for (const auto& [key, id] : streams_) args.push_back(key);
    if (!announce_id_.empty()) args.push_back(announce_key_);
    for (const auto& [key, id] : streams_) args.push_back(id);
    if (!announce_id_.empty()) args.push_back(announce_id_);
    reading_ = true;
    reader_->command(std::vector<std::string_view>(args.begin(), args.end()), [this](const redisReply* r) {
        reading_ = false;
        if (!r || stopping_) return;
        if (r->type == REDIS_REPLY_ERROR) {
            if (errors_logged_++ < 10) context().log().error("reading the streams failed: {}", describe(r));
            timer_->expires_after(std::chrono::seconds(1));
            timer_->async_wait([this](boost::system::error_code ec) {
                if (!ec) discover();
            });
            return;
        }
        on_entries(*r);
        read();
    });
    // Out now, not after the handlers queued behind this one (the pump of
    // the entries just delivered, and its sinks): the next entries are read
    // while this batch is handled.
    reader_->flush_now();
}

void RedisStreamSource::on_entries(const redisReply& r) {
    // nil on timeout; else [[key, [[id, [field, value, ...]], ...]], ...]
    std::map<std::string, std::size_t> seen;
    if (r.type == REDIS_REPLY_ARRAY) {
        for (std::size_t s = 0; s < r.elements; ++s) {
            const redisReply* stream = r.element[s];
            const std::string key(stream->element[0]->str, stream->element[0]->len);
            const redisReply* entries = stream->element[1];
            if (!announce_id_.empty() && key == announce_key_) {
                on_announcements(*entries);
                continue;
            }
            seen[key] = entries->elements;
            std::string& last_id = streams_[key];
            const std::string channel = channel_of(key);
            for (std::size_t i = 0; i < entries->elements; ++i) {
                const redisReply* entry = entries->element[i];
                const std::string_view id(entry->element[0]->str, entry->element[0]->len);
                const redisReply* fields = entry->element[1];
                if (group_.empty() || last_id != ">") last_id = id;
                if (fields->type != REDIS_REPLY_ARRAY) continue;  // a pending entry deleted since
                Pending p;
                p.event.channel = channel;
                if (!group_.empty()) {  // only XACK needs to know where an event came from
                    p.stream = key;
                    p.id = id;
                }
                for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                    const std::string_view name(fields->element[f]->str, fields->element[f]->len);
                    const std::string_view value(fields->element[f + 1]->str, fields->element[f + 1]->len);
                    if (name == "payload") p.event.payload = payloads_.make(value);
                    else if (name == "seq") std::from_chars(value.data(), value.data() + value.size(), p.event.seq);
                    else if (name == "ts") std::from_chars(value.data(), value.data() + value.size(), p.event.origin_ns);
                    else if (name == "key") p.event.key = std::string(value);
                    else if (name == "hops") decode_hops(value, p.event.hops);
                }
                // A duplicate in group mode is still acknowledged, so it leaves the pending list.
                if (!deliver(std::move(p), reader_->read_ns()) && !group_.empty()) acknowledged({{key, std::string(id)}});
            }
        }
    }
    // Group mode: once our own pending entries are re-read, take new ones.
    if (!group_.empty())
        for (auto& [key, id] : streams_)
            if (id != ">" && seen[key] == 0) id = ">";
}

void RedisStreamSource::on_announcements(const redisReply& entries) {
    for (std::size_t i = 0; i < entries.elements; ++i) {
        const redisReply* entry = entries.element[i];
        announce_id_.assign(entry->element[0]->str, entry->element[0]->len);
        const redisReply* fields = entry->element[1];
        if (fields->type != REDIS_REPLY_ARRAY) continue;
        for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
            if (std::string_view(fields->element[f]->str, fields->element[f]->len) != "key") continue;
            const std::string key(fields->element[f + 1]->str, fields->element[f + 1]->len);
            for (const std::string& pattern : patterns_)  // Redis's glob syntax is fnmatch's
                if (fnmatch(pattern.c_str(), key.c_str(), 0) == 0) {
                    add_stream(key);  // after start-up: read from its first entry
                    break;
                }
        }
    }
}

void RedisStreamSource::on_backlog(bool full) {
    if (!full) read();
}

void RedisStreamSource::stop_reading() {
    if (timer_) timer_->cancel();
    if (reader_) reader_->stop();
    if (control_) control_->stop();
}

void RedisStreamSource::acknowledged(const std::vector<std::pair<std::string, std::string>>& ids) {
    std::map<std::string, std::vector<std::string>> by_stream;
    for (const auto& [key, id] : ids) by_stream[key].push_back(id);
    for (auto& [key, list] : by_stream) {
        std::vector<std::string_view> args{"XACK", key, group_};
        args.insert(args.end(), list.begin(), list.end());
        control_->command(args);
    }
}

}  // namespace tickcast::redis
