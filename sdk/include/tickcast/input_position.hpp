// Two event headers that let a replaying stage recover exactly once
// (docs/reliability.md, "Exactly-once trades from the engine"). Header-only
// constants and helpers: no type here crosses the plugin boundary, so they
// change no ABI.
//
// tc.in — set by a source on each event it read from a replayable log
//   (kafka_source with `start_from`): "<topic>/<partition>/<offset>/<acked>",
//   where `acked` is the first offset of that partition whose outputs are not
//   yet known to be durably handled by every sink (-1: none known yet). A
//   stage that snapshots its state uses `offset` to know where the snapshot
//   stands in the log, and `acked` to know when every output of the inputs
//   before that point is durable, i.e. when the snapshot may replace the
//   last one. Topic names cannot contain '/', so the split is unambiguous.
//
// tc.replay_since — set by a stage on the first event it emits after a
//   start: the wall-clock time (now_ns clock, decimal) at which the state it
//   replays from was captured, or 0 when it replays its input from the
//   beginning. Every output of the replayed inputs was written after that
//   time, so a sink that drops what it already wrote (kafka_sink `dedupe`)
//   needs to read its topic back only that far.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tickcast::input_position {

inline constexpr std::string_view header = "tc.in";
inline constexpr std::string_view replay_since_header = "tc.replay_since";

struct Position {
    std::string_view topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t acked = -1;
};

inline std::string format(std::string_view topic, std::int32_t partition, std::int64_t offset, std::int64_t acked) {
    std::string out;
    out.reserve(topic.size() + 32);
    out.append(topic).append("/").append(std::to_string(partition)).append("/");
    out.append(std::to_string(offset)).append("/").append(std::to_string(acked));
    return out;
}

// The position in a tc.in value; nullopt if it is not one. `topic` views `text`.
inline std::optional<Position> parse(std::string_view text) {
    Position p;
    const auto slash = text.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    p.topic = text.substr(0, slash);
    const char* at = text.data() + slash + 1;
    const char* end = text.data() + text.size();
    auto number = [&](auto& value, bool last) {
        const auto [ptr, ec] = std::from_chars(at, end, value);
        if (ec != std::errc{} || ptr == at) return false;
        at = ptr;
        if (last) return at == end;
        if (at == end || *at != '/') return false;
        ++at;
        return true;
    };
    if (!number(p.partition, false) || !number(p.offset, false) || !number(p.acked, true)) return std::nullopt;
    if (p.partition < 0 || p.offset < 0 || p.acked < -1) return std::nullopt;
    return p;
}

}  // namespace tickcast::input_position
