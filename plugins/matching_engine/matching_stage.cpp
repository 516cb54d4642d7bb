#include "matching_stage.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <tickcast/input_position.hpp>

#include "durable_file.hpp"

namespace tickcast::matching {

OptionSpecs MatchingStage::options() {
    return {
        {"symbols", OptionType::map, true, "",
         "Symbols traded, each {tick: \"0.01\", lot: \"0.0001\", band: \"10\"}; band (optional) is the % a limit price may stray from the last trade"},
        {"self_trade_prevention", OptionType::string, false, "none", "none, cancel_taker or cancel_maker: what happens when a user's order would trade with its own"},
        {"snapshot_path", OptionType::string, false, "", "Write the books here on stop (and every snapshot_every orders); restore from it on start"},
        {"snapshot_every", OptionType::integer, false, "0", "Also snapshot after this many orders; 0: only on stop"},
        {"positions_file", OptionType::string, false, "",
         "Kafka input, exactly once (docs/reliability.md): snapshots record each input partition's offset and are kept only once their outputs are durable; on start the restored offsets are written here for kafka_source's start_from. Needs snapshot_path"},
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
    if (o.has("positions_file")) positions_file_ = o["positions_file"].as_string();
    if (!positions_file_.empty() && snapshot_path_.empty())
        o["positions_file"].fail("positions_file needs snapshot_path: the offsets it names are those of the restored snapshot");
    if (!positions_file_.empty() && snapshot_every_ == 0)
        o["snapshot_every"].fail("positions_file needs snapshot_every > 0: in that mode snapshots are taken only every so many orders, never on stop");
    engine_ = std::make_unique<Engine>(std::move(config));
}

MatchingStage::~MatchingStage() = default;

void MatchingStage::start(StageContext& context) {
    context_ = &context;
    orders_ = &context.metrics().counter("tickcast_matching_orders_total", "Orders the engine processed (including rejected)");
    trades_ = &context.metrics().counter("tickcast_matching_trades_total", "Trades the engine produced");
    restore(context);
    if (!positions_file_.empty()) write_positions_file();
    // The processor interns user names; it must exist only after a restore.
    processor_ = std::make_unique<JsonOrderProcessor>(*engine_);
}

void MatchingStage::restore(StageContext& context) {
    if (snapshot_path_.empty() || !std::filesystem::exists(snapshot_path_)) {
        if (!positions_file_.empty()) context.log().info("no snapshot at {}: the input is read from its beginning", snapshot_path_);
        return;
    }
    std::ifstream in(snapshot_path_, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const RestoreResult r = engine_->restore_snapshot(bytes.str());
    if (!r.ok) throw std::runtime_error("cannot restore the snapshot '" + snapshot_path_ + "': " + r.error);
    consumed_ = r.input.orders;
    if (positions_file_.empty()) {
        skip_until_ = consumed_;
        context.log().info("restored the books from {} (after {} orders); skipping those inputs", snapshot_path_, consumed_);
        return;
    }
    if (r.input.offsets.empty() && r.input.orders > 0)
        throw std::runtime_error("the snapshot '" + snapshot_path_ + "' reflects " + std::to_string(r.input.orders) +
                                 " orders but no input offsets (it was written without positions_file), so the input "
                                 "position it stands at is unknown; move it away to rebuild from the input's beginning");
    positions_.restore(r.input.offsets);
    replay_since_ = r.input.taken_ns;
    std::string where;
    for (const InputOffset& o : r.input.offsets)
        where += (where.empty() ? "" : ", ") + o.topic + "[" + std::to_string(o.partition) + "] at " + std::to_string(o.next);
    context.log().info("restored the books from {} (after {} orders; {})", snapshot_path_, consumed_, where.empty() ? "no offsets" : where);
}

// "<topic> <partition> <offset>" per line: where kafka_source's start_from
// begins each partition. Written before the source starts (the host starts
// stages before sources), replaced on every start.
void MatchingStage::write_positions_file() {
    std::string text;
    for (const InputOffset& o : positions_.offsets())
        text += o.topic + " " + std::to_string(o.partition) + " " + std::to_string(o.next) + "\n";
    if (std::string error = replace_file_durably(positions_file_, text); !error.empty())
        throw std::runtime_error("cannot write positions_file: " + error);
}

void MatchingStage::process(const EventBatch& in, EventBatch& out) {
    out_ = &out;
    // Room for the outputs per input seen so far (rounded up, plus an
    // eighth), so the batch is not regrown, and its events moved, a dozen
    // times. Capped: a sweep among the first orders must not make every
    // later batch reserve a huge one.
    const std::uint64_t per_order = processed_ == 0 ? 4 : std::min<std::uint64_t>(produced_ / processed_ + 1, 8);
    out.reserve(out.size() + in.size() * std::size_t(per_order) + in.size() / 8);
    if (!positions_file_.empty()) {
        process_positioned(in);
        orders_->Increment(double(in.size()));
        out_ = nullptr;
        return;
    }
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

void MatchingStage::process_positioned(const EventBatch& in) {
    for (const Event& e : in) {
        if (input_failed_) break;  // the daemon is stopping; the restart recovers
        const std::string* header = e.header(input_position::header);
        const auto at = header ? input_position::parse(*header) : std::nullopt;
        if (!at || !positions_.arrive(at->topic, at->partition, at->offset, at->acked)) {
            // Processing it would corrupt the books' history: stop, and let the
            // restart recover from the last durable snapshot.
            context_->fail(!at ? "positions_file: an input order has no valid " + std::string(input_position::header) +
                                     " header (got '" + (header ? *header : std::string("none")) +
                                     "'); the input must be a kafka_source with start_from"
                               : "positions_file: the input went back to " + *header +
                                     ", an order the engine has already consumed (the source re-reads after a sink "
                                     "failed a batch); restart the daemon to recover from the last durable snapshot");
            input_failed_ = true;
            break;
        }
        input_ = &e;
        processor_->process(e.payload_view(), *this);
        positions_.consumed();
        ++consumed_;
        ++processed_;
        if (snapshot_every_ != 0 && consumed_ % snapshot_every_ == 0 && !positions_.holding())
            positions_.hold(engine_->write_snapshot(SnapshotInput{consumed_, now_ns(), positions_.offsets()}));
    }
    if (auto durable = positions_.take_durable()) persist(*durable);
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
    if (!positions_file_.empty() && !replay_announced_) {
        replay_announced_ = true;
        e.headers.emplace_back(input_position::replay_since_header, std::to_string(replay_since_));
    }
    if (encoded.kind == EventKind::trade) trades_->Increment();
    ++produced_;
}

void MatchingStage::write_snapshot() {
    if (snapshot_path_.empty()) return;
    persist(engine_->write_snapshot(consumed_));
}

void MatchingStage::persist(const std::string& bytes) {
    if (std::string error = replace_file_durably(snapshot_path_, bytes); !error.empty())
        context_->log().error("cannot write the snapshot: {}", error);
}

void MatchingStage::stop() {
    payloads_.release_current();
    if (!positions_file_.empty()) {
        // Only a snapshot whose outputs are known durable is kept; a restart
        // re-emits the rest, and the deduplicating sink drops what it wrote.
        if (auto durable = positions_.take_durable()) persist(*durable);
        return;
    }
    write_snapshot();
    if (!snapshot_path_.empty()) context_->log().info("wrote the books to {} (after {} orders)", snapshot_path_, consumed_);
}

}  // namespace tickcast::matching
