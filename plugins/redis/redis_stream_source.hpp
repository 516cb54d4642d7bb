// redis_stream (source side): XREAD BLOCK over every stream that matches
// `channels` (patterns are found with SCAN and looked for again every
// `discover_every`), from the last ID read, so a reconnect loses nothing.
//
// Start: `start: new` reads what arrives after start-up, `all` whatever the
// streams still hold, and `since: {channel: seq}` resumes after that seq (the
// entry IDs are "<seq>-0"); if the stream was trimmed past it, the first
// event carries the gap flag. With `group:` it reads as a consumer group
// (XREADGROUP) and XACKs each entry once every sink has handled it; on
// start-up it first re-reads its own unacknowledged entries.
//
// New streams: without a group, a reader with patterns also reads the
// stream on which redis_stream sinks announce each stream they start
// (<prefix>tickcast:new-streams), so a stream that appears after start-up is
// read from its first entry at once, not at the next SCAN. (A group cannot:
// every stream of an XREADGROUP needs the group, and the group's members
// would split the announcements.) Streams written by others are still found
// by the SCAN.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "redis_client.hpp"
#include "redis_source_base.hpp"

namespace tickcast::redis {

class RedisStreamSource final : public RedisSourceBase {
public:
    explicit RedisStreamSource(const ConfigNode& options);
    static OptionSpecs options();
    void start(SourceContext& context) override;

private:
    void discover();
    void scan(const std::string& pattern, const std::string& cursor);
    void add_stream(const std::string& key);
    void start_after_newest(const std::string& key, std::string& id);
    void one_done();  // a start-up command answered
    void read();
    void on_entries(const redisReply& reply);
    void on_announcements(const redisReply& entries);
    void on_backlog(bool full) override;
    void stop_reading() override;
    void acknowledged(const std::vector<std::pair<std::string, std::string>>& ids) override;
    std::string channel_of(std::string_view key) const;

    bool start_all_ = false;
    std::map<std::string, std::uint64_t> since_;
    std::string group_, consumer_;
    std::string block_ms_, count_;
    std::chrono::nanoseconds discover_every_;

    std::shared_ptr<RedisClient> reader_, control_;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    std::map<std::string, std::string> streams_;  // key -> ID to read after ("0-0", "<seq>-0", or ">" in a group)
    std::vector<std::string> patterns_;           // the channels that are patterns, with the prefix
    std::string announce_key_, announce_id_;       // the new-streams stream, when read (announce_id_ not empty)
    bool initial_ = true;        // first discovery: decides where `start: new` begins
    std::size_t outstanding_ = 0;  // start-up commands not yet answered
    bool reading_ = false;
    std::uint32_t errors_logged_ = 0;
};

}  // namespace tickcast::redis
