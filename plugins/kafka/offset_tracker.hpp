// OffsetTracker: which offsets kafka_source may commit (at-least-once).
//
// The source emits batches of messages; every sink acknowledges a batch by
// its token, possibly out of order. An offset may be committed only when it
// and everything before it on its partition was acknowledged, so per
// partition the tracker keeps the emitted ranges in offset order and moves
// the commit point over the acknowledged prefix. Kafka commits name the
// next offset to read, so the commit point is (last acknowledged offset + 1).
//
// Not thread-safe: used on the source's strand only.
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tickcast::kafka {

struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;

    auto operator<=>(const TopicPartition&) const = default;
    std::string str() const { return topic + "[" + std::to_string(partition) + "]"; }
};

// A partition and an offset: a commit, or where to read again from.
using PartitionOffset = std::pair<TopicPartition, std::int64_t>;

class OffsetTracker {
public:
    // Offsets [first, last] of `tp` went out in the batch `token`. Ranges of
    // one partition are recorded in offset order.
    void emitted(const TopicPartition& tp, std::int64_t first, std::int64_t last, std::uint64_t token);

    // Every sink handled batch `token`.
    void acked(std::uint64_t token);

    // A sink failed batch `token`. For each of its partitions, everything from
    // the first range not yet acknowledged (the failed one, or an earlier one
    // still in flight) is forgotten and will be read again, in offset order;
    // the result says where to read again from.
    std::vector<PartitionOffset> failed(std::uint64_t token);

    // Commit points that moved since they were last taken.
    std::vector<PartitionOffset> take_commits();
    // The commit points of `partitions` (those that have one), moved or not.
    std::vector<PartitionOffset> commits_for(const std::vector<TopicPartition>& partitions) const;
    // A commit of `tp` failed: take_commits() offers it again.
    void commit_failed(const TopicPartition& tp);

    // The next offset to read after everything acknowledged, or -1.
    std::int64_t commit_point(const TopicPartition& tp) const;
    // Emitted ranges of `tp` not yet acknowledged.
    std::size_t unacked(const TopicPartition& tp) const;
    // The partition was revoked: drop what is known about it.
    void forget(const TopicPartition& tp);

private:
    struct Range {
        std::uint64_t token;
        std::int64_t first, last;
        bool acked = false;
    };
    struct Partition {
        std::deque<Range> ranges;
        std::int64_t commit = -1;
        bool moved = false;
    };

    std::map<TopicPartition, Partition> partitions_;
    std::unordered_map<std::uint64_t, std::vector<TopicPartition>> tokens_;
};

}  // namespace tickcast::kafka
