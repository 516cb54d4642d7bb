#pragma once
// JSON in and out of the engine.
//
// In: one order per payload (schema at the top of codec_decode.cpp),
// decoded with Boost.JSON's SAX parser straight into an Order, with no
// allocation and no intermediate DOM. Flat objects of plain ASCII (what
// orders nearly always are) take a fast path that feeds the same SAX
// handler the same calls; everything else goes through Boost.JSON. Duplicate keys, unknown keys and keys
// that do not belong to the op are rejected, never silently ignored.
//
// Out: events are written by hand rather than through a boost::json::value:
// every field is a number, a decimal or a name whose characters were
// validated (symbol_spec.hpp) not to need escaping, so a DOM would only add
// allocations on the hottest path. Key order is fixed, output is
// byte-for-byte deterministic.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine.hpp"
#include "events.hpp"
#include "order.hpp"

namespace tickcast::matching {

struct DecodeResult {
  bool ok = false;
  Order order;          // when ok
  Rejection rejection;  // when !ok: reason plus whatever id/user/symbol was readable
};

// Decodes order payloads against an engine's symbols (for tick, lot and the
// symbol id) and users (interned on first sight). Not thread-safe; one per
// engine thread. Reuses its parser, so a warmed-up decoder does not allocate.
class OrderDecoder {
 public:
  explicit OrderDecoder(Engine& engine);
  ~OrderDecoder();
  OrderDecoder(const OrderDecoder&) = delete;
  OrderDecoder& operator=(const OrderDecoder&) = delete;

  DecodeResult decode(std::string_view json);
  // decode() without its fast path for flat ASCII objects: every input goes
  // through Boost.JSON. The reference that fast path is tested against.
  DecodeResult decode_with_full_parser(std::string_view json);

 private:
  DecodeResult decode(std::string_view json, bool fast_path);
  struct Parser;
  Engine& engine_;
  std::unique_ptr<Parser> parser_;
};

enum class EventKind : std::uint8_t { order, trade, depth };

// One encoded output. The strings are reused between events, so encoding
// into the same EncodedEvent does not allocate once capacities are warm.
struct EncodedEvent {
  EventKind kind = EventKind::order;
  std::string channel;  // orders.<user> | orders.unknown | trades.<SYM> | depth.<SYM>
  std::string key;      // trades, depth: the symbol; orders: the user (as in the channel)
  std::string payload;  // the JSON object
  std::uint64_t seq = 0;
  std::int64_t ts = 0;
};

// Encodes events of one engine (names and precisions come from it). Not
// thread-safe: it keeps the digits of the last timestamp, which all the
// ~3 events of one order share, so a 19-digit ts is formatted once.
class EventEncoder {
 public:
  explicit EventEncoder(const Engine& engine) : engine_(engine) {}
  void encode(const OrderEvent& event, EncodedEvent& out) const;
  void encode(const TradeEvent& event, EncodedEvent& out) const;
  void encode(const DepthEvent& event, EncodedEvent& out) const;

 private:
  std::string_view ts_digits(std::int64_t ts) const;

  const Engine& engine_;
  mutable std::int64_t cached_ts_ = 0;
  mutable char cached_ts_digits_[20] = {'0'};
  mutable std::uint8_t cached_ts_size_ = 1;
};

class EncodedEventSink {
 public:
  virtual ~EncodedEventSink() = default;
  // `event` is valid only during the call.
  virtual void on_event(const EncodedEvent& event) = 0;
};

// The whole path for one payload: decode, submit (or reject), encode each
// event. This is what the plugin wraps.
class JsonOrderProcessor {
 public:
  explicit JsonOrderProcessor(Engine& engine);
  ~JsonOrderProcessor();
  void process(std::string_view order_json, EncodedEventSink& sink);
  Engine& engine() noexcept { return engine_; }

 private:
  class Forwarder;
  Engine& engine_;
  OrderDecoder decoder_;
  EventEncoder encoder_;
  std::unique_ptr<Forwarder> forwarder_;
};

}  // namespace tickcast::matching
