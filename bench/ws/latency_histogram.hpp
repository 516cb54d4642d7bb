// LatencyHistogram: publish -> client latencies in 1 µs buckets up to 1 s
// (beyond: one overflow bucket, and the exact maximum). Adding a sample is
// an index and an increment: no allocation on the load client's hot path.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tickcast::bench {

class LatencyHistogram {
public:
    static constexpr std::size_t buckets = 1'000'000;  // µs

    LatencyHistogram() : counts_(buckets, 0) {}

    void add(std::int64_t ns) {
        if (ns < 0) ns = 0;  // clocks of one machine: only rounding can make it negative
        const std::uint64_t us = std::uint64_t(ns) / 1000;
        if (us < buckets)
            ++counts_[us];
        else
            ++overflow_;
        ++count_;
        max_ns_ = std::max(max_ns_, ns);
    }

    std::uint64_t count() const { return count_; }
    double max_ms() const { return double(max_ns_) / 1e6; }

    // The p-quantile (0 < p <= 1) in ms, as the upper edge of its 1 µs bucket.
    double quantile_ms(double p) const {
        if (count_ == 0) return 0;
        const std::uint64_t rank = std::max<std::uint64_t>(1, std::uint64_t(p * double(count_) + 0.999999));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            seen += counts_[i];
            if (seen >= rank) return double(i + 1) / 1000.0;
        }
        return max_ms();
    }

    void clear() {
        std::fill(counts_.begin(), counts_.end(), 0);
        overflow_ = count_ = 0;
        max_ns_ = 0;
    }

private:
    std::vector<std::uint32_t> counts_;
    std::uint64_t overflow_ = 0, count_ = 0;
    std::int64_t max_ns_ = 0;
};

}  // namespace tickcast::bench
