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

OrderflowSource::OrderflowSource(const ConfigNode& o) : channel_(o["channel"].as_string()) {
    const std::string tick = o["tick"].as_string(), lot = o["lot"].as_string();
    for (const std::string& name : o["symbols"].as_strings()) {
        SymbolSpecResult r = make_symbol_spec(name, tick, lot);
        if (!r.spec) o["symbols"].fail(r.error);
        flow_options_.symbols.push_back(*r.spec);
    }
    if (flow_options_.symbols.empty()) o["symbols"].fail("give at least one symbol");
    auto non_negative = [&](const char* key) {
        const std::int64_t v = o[key].as_int();
        if (v < 0) o[key].fail(std::string(key) + " must be 0 or more");
        return std::uint64_t(v);
    };
    rate_ = non_negative("rate");
    count_ = non_negative("count");
    flow_options_.seed = non_negative("seed");
    flow_options_.users = unsigned(std::max<std::uint64_t>(1, non_negative("users")));
    batch_max_ = std::max<std::size_t>(1, non_negative("batch"));
    try {
        flow_ = std::make_unique<Orderflow>(flow_options_);
    } catch (const std::exception& e) {
        o.fail(std::string("orderflow: ") + e.what());
    }
}

OrderflowSource::~OrderflowSource() = default;

void OrderflowSource::start(SourceContext& context) {
    context_ = &context;
    timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
    started_ = std::chrono::steady_clock::now();
    boost::asio::post(context.executor(), [this] { pump(); });
}

void OrderflowSource::stop() {
    stopping_ = true;
    if (timer_) timer_->cancel();
    if (!waiting_) finish();
}

void OrderflowSource::finish() {
    if (done_) return;
    done_ = true;
    context_->log().info("generated {} orders", emitted_);
    context_->done();
}

std::size_t OrderflowSource::due_now() const {
    if (rate_ == 0) return batch_max_;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started_).count();
    const std::uint64_t due = std::uint64_t((__int128)ns * rate_ / 1'000'000'000) + 1;
    return due > emitted_ ? std::size_t(std::min<std::uint64_t>(due - emitted_, batch_max_)) : 0;
}

void OrderflowSource::pump() {
    waiting_ = false;
    if (stopping_ || (count_ != 0 && emitted_ >= count_)) return finish();
    std::size_t n = std::min(due_now(), context_->capacity());
    if (count_ != 0) n = std::size_t(std::min<std::uint64_t>(n, count_ - emitted_));
    if (n > 0) {
        EventBatch batch;
        batch.reserve(n);
        const std::int64_t now = now_ns();
        for (std::size_t i = 0; i < n; ++i) {
            const Order order = flow_->next();
            flow_->to_json(order, json_);
            Event e;
            e.channel = channel_;
            e.key = flow_options_.symbols[order.symbol].name;
            e.seq = emitted_ + i + 1;
            e.origin_ns = now;
            e.payload = make_payload(json_);
            batch.push_back(std::move(e));
        }
        emitted_ += n;
        context_->emit(std::move(batch), emitted_);
    }
    if (count_ != 0 && emitted_ >= count_) return finish();
    if (context_->capacity() == 0) {
        waiting_ = true;
        context_->when_ready([this] { pump(); });
    } else if (rate_ != 0 && due_now() == 0) {
        const auto next = started_ + std::chrono::nanoseconds(std::int64_t((__int128)emitted_ * 1'000'000'000 / rate_));
        timer_->expires_at(std::max(next, std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
        timer_->async_wait([this](boost::system::error_code ec) {
            if (!ec) pump();
        });
    } else {
        boost::asio::post(context_->executor(), [this] { pump(); });
    }
}

}  // namespace tickcast::matching
