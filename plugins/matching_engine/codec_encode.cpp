// EventEncoder and JsonOrderProcessor. Payloads, keys in this order:
//   trade: type symbol seq trade_id price qty taker_side maker_order_id
//          taker_order_id maker_user taker_user ts
//   depth: type symbol seq bids asks ts   (levels [price, qty]; qty "0" = gone)
//   order: type symbol seq order_id user status filled_qty remaining_qty
//          [reason] ts
#include <charconv>
#include <cstring>

#include "codec.hpp"
#include "decimal.hpp"

namespace tickcast::matching {
namespace {

// Writes one payload straight into `out` through a pointer: the string is
// sized to an upper bound first and trimmed at the end, so each field costs
// a fixed-size memcpy instead of a checked append. Names were validated to
// need no escaping (symbol_spec.hpp), so none is escaped here.
class JsonWriter {
 public:
  // Bounds: a decimal is at most kMaxDecimalChars, an integer 20 chars, a
  // symbol 32, a user 64; 512 covers an order event with room to spare.
  static constexpr std::size_t kEventBound = 512;
  static constexpr std::size_t kLevelBound = 2 * (kMaxDecimalChars + 2) + 4;

  JsonWriter(std::string& out, std::size_t bound) : out_(out) {
    out_.resize(bound);
    p_ = out_.data();
  }
  ~JsonWriter() { out_.resize(std::size_t(p_ - out_.data())); }

