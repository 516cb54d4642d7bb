#include "matching_stage.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tickcast::matching {

OptionSpecs MatchingStage::options() {
    return {
        {"symbols", OptionType::map, true, "",
         "Symbols traded, each {tick: \"0.01\", lot: \"0.0001\", band: \"10\"}; band (optional) is the % a limit price may stray from the last trade"},
        {"self_trade_prevention", OptionType::string, false, "none", "none, cancel_taker or cancel_maker: what happens when a user's order would trade with its own"},
        {"snapshot_path", OptionType::string, false, "", "Write the books here on stop (and every snapshot_every orders); restore from it on start"},
        {"snapshot_every", OptionType::integer, false, "0", "Also snapshot after this many orders; 0: only on stop"},
    };
}

MatchingStage::MatchingStage(const ConfigNode& o) {
    EngineConfig config;
    if (o["symbols"].entries().empty()) o["symbols"].fail("give at least one symbol, e.g. {BTC-USDT: {tick: \"0.01\", lot: \"0.0001\"}}");
    for (const auto& [name, spec] : o["symbols"].entries()) {
        if (!spec.is_map()) spec.fail("symbol '" + name.text() + "' needs {tick, lot} (and optionally band)");
        for (const auto& [k, v] : spec.entries())
            if (k.text() != "tick" && k.text() != "lot" && k.text() != "band")
                k.fail("unknown key '" + k.text() + "' for symbol '" + name.text() + "'; expected tick, lot, band");
        if (!spec.has("tick") || !spec.has("lot")) spec.fail("symbol '" + name.text() + "' needs both tick and lot");
        const std::string band = spec.has("band") ? spec["band"].as_string() : "";
        SymbolSpecResult r = make_symbol_spec(name.text(), spec["tick"].as_string(), spec["lot"].as_string(), band);
        if (!r.spec) spec.fail(r.error);
        config.symbols.push_back(*r.spec);
    }
    const std::string stp = o["self_trade_prevention"].as_string();
    auto parsed = parse_self_trade_prevention(stp);
    if (!parsed) o["self_trade_prevention"].fail("expected none, cancel_taker or cancel_maker, got '" + stp + "'");
    config.stp = *parsed;
    if (o.has("snapshot_path")) snapshot_path_ = o["snapshot_path"].as_string();
    const std::int64_t every = o["snapshot_every"].as_int();
    if (every < 0) o["snapshot_every"].fail("snapshot_every must be 0 or more");
    snapshot_every_ = std::uint64_t(every);
    engine_ = std::make_unique<Engine>(std::move(config));
}

MatchingStage::~MatchingStage() = default;

void MatchingStage::start(StageContext& context) {
    context_ = &context;
    orders_ = &context.metrics().counter("tickcast_matching_orders_total", "Orders the engine processed (including rejected)");
    trades_ = &context.metrics().counter("tickcast_matching_trades_total", "Trades the engine produced");
    if (!snapshot_path_.empty() && std::filesystem::exists(snapshot_path_)) {
        std::ifstream in(snapshot_path_, std::ios::binary);
        std::stringstream bytes;
        bytes << in.rdbuf();
        const RestoreResult r = engine_->restore_snapshot(bytes.str());
        if (!r.ok) throw std::runtime_error("cannot restore the snapshot '" + snapshot_path_ + "': " + r.error);
        consumed_ = skip_until_ = r.input_position;
        context.log().info("restored the books from {} (after {} orders); skipping those inputs", snapshot_path_, consumed_);
    }
    // The processor interns user names; it must exist only after a restore.
    processor_ = std::make_unique<JsonOrderProcessor>(*engine_);
}

void MatchingStage::process(const EventBatch& in, EventBatch& out) {
    out_ = &out;
    // Room for the outputs per input seen so far (rounded up, plus an
    // eighth), so the batch is not regrown, and its events moved, a dozen
    // times. Capped: a sweep among the first orders must not make every
    // later batch reserve a huge one.
    const std::uint64_t per_order = processed_ == 0 ? 4 : std::min<std::uint64_t>(produced_ / processed_ + 1, 8);
    out.reserve(out.size() + in.size() * std::size_t(per_order) + in.size() / 8);
    for (const Event& e : in) {
        if (++position_ <= skip_until_) continue;
        input_ = &e;
        processor_->process(e.payload_view(), *this);
        ++consumed_;
        ++processed_;
        if (snapshot_every_ != 0 && consumed_ % snapshot_every_ == 0) write_snapshot();
    }
    orders_->Increment(double(in.size()));
    out_ = nullptr;
}

void MatchingStage::on_event(const EncodedEvent& encoded) {
    Event& e = out_->emplace_back();
    e.channel = encoded.channel;
    e.key = encoded.key;
    e.seq = encoded.seq;
    e.payload = payloads_.make(encoded.payload);
    // The engine is where market events originate; the order's own origin
    // stays visible as the first hop.
    e.origin_ns = encoded.ts;
    if (input_ && input_->origin_ns != 0) e.hops.add("order", input_->origin_ns);
    e.hops.add("engine", encoded.ts);
    if (encoded.kind == EventKind::trade) trades_->Increment();
    ++produced_;
}

void MatchingStage::write_snapshot() {
    if (snapshot_path_.empty()) return;
    const std::string tmp = snapshot_path_ + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << engine_->write_snapshot(consumed_);
        if (!f) {
            context_->log().error("cannot write the snapshot to {}", tmp);
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, snapshot_path_, ec);
    if (ec) context_->log().error("cannot rename {} to {}: {}", tmp, snapshot_path_, ec.message());
}

void MatchingStage::stop() {
    payloads_.release_current();
    write_snapshot();
    if (!snapshot_path_.empty()) context_->log().info("wrote the books to {} (after {} orders)", snapshot_path_, consumed_);
}

}  // namespace tickcast::matching
