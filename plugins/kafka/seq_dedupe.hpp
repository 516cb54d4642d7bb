// kafka_sink `dedupe`: drops the events a replaying engine emits again.
//
// After a crash the matching engine restarts from its last durable snapshot
// and re-emits the events of the inputs after it, with the same channels and
// seqs (docs/reliability.md). Before its first write the sink reads its topic
// back (read_written_seqs) and learns, per channel, the last seq already
// there; an event at or below it is dropped, the first one above it is
// written and ends the channel's dedupe. Per-channel prefixes are what Kafka
// keeps: a channel's events share a key, hence a partition, and the
// idempotent producer writes a partition in order without holes.
//
// Not thread-safe: the sink's strand only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spdlog {
class logger;
}

namespace tickcast::kafka {

class KafkaCluster;

class SeqDedupe {
public:
    enum class Verdict {
        write,            // new
        drop,             // already in the topic
        write_after_gap,  // new, but seqs between the last written and it are missing
    };

    // `seq` of `channel` is in the topic.
    void learn(std::string_view channel, std::uint64_t seq);
    // For an event about to be written. Events with seq 0 (unknown) are new.
    Verdict check(std::string_view channel, std::uint64_t seq);
    // Channels still being deduplicated.
    std::size_t size() const { return last_.size(); }
    bool empty() const { return last_.empty(); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> last_;
};

struct ReadBack {
    std::string error;           // empty: done
    std::size_t messages = 0;    // read
    std::size_t partitions = 0;  // of the topic
};

// Reads every partition of `topic` from its first message stamped at or after
// `since_ms` (Kafka message time; 0 or an embedded cluster, whose test broker
// cannot look offsets up by time: from the beginning) to its current end, and
// learns each message's tc.channel and tc.seq into `out`. A topic that does
// not exist yet holds nothing. Blocks up to `timeout`.
ReadBack read_written_seqs(const KafkaCluster& cluster, spdlog::logger& log, const std::string& topic, std::int64_t since_ms,
                           std::chrono::milliseconds timeout, SeqDedupe& out);

}  // namespace tickcast::kafka
