// How an Event travels through Redis.
//
// Pub/Sub message (one string):  "T1 <seq> <origin_ns> <flags> <key> <hops>\n<payload>"
//   key "-" when empty; hops "name=ns,name=ns" or "-". The key is
//   percent-escaped (space, newline, '%') so the header always splits cleanly.
// Stream entry fields: seq, ts (origin ns), key, hops, payload; the entry ID
//   is "<seq>-0" so that a reader can resume from any sequence number.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tickcast/event.hpp>
#include <tickcast/payload_slabs.hpp>

namespace tickcast::redis {

std::string encode_message(const Event& e);
// The same with `hops` in place of the event's own.
std::string encode_message(const Event& e, const Hops& hops);
// The same, appended to `out` (a buffer reused across events).
void append_message(std::string& out, const Event& e, const Hops& hops);
// Fills seq, origin_ns, flags, key, hops and payload (from `slabs` when
// given, else make_payload); false (with `error`) on a malformed message.
bool decode_message(std::string_view message, Event& e, std::string& error, PayloadSlabs* slabs = nullptr);

// A stream entry's own texts, the ID ("<seq>-0", or "*" without a seq),
// seq, ts and hops, appended to `out` one after another; `ends` gets the
// offset at which each ends (so four per entry).
void append_entry_texts(std::string& out, std::vector<std::size_t>& ends, const Event& e, const Hops& hops);

// Appends a command in the Redis protocol (RESP: an array of bulk strings),
// byte for byte what hiredis's redisFormatCommandArgv makes, without its
// printf and allocations.
void append_command(std::string& out, std::span<const std::string_view> args);
void decode_hops(std::string_view text, Hops& hops);

// The stream (under the sinks' prefix) on which a redis_stream sink announces
// each stream it writes to for the first time, in a field "key", so that a
// reader matching patterns takes a new stream up at once instead of at its
// next SCAN. Capped like the data streams.
inline constexpr std::string_view new_streams_key = "tickcast:new-streams";
inline constexpr std::string_view new_streams_maxlen = "1000";

}  // namespace tickcast::redis
