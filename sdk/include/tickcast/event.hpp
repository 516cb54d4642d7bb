// Event: the unit that flows through a pipeline, and the batch it travels in.
//
// Ownership: an Event owns its channel, key and headers; its payload is an
// immutable buffer shared by every copy of the event and every sink, so a
// fan-out never copies payload bytes. Events are not thread-safe to mutate;
// once a batch is handed to sinks it is const.
#pragma once

#include <array>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tickcast {

// Wall-clock nanoseconds since the Unix epoch: the one clock for origin and
// hop stamps, since those are compared across processes and machines.
inline std::int64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

using Payload = std::shared_ptr<const std::string>;

inline Payload make_payload(std::string bytes) {
    return std::make_shared<const std::string>(std::move(bytes));
}

// A timestamp taken when an event passed a named point ("engine", "kafka_out",
// "redis_in", ...). Fixed capacity so that stamping never allocates.
struct HopStamp {
    std::array<char, 16> name_bytes{};
    std::int64_t ns = 0;

    std::string_view name() const noexcept {
        return {name_bytes.data(), strnlen(name_bytes.data(), name_bytes.size())};
    }
};

class Hops {
public:
    static constexpr std::size_t capacity = 6;

    // Records a stamp; names longer than 16 bytes are cut, and past `capacity`
    // stamps the oldest after the first is dropped (the origin hop is kept).
    void add(std::string_view name, std::int64_t ns) noexcept {
        if (count_ == capacity) {
            std::move(stamps_.begin() + 2, stamps_.end(), stamps_.begin() + 1);
            --count_;
        }
        HopStamp& s = stamps_[count_++];
        s.name_bytes = {};
        std::copy_n(name.data(), std::min(name.size(), s.name_bytes.size()), s.name_bytes.data());
        s.ns = ns;
    }
    std::size_t size() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }
    const HopStamp* begin() const noexcept { return stamps_.data(); }
    const HopStamp* end() const noexcept { return stamps_.data() + count_; }
    const HopStamp* find(std::string_view name) const noexcept {
        for (const HopStamp& s : *this)
            if (s.name() == name) return &s;
        return nullptr;
    }

private:
    std::array<HopStamp, capacity> stamps_{};
    std::uint8_t count_ = 0;
};

using Header = std::pair<std::string, std::string>;
using Headers = std::vector<Header>;

namespace event_flags {
// The source knows that events on this channel were lost just before this
// one (e.g. Redis Pub/Sub dropped them while disconnected).
inline constexpr std::uint32_t gap_before = 1u << 0;
// Not data: the event has no payload and only says that the channel's last
// seq is `seq` (a Redis Pub/Sub heartbeat that revealed events lost at the
// tail of a channel, with gap_before). Sinks that store or forward data skip
// it; the WebSocket gateway starts a new epoch and re-snapshots its clients.
inline constexpr std::uint32_t heartbeat = 1u << 1;
}  // namespace event_flags

struct Event {
    std::string channel;      // e.g. "trades.BTC-USDT"
    std::string key;          // partitioning key, e.g. the symbol
    Payload payload;          // immutable, shared; may be null for an empty payload
    std::uint64_t seq = 0;    // per-channel sequence number, 0 when unknown
    std::int64_t origin_ns = 0;  // when the event was first created (now_ns clock)
    Hops hops;
    Headers headers;          // small metadata; no allocation when empty
    std::uint32_t flags = 0;  // event_flags

    std::string_view payload_view() const noexcept {
        return payload ? std::string_view(*payload) : std::string_view();
    }
    const std::string* header(std::string_view name) const noexcept {
        for (const Header& h : headers)
            if (h.first == name) return &h.second;
        return nullptr;
    }
};

using EventBatch = std::vector<Event>;

// What sinks receive: the host keeps the batch alive until every sink has
// completed it, and a sink may keep the pointer past its write() call.
using BatchRef = std::shared_ptr<const EventBatch>;

}  // namespace tickcast