  template <std::size_t N>
  void lit(const char (&text)[N]) {
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  void str(std::string_view text) {
    if (text.empty()) return;  // data() may be null, which memcpy must not get
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void ch(char c) { *p_++ = c; }
  template <class Int>
  void num(Int value) {
    p_ = std::to_chars(p_, p_ + 20, value).ptr;
  }
  void dec(std::int64_t units, int scale) {
    *p_++ = '"';
    p_ += format_decimal(units, scale, p_);
    *p_++ = '"';
  }
  void levels(std::span<const DepthLevel> levels, const SymbolSpec& spec) {
    ch('[');
    for (std::size_t i = 0; i < levels.size(); ++i) {
      if (i > 0) ch(',');
      ch('[');
      dec(levels[i].price * spec.tick_units, spec.price_scale);
      ch(',');
      // A removed level is exactly "0", as the protocol states; others
      // are written at the symbol's precision.
      if (levels[i].qty == 0) lit(R"("0")");
      else dec(levels[i].qty * spec.lot_units, spec.qty_scale);
      ch(']');
    }
    ch(']');
  }

 private:
  std::string& out_;
  char* p_;
};

void set_channel(std::string& channel, std::string_view prefix, std::string_view name) {
  channel.assign(prefix).append(name);
}

}  // namespace

std::string_view EventEncoder::ts_digits(std::int64_t ts) const {
  if (ts != cached_ts_) {
    cached_ts_ = ts;
    cached_ts_size_ = std::uint8_t(std::to_chars(cached_ts_digits_, cached_ts_digits_ + 20, ts).ptr - cached_ts_digits_);
  }
  return {cached_ts_digits_, cached_ts_size_};
}

void EventEncoder::encode(const OrderEvent& event, EncodedEvent& out) const {
  const bool routed = event.symbol != kNoSymbol;
  const std::string_view symbol = routed ? std::string_view(engine_.symbol(event.symbol).name) : "";
  out.kind = EventKind::order;
  // The private channel mixes symbols: its envelope seq and its partition
  // key are the user's (the payload keeps the symbol's order-event seq).
  out.seq = event.channel_seq;
  out.ts = event.ts;
  out.key.assign(engine_.user_name(event.user));
  set_channel(out.channel, "orders.", out.key);
  // A rejection with no symbol has no precision; its quantities are 0 anyway.
  const int scale = routed ? engine_.symbol(event.symbol).qty_scale : 0;
  const std::int64_t lot = routed ? engine_.symbol(event.symbol).lot_units : 1;

  JsonWriter w(out.payload, JsonWriter::kEventBound);
  w.lit(R"({"type":"order","symbol":")");
  w.str(symbol);
  w.lit(R"(","seq":)");
  w.num(event.seq);
  w.lit(R"(,"order_id":)");
  w.num(event.order_id);
  w.lit(R"(,"user":")");
  w.str(event.user == kNoUser ? std::string_view() : engine_.user_name(event.user));
  w.lit(R"(","status":")");
  w.str(to_string(event.status));
  w.lit(R"(","filled_qty":)");
  w.dec(event.filled_qty * lot, scale);
  w.lit(R"(,"remaining_qty":)");
  w.dec(event.remaining_qty * lot, scale);
  if (event.reason != Reason::none) {
    w.lit(R"(,"reason":")");
    w.str(reason_code(event.reason));
    w.ch('"');
  }
  w.lit(R"(,"ts":)");
  w.str(ts_digits(event.ts));
  w.ch('}');
}

void EventEncoder::encode(const TradeEvent& event, EncodedEvent& out) const {
  const SymbolSpec& spec = engine_.symbol(event.symbol);
  out.kind = EventKind::trade;
  out.seq = event.seq;
  out.ts = event.ts;
  out.key.assign(spec.name);
  set_channel(out.channel, "trades.", spec.name);

  JsonWriter w(out.payload, JsonWriter::kEventBound);
  w.lit(R"({"type":"trade","symbol":")");
  w.str(spec.name);
  w.lit(R"(","seq":)");
  w.num(event.seq);
  w.lit(R"(,"trade_id":)");
  w.num(event.trade_id);
  w.lit(R"(,"price":)");
  w.dec(event.price * spec.tick_units, spec.price_scale);
  w.lit(R"(,"qty":)");
  w.dec(event.qty * spec.lot_units, spec.qty_scale);
  w.lit(R"(,"taker_side":")");
  w.str(to_string(event.taker_side));
  w.lit(R"(","maker_order_id":)");
  w.num(event.maker_order_id);
  w.lit(R"(,"taker_order_id":)");
  w.num(event.taker_order_id);
  w.lit(R"(,"maker_user":")");
  w.str(engine_.user_name(event.maker_user));
  w.lit(R"(","taker_user":")");
  w.str(engine_.user_name(event.taker_user));
  w.lit(R"(","ts":)");
  w.str(ts_digits(event.ts));
  w.ch('}');
}

void EventEncoder::encode(const DepthEvent& event, EncodedEvent& out) const {
  const SymbolSpec& spec = engine_.symbol(event.symbol);
  out.kind = EventKind::depth;
  out.seq = event.seq;
  out.ts = event.ts;
  out.key.assign(spec.name);
  set_channel(out.channel, "depth.", spec.name);

  const std::size_t bound =
      JsonWriter::kEventBound + JsonWriter::kLevelBound * (event.bids.size() + event.asks.size());
  JsonWriter w(out.payload, bound);
  w.lit(R"({"type":"depth","symbol":")");
  w.str(spec.name);
  w.lit(R"(","seq":)");
  w.num(event.seq);
  w.lit(R"(,"bids":)");
  w.levels(event.bids, spec);
  w.lit(R"(,"asks":)");
  w.levels(event.asks, spec);
  w.lit(R"(,"ts":)");
  w.str(ts_digits(event.ts));
  w.ch('}');
}

// Encodes each engine event into one reused EncodedEvent and passes it on.
class JsonOrderProcessor::Forwarder final : public EventSink {
 public:
  // Room for a depth event of ~100 levels up front, so a rare sweep does not
  // allocate on the hot path after warm-up.
  explicit Forwarder(const EventEncoder& encoder) : encoder_(encoder) {
    scratch_.channel.reserve(96);
    scratch_.key.reserve(48);
    scratch_.payload.reserve(4096);
  }
  EncodedEventSink* target = nullptr;

  void on_order(const OrderEvent& event) override { forward(event); }
  void on_trade(const TradeEvent& event) override { forward(event); }
  void on_depth(const DepthEvent& event) override { forward(event); }

 private:
  template <class Event>
  void forward(const Event& event) {
    encoder_.encode(event, scratch_);
    target->on_event(scratch_);
  }
  const EventEncoder& encoder_;
  EncodedEvent scratch_;
};

JsonOrderProcessor::JsonOrderProcessor(Engine& engine)
    : engine_(engine),
      decoder_(engine),
      encoder_(engine),
      forwarder_(std::make_unique<Forwarder>(encoder_)) {}

JsonOrderProcessor::~JsonOrderProcessor() = default;

void JsonOrderProcessor::process(std::string_view order_json, EncodedEventSink& sink) {
  forwarder_->target = &sink;
  const DecodeResult decoded = decoder_.decode(order_json);
  if (decoded.ok) engine_.submit(decoded.order, *forwarder_);
  else engine_.reject(decoded.rejection, *forwarder_);
}

}  // namespace tickcast::matching
