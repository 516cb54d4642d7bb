// How an Event travels as a Kafka message, and back.
//
// value   = the payload, byte for byte (never re-encoded)
// key     = a configurable event field (the event key, the symbol, by default)
// headers = tc.channel, tc.seq, tc.origin_ns (decimal text), one
//           tc.hop.<name> per hop stamp, then the event's own headers as
//           they are (but tc.replay_since, a note for sinks). Plain text
//           keeps them readable with `kcat -J`.
//
// Decoding restores channel, key, seq, origin and hops from those headers,
// so kafka_sink -> topic -> kafka_source gives back the event that went in.
// A message written by another producer has no tc.* headers: its channel is
// then a JSON field of the value (codec json), a fixed channel, or the topic,
// and with codec json its value must parse as JSON. Messages with tc.channel
// are not parsed (their producer, kafka_sink, wrote an event's payload).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>
#include <tickcast/event.hpp>
#include <tickcast/payload_slabs.hpp>

namespace tickcast::kafka {

namespace header {
inline constexpr std::string_view channel = "tc.channel";
inline constexpr std::string_view seq = "tc.seq";
inline constexpr std::string_view origin_ns = "tc.origin_ns";
inline constexpr std::string_view hop_prefix = "tc.hop.";
}  // namespace header

// Which event field becomes the message key.
enum class KeyField { key, channel, none };

// The headers for `e` with `hops` in place of its own (the producer's copy
// with its `kafka_out` stamp added). The caller owns the result, or hands it
// to rd_kafka_producev which then owns it.
rd_kafka_headers_t* encode_headers(const Event& e, const Hops& hops);

std::string_view message_key(const Event& e, KeyField field);

enum class Codec { json, raw };

struct DecodeRules {
    Codec codec = Codec::json;
    std::string channel_field;  // codec json: top-level string field naming the channel
    std::string channel;        // the channel when neither header nor field give one ("" = the topic)
};

// A Kafka message as the source sees it.
struct MessageView {
    std::string_view topic;
    std::string_view key;
    std::string_view value;
    const rd_kafka_headers_t* headers = nullptr;  // may be null
    std::int64_t timestamp_ms = -1;               // the message timestamp, -1 if none
};

// Fills `out` from `m`. Returns false with `error` set when the message
// cannot become an event (codec json: a foreign value that is not JSON or
// lacks the channel field); the source counts and skips it. The payload
// comes from `slabs` when given (a source's pool), else from make_payload.
bool decode_message(const MessageView& m, const DecodeRules& rules, Event& out, std::string& error, PayloadSlabs* slabs = nullptr);

}  // namespace tickcast::kafka
