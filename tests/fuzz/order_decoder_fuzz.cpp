// Fuzz target: the matching engine's order decoder (codec_decode.cpp) and,
// behind it, the engine and the event encoder, on the plugin's own path.
//
// Input: lines, each one order payload as the `match` stage receives it. A
// first line "stp none|cancel_taker|cancel_maker" picks the engine's
// self-trade mode. Every input starts from a fresh engine, so a finding
// replays exactly. Per line:
//   - decode; an accepted order must be well-formed, and re-encoded as JSON
//     it must decode to the same Order (round trip);
//   - then the real path (JsonOrderProcessor): every event it emits must be
//     valid JSON within the encoder's size bound, sequences gap-free, the
//     book never crossed;
// and at the end a snapshot must restore into a new engine and write back
// byte for byte.
#include <boost/json/parse.hpp>

#include <map>
#include <string>
#include <tuple>

#include "codec.hpp"
#include "decimal.hpp"
#include "engine.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace tickcast::matching;

constexpr std::size_t kMaxLines = 64;  // bounds the time one input takes
constexpr std::size_t kPayloadBound = 512;  // the encoder's bound for order and trade events

SymbolSpec spec(std::string_view name, std::string_view tick, std::string_view lot, std::string_view band = {}) {
    SymbolSpecResult r = make_symbol_spec(name, tick, lot, band);
    FUZZ_CHECK(r.spec.has_value(), r.error);
    return *r.spec;
}

EngineConfig config(SelfTradePrevention stp) {
    EngineConfig c;
    c.symbols = {
        spec("BTC-USDT", "0.01", "0.001", "10"),  // banded
        spec("ETH-USDT", "0.05", "0.5"),          // steps that are not powers of ten
        spec("WHOLE", "1", "1"),                  // scale 0: prices up to INT64_MAX ticks
        spec("FINE", "0.000000000000000001", "0.000000000000000001"),  // scale 18: units overflow early
    };
    c.stp = stp;
    c.expected_orders_per_symbol = 16;  // small, so pools grow
    c.clock = [t = std::int64_t(1)]() mutable { return t++; };
    return c;
}

// An accepted Order written back as the wire JSON it came from.
std::string encode_order(const Engine& engine, const Order& o) {
    const SymbolSpec& s = engine.symbol(o.symbol);
    std::string out = "{\"op\":\"" + std::string(to_string(o.op)) + "\",\"id\":" + std::to_string(o.id);
    if (o.user != kNoUser) out += ",\"user\":\"" + std::string(engine.user_name(o.user)) + "\"";
    out += ",\"symbol\":\"" + s.name + "\"";
    if (o.op == Op::add) {
        out += ",\"side\":\"" + std::string(to_string(o.side)) + "\",\"type\":\"" + std::string(to_string(o.type)) + "\"";
        out += ",\"tif\":\"" + std::string(to_string(o.tif)) + "\",\"post_only\":" + (o.post_only ? "true" : "false");
    }
    if (o.price != 0) out += ",\"price\":\"" + format_decimal(o.price * s.tick_units, s.price_scale) + "\"";
    if (o.qty != 0) out += ",\"qty\":\"" + format_decimal(o.qty * s.lot_units, s.qty_scale) + "\"";
    return out + "}";
}

auto fields(const Order& o) {
    return std::tuple(o.op, o.side, o.type, o.tif, o.post_only, o.symbol, o.user, o.id, o.price, o.qty);
}

void check_accepted(const Engine& engine, const Order& o, std::string_view line) {
    const std::string in(line);
    FUZZ_CHECK(o.symbol < engine.symbol_count(), in);
    const SymbolSpec& s = engine.symbol(o.symbol);
    FUZZ_CHECK(o.price >= 0 && o.price <= s.max_price(), in);
    FUZZ_CHECK(o.qty >= 0 && o.qty <= s.max_qty(), in);
    switch (o.op) {
        case Op::add:
            FUZZ_CHECK(o.user != kNoUser && o.qty > 0, in);
            FUZZ_CHECK(o.type == OrderType::limit ? o.price > 0 : o.price == 0, in);
            break;
        case Op::modify: FUZZ_CHECK(o.price > 0 || o.qty > 0, in); break;
        case Op::cancel: FUZZ_CHECK(o.price == 0 && o.qty == 0, in); break;
    }
}

