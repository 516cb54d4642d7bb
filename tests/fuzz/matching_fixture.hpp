// The engine the matching fuzz targets drive, and the book invariants they
// check after every change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine.hpp"
#include "fuzz_check.hpp"
#include "symbol_spec.hpp"

namespace tickcast::fuzz {

inline matching::SymbolSpec fuzz_spec(std::string_view name, std::string_view tick, std::string_view lot,
                                      std::string_view band = {}) {
    matching::SymbolSpecResult r = matching::make_symbol_spec(name, tick, lot, band);
    FUZZ_CHECK(r.spec.has_value(), r.error);
    return *r.spec;
}

inline matching::EngineConfig fuzz_engine_config(matching::SelfTradePrevention stp) {
    matching::EngineConfig c;
    c.symbols = {
        fuzz_spec("BTC-USDT", "0.01", "0.001", "10"),  // banded
        fuzz_spec("ETH-USDT", "0.05", "0.5"),          // steps that are not powers of ten
        fuzz_spec("WHOLE", "1", "1"),                  // scale 0: prices up to INT64_MAX ticks
        fuzz_spec("FINE", "0.000000000000000001", "0.000000000000000001"),  // scale 18: units overflow early
    };
    c.stp = stp;
    c.expected_orders_per_symbol = 16;  // small, so pools grow
    c.clock = [t = std::int64_t(1)]() mutable { return t++; };
    return c;
}

// No book is crossed, and each side's level totals add up to its orders.
inline void check_books(const matching::Engine& engine, std::string_view after) {
    using matching::Side;
    for (matching::SymbolId id = 0; id < engine.symbol_count(); ++id) {
        const matching::OrderBook& book = engine.book(id);
        if (!book.empty(Side::buy) && !book.empty(Side::sell))
            FUZZ_CHECK(book.best_price(Side::buy) < book.best_price(Side::sell), "crossed book after " + std::string(after));
        for (Side side : {Side::buy, Side::sell}) {
            __int128 levels = 0, orders = 0;  // a level may hold up to INT64_MAX lots, the side more
            book.for_each_level(side, [&](matching::Price, matching::Qty total) { levels += total; });
            book.for_each_order(side, [&](const matching::RestingOrder& o) { orders += o.remaining; });
            FUZZ_CHECK(levels == orders, "level totals disagree with orders after " + std::string(after));
        }
    }
}

}  // namespace tickcast::fuzz
