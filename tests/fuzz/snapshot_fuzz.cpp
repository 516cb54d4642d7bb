// Fuzz target: restoring a matching engine snapshot (engine_snapshot.cpp),
// the file the `match` stage reads back on start.
//
// The input is a snapshot without its trailing CRC-32; the target appends
// the right one, so mutations reach the parser instead of all stopping at
// the checksum. The engine's self-trade mode is taken from the snapshot's
// stp byte (offset 20) so that check passes too. A snapshot the engine
// accepts must leave books that are not crossed and add up, must write back
// to a snapshot that restores to the same bytes, and the engine must go on
// matching: a market order each way on every symbol.
#include <boost/crc.hpp>

#include <string>

#include "codec.hpp"
#include "engine.hpp"
#include "fuzz_check.hpp"
#include "matching_fixture.hpp"

namespace {

using namespace tickcast::matching;

class Discard final : public EventSink {
public:
    void on_order(const OrderEvent&) override {}
    void on_trade(const TradeEvent& e) override { FUZZ_CHECK(e.qty > 0 && e.price > 0, "trade after restore"); }
    void on_depth(const DepthEvent&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string bytes(tickcast::fuzz::as_text(data, size));
    boost::crc_32_type crc;
    crc.process_bytes(bytes.data(), bytes.size());
    const std::uint32_t sum = crc.checksum();
    for (int i = 0; i < 4; ++i) bytes.push_back(char(sum >> (8 * i) & 0xff));

    const auto stp = SelfTradePrevention(size > 20 ? data[20] % 3 : 0);
    Engine engine(tickcast::fuzz::fuzz_engine_config(stp));
    const RestoreResult r = engine.restore_snapshot(bytes);
    if (!r.ok) {
        FUZZ_CHECK(!r.error.empty(), "a refused snapshot needs a reason");
        return 0;
    }
    tickcast::fuzz::check_books(engine, "restore");

    const std::string written = engine.write_snapshot(r.input);
    Engine again(tickcast::fuzz::fuzz_engine_config(stp));
    const RestoreResult r2 = again.restore_snapshot(written);
    FUZZ_CHECK(r2.ok && r2.input == r.input, r2.error);
    FUZZ_CHECK(again.write_snapshot(r.input) == written, "restore then write is not stable");

    Discard sink;
    OrderId id = 1;
    for (SymbolId s = 0; s < engine.symbol_count(); ++s) {
        for (Side side : {Side::buy, Side::sell}) {
            Order o;
            o.op = Op::add;
            o.side = side;
            o.type = OrderType::market;
            o.symbol = s;
            o.user = engine.intern_user("fuzz-taker");
            o.id = id++;
            o.qty = engine.symbol(s).max_qty();
            engine.submit(o, sink);
            tickcast::fuzz::check_books(engine, "a market order after restore");
        }
    }
    return 0;
}
