#include "orderflow_source.hpp"

namespace tickcast::matching {

OptionSpecs OrderflowSource::options() {
    return {
        {"symbols", OptionType::string_list, true, "", "Symbols to trade, e.g. [BTC-USDT, ETH-USDT]"},
        {"tick", OptionType::string, false, "0.01", "Price tick of every symbol (match the engine's)"},
        {"lot", OptionType::string, false, "0.0001", "Quantity lot of every symbol (match the engine's)"},
        {"rate", OptionType::integer, false, "0", "Orders per second; 0: as fast as the pipeline accepts"},
        {"count", OptionType::integer, false, "0", "Stop after this many orders; 0: run until stopped"},
        {"seed", OptionType::integer, false, "1", "Random seed: the same seed gives the same stream"},
        {"users", OptionType::integer, false, "8", "Number of traders (u1..uN); several, so self-trades happen"},
        {"channel", OptionType::string, false, "orders", "Channel of the order events"},
        {"batch", OptionType::integer, false, "256", "Most orders per emitted batch"},
    };
}

namespace {
std::uint64_t non_negative(const ConfigNode& o, const char* key) {
    const std::int64_t v = o[key].as_int();
    if (v < 0) o[key].fail(std::string(key) + " must be 0 or more");
    return std::uint64_t(v);
}
}  // namespace

GeneratorSource::Pacing OrderflowSource::pacing(const ConfigNode& o) {
    return {non_negative(o, "rate"), non_negative(o, "count"), std::size_t(non_negative(o, "batch"))};
}

OrderflowSource::OrderflowSource(const ConfigNode& o) : GeneratorSource(pacing(o)), channel_(o["channel"].as_string()) {
    const std::string tick = o["tick"].as_string(), lot = o["lot"].as_string();
    for (const std::string& name : o["symbols"].as_strings()) {
        SymbolSpecResult r = make_symbol_spec(name, tick, lot);
        if (!r.spec) o["symbols"].fail(r.error);
        flow_options_.symbols.push_back(*r.spec);
    }
    if (flow_options_.symbols.empty()) o["symbols"].fail("give at least one symbol");
    flow_options_.seed = non_negative(o, "seed");
    flow_options_.users = unsigned(std::max<std::uint64_t>(1, non_negative(o, "users")));
    try {
        flow_ = std::make_unique<Orderflow>(flow_options_);
    } catch (const std::exception& e) {
        o.fail(std::string("orderflow: ") + e.what());
    }
}

OrderflowSource::~OrderflowSource() = default;

bool OrderflowSource::next(Event& e) {
    const Order order = flow_->next();
    flow_->to_json(order, json_);
    e.channel = channel_;
    e.key = flow_options_.symbols[order.symbol].name;
    e.seq = ++seq_;
    e.origin_ns = now_ns();
    e.payload = make_payload(json_);
    return true;
}

void OrderflowSource::on_finished(std::uint64_t emitted) { context().log().info("generated {} orders", emitted); }

}  // namespace tickcast::matching
