#include "offset_tracker.hpp"

#include <algorithm>

namespace tickcast::kafka {

void OffsetTracker::emitted(const TopicPartition& tp, std::int64_t first, std::int64_t last, std::uint64_t token) {
    partitions_[tp].ranges.push_back({token, first, last});
    tokens_[token].push_back(tp);
}

void OffsetTracker::acked(std::uint64_t token) {
    const auto t = tokens_.find(token);
    if (t == tokens_.end()) return;
    for (const TopicPartition& tp : t->second) {
        const auto p = partitions_.find(tp);
        if (p == partitions_.end()) continue;  // revoked meanwhile
        Partition& part = p->second;
        for (Range& r : part.ranges)
            if (r.token == token) r.acked = true;
        while (!part.ranges.empty() && part.ranges.front().acked) {
            part.commit = part.ranges.front().last + 1;
            part.moved = true;
            part.ranges.pop_front();
        }
    }
    tokens_.erase(t);
}

std::vector<PartitionOffset> OffsetTracker::failed(std::uint64_t token) {
    std::vector<PartitionOffset> reread;
    const auto t = tokens_.find(token);
    if (t == tokens_.end()) return reread;
    for (const TopicPartition& tp : t->second) {
        const auto p = partitions_.find(tp);
        if (p == partitions_.end()) continue;
        auto& ranges = p->second.ranges;
        const auto r = std::find_if(ranges.begin(), ranges.end(), [&](const Range& x) { return x.token == token; });
        if (r == ranges.end()) continue;  // already superseded by an earlier failure
        // From the partition's first unacknowledged range, not the failed one:
        // an earlier batch still in flight may fail later, and reading it again
        // only then would hand sinks its events after later ones (a Redis
        // stream with seq ids would then refuse them as old). Earlier batches
        // that succeed after all are delivered twice, which at-least-once allows.
        const auto from = std::find_if(ranges.begin(), r, [](const Range& x) { return !x.acked; });
        reread.emplace_back(tp, from->first);
        // Those ranges will be read again; their acks and failures find nothing.
        ranges.erase(from, ranges.end());
    }
    tokens_.erase(t);
    return reread;
}

std::vector<PartitionOffset> OffsetTracker::take_commits() {
    std::vector<PartitionOffset> out;
    for (auto& [tp, part] : partitions_)
        if (std::exchange(part.moved, false)) out.emplace_back(tp, part.commit);
    return out;
}

std::vector<PartitionOffset> OffsetTracker::commits_for(const std::vector<TopicPartition>& partitions) const {
    std::vector<PartitionOffset> out;
    for (const TopicPartition& tp : partitions)
        if (const std::int64_t c = commit_point(tp); c >= 0) out.emplace_back(tp, c);
    return out;
}

void OffsetTracker::commit_failed(const TopicPartition& tp) {
    if (const auto p = partitions_.find(tp); p != partitions_.end() && p->second.commit >= 0) p->second.moved = true;
}

std::int64_t OffsetTracker::commit_point(const TopicPartition& tp) const {
    const auto p = partitions_.find(tp);
    return p == partitions_.end() ? -1 : p->second.commit;
}

std::size_t OffsetTracker::unacked(const TopicPartition& tp) const {
    const auto p = partitions_.find(tp);
    return p == partitions_.end() ? 0 : p->second.ranges.size();
}

void OffsetTracker::forget(const TopicPartition& tp) { partitions_.erase(tp); }

}  // namespace tickcast::kafka