// Checks every event of the real path as the plugin would publish it.
class EventChecker final : public EncodedEventSink {
public:
    explicit EventChecker(const Engine& engine) : engine_(engine) {}
    std::string_view line;

    void on_event(const EncodedEvent& e) override {
        const std::string context = std::string(line) + "\n  -> " + e.channel + " " + e.payload;
        boost::json::error_code ec;
        const boost::json::value v = boost::json::parse(e.payload, ec);
        FUZZ_CHECK(!ec && v.is_object(), context);
        if (e.kind != EventKind::depth) FUZZ_CHECK(e.payload.size() <= kPayloadBound, context);
        FUZZ_CHECK(e.channel.starts_with(e.kind == EventKind::order   ? "orders."
                                         : e.kind == EventKind::trade ? "trades."
                                                                      : "depth."),
                   context);
        // Gap-free from 1, per channel kind and symbol ("" for unrouted orders).
        std::uint64_t& last = last_seq_[{int(e.kind), e.key}];
        FUZZ_CHECK(e.seq == last + 1, context);
        last = e.seq;
        if (e.kind != EventKind::order) FUZZ_CHECK(engine_.find_symbol(e.key) != kNoSymbol, context);
    }

private:
    const Engine& engine_;
    std::map<std::pair<int, std::string>, std::uint64_t> last_seq_;
};

void check_books(const Engine& engine, std::string_view line) {
    for (SymbolId id = 0; id < engine.symbol_count(); ++id) {
        const OrderBook& book = engine.book(id);
        if (!book.empty(Side::buy) && !book.empty(Side::sell))
            FUZZ_CHECK(book.best_price(Side::buy) < book.best_price(Side::sell), "crossed book after " + std::string(line));
        for (Side side : {Side::buy, Side::sell}) {
            __int128 levels = 0, orders = 0;  // a level may hold up to INT64_MAX lots, the side more
            book.for_each_level(side, [&](Price, Qty total) { levels += total; });
            book.for_each_order(side, [&](const RestingOrder& o) { orders += o.remaining; });
            FUZZ_CHECK(levels == orders, "level totals disagree with orders after " + std::string(line));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input = tickcast::fuzz::as_text(data, size);
    SelfTradePrevention stp = SelfTradePrevention::none;
    if (input.starts_with("stp ")) {
        const std::size_t end = input.find('\n');
        if (auto parsed = parse_self_trade_prevention(input.substr(4, end - 4))) stp = *parsed;
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    }

    Engine engine(config(stp));
    OrderDecoder decoder(engine);
    OrderDecoder redecoder(engine);
    JsonOrderProcessor processor(engine);
    EventChecker checker(engine);

    for (std::size_t n = 0; n < kMaxLines && !input.empty(); ++n) {
        const std::size_t end = input.find('\n');
        const std::string_view line = input.substr(0, end);
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);

        const DecodeResult first = decoder.decode(line);
        if (first.ok) {
            check_accepted(engine, first.order, line);
            const std::string again = encode_order(engine, first.order);
            const DecodeResult second = redecoder.decode(again);
            FUZZ_CHECK(second.ok && fields(second.order) == fields(first.order),
                       std::string(line) + "\n  re-encoded as " + again + "\n  reason " +
                           std::string(reason_code(second.rejection.reason)));
        } else {
            FUZZ_CHECK(first.rejection.reason != Reason::none, std::string(line));
        }
        checker.line = line;
        processor.process(line, checker);
        check_books(engine, line);
    }

    const std::string snapshot = engine.write_snapshot(42);
    Engine restored(config(stp));
    const RestoreResult r = restored.restore_snapshot(snapshot);
    FUZZ_CHECK(r.ok && r.input_position == 42, r.error);
    FUZZ_CHECK(restored.write_snapshot(42) == snapshot, "a restored snapshot writes back differently");
    return 0;
}
