// DepthBook: the gateway's copy of one depth channel's book, kept while the
// channel has subscribers, so that every depth message can carry the book's
// checksum after it (docs/protocol.md, "Depth checksum") and a slow client
// can be sent the latest state instead of the deltas it missed.
//
// Levels are keyed by the price strings as the events carry them, ordered
// numerically (compare_decimal), so "100.5" and "100.50" are one level.
//
// Thread-safety: none; the gateway's strand.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace tickcast::websocket {

// CRC32 (the zlib / IEEE polynomial) of the checksum string: for each of
// the 10 best asks (lowest first), then each of the 10 best bids (highest
// first), the price and then the quantity, each with '.' removed and then
// its leading '0's removed, all concatenated. As Kraken's book checksum.
class DepthBook {
public:
    static constexpr std::size_t checksum_levels = 10;

    // Applies a depth event's {"bids":[[price,qty],...],"asks":[...]} (qty
    // "0" removes the level). False if it is not that shape; the book is
    // then unreliable and the caller drops it.
    bool apply(std::string_view payload);
    // Replaces the book with a snapshot's data (the same shape).
    bool load(std::string_view data_json);
    void clear();

    std::uint32_t checksum() const;
    // {"bids":[[price,qty],...],"asks":[...]}, best first: a snapshot's data.
    std::string to_json() const;

private:
    struct Higher {
        bool operator()(const std::string& a, const std::string& b) const;
    };
    struct Lower {
        bool operator()(const std::string& a, const std::string& b) const;
    };
    std::map<std::string, std::string, Higher> bids_;
    std::map<std::string, std::string, Lower> asks_;
    mutable std::string scratch_;  // the checksum string, kept for its capacity
    mutable std::uint32_t checksum_ = 0;
    mutable bool top_changed_ = true;  // checksum_ is stale
};

}  // namespace tickcast::websocket
