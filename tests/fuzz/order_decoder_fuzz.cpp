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
#include "matching_fixture.hpp"

namespace {

using namespace tickcast::matching;

constexpr std::size_t kMaxLines = 64;  // bounds the time one input takes
constexpr std::size_t kPayloadBound = 512;  // the encoder's bound for order and trade events

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input = tickcast::fuzz::as_text(data, size);
    SelfTradePrevention stp = SelfTradePrevention::none;
    if (input.starts_with("stp ")) {
        const std::size_t end = input.find('\n');
        if (auto parsed = parse_self_trade_prevention(input.substr(4, end - 4))) stp = *parsed;
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    }

    Engine engine(tickcast::fuzz::fuzz_engine_config(stp));
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
        tickcast::fuzz::check_books(engine, line);
    }

    const std::string snapshot = engine.write_snapshot(42);
    Engine restored(tickcast::fuzz::fuzz_engine_config(stp));
    const RestoreResult r = restored.restore_snapshot(snapshot);
    FUZZ_CHECK(r.ok && r.input_position == 42, r.error);
    FUZZ_CHECK(restored.write_snapshot(42) == snapshot, "a restored snapshot writes back differently");
    return 0;
}
