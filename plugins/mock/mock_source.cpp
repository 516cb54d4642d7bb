#include "mock_source.hpp"

#include <tickcast/json.hpp>

namespace tickcast::mock {

OptionSpecs MockSource::options() {
    return {
        {"events", OptionType::list, true, "",
         "Events to emit, each {channel, key?, seq?, headers?, payload} where payload is a YAML map (sent as JSON) or a string"},
        {"repeat", OptionType::integer, false, "1", "How many times to emit the list; 0 repeats until stopped"},
        {"rate", OptionType::integer, false, "0", "Events per second; 0 emits as fast as the pipeline accepts"},
        {"batch", OptionType::integer, false, "256", "Most events per emitted batch"},
    };
}

MockSource::MockSource(const ConfigNode& o) {
    for (const ConfigNode& e : o["events"].items()) {
        if (!e.is_map()) e.fail("each mock event must be a map with channel and payload");
        for (const auto& [k, v] : e.entries())
            if (k.text() != "channel" && k.text() != "key" && k.text() != "payload" && k.text() != "seq" && k.text() != "headers")
                k.fail("unknown key '" + k.text() + "' in a mock event; expected channel, key, seq, headers, payload");
        Template t;
        if (!e.has("channel")) e.fail("mock event has no 'channel'");
        t.channel = e["channel"].as_string();
        if (e.has("key")) t.key = e["key"].as_string();
        if (e.has("seq")) t.seq = e["seq"].as_uint();
        for (const auto& [k, v] : e["headers"].entries()) t.headers.emplace_back(k.text(), v.as_string());
        const ConfigNode p = e["payload"];
        if (p.is_scalar())
            t.payload = make_payload(p.as_string());
        else if (p.defined())
            t.payload = make_payload(boost::json::serialize(yaml_to_json(p.yaml())));
        templates_.push_back(std::move(t));
    }
    const std::int64_t repeat = o["repeat"].as_int(), rate = o["rate"].as_int(), batch = o["batch"].as_int();
    if (repeat < 0) o["repeat"].fail("repeat must be 0 (forever) or more");
    if (rate < 0) o["rate"].fail("rate must be 0 (unpaced) or more");
    if (batch < 1) o["batch"].fail("batch must be at least 1");
    repeat_ = std::uint64_t(repeat);
    rate_ = std::uint64_t(rate);
    batch_max_ = std::size_t(batch);
    total_ = repeat_ == 0 ? 0 : repeat_ * templates_.size();
}

void MockSource::start(SourceContext& context) {
    context_ = &context;
    timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
    started_ = std::chrono::steady_clock::now();
    boost::asio::post(context.executor(), [this] { pump(); });
}

void MockSource::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (timer_) timer_->cancel();
    // A pending when_ready callback may still fire; pump() sees stopping_.
    if (!waiting_) finish();
}

void MockSource::finish() {
    if (!finished_) context_->log().info("emitted {} events", emitted_);
    finished_ = true;
    context_->done();
}

void MockSource::on_ack(std::uint64_t, const Status& status) {
    if (!status.ok && failed_acks_++ == 0) context_->log().warn("a batch was not handled by every sink: {}", status.error);
}

std::size_t MockSource::due_now() {
    if (rate_ == 0) return batch_max_;
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    const std::uint64_t due = std::uint64_t((__int128)ns * rate_ / 1'000'000'000) + 1;
    return due > emitted_ ? std::min<std::uint64_t>(due - emitted_, batch_max_) : 0;
}

void MockSource::pump() {
    waiting_ = false;
    if (stopping_) {
        finish();
        return;
    }
    if (templates_.empty() || (total_ != 0 && emitted_ >= total_)) {
        stopping_ = true;
        finish();
        return;
    }
    std::size_t n = std::min(due_now(), context_->capacity());
    if (total_ != 0) n = std::min<std::uint64_t>(n, total_ - emitted_);
    if (n > 0) {
        EventBatch batch;
        batch.reserve(n);
        const std::int64_t now = now_ns();
        for (std::size_t i = 0; i < n; ++i) {
            const Template& t = templates_[(emitted_ + i) % templates_.size()];
            Event e;
            e.channel = t.channel;
            e.key = t.key;
            e.payload = t.payload;
            std::uint64_t& next = next_seq_[t.channel];
            e.seq = t.seq != 0 ? t.seq : ++next;
            e.origin_ns = now;
            e.headers = t.headers;
            batch.push_back(std::move(e));
        }
        emitted_ += n;
        context_->emit(std::move(batch), emitted_);
    }
    if (context_->capacity() == 0) {
        waiting_ = true;
        context_->when_ready([this] { pump(); });
    } else if (rate_ != 0 && due_now() == 0) {
        // Sleep until the next event is due, but at least 1 ms so that high
        // rates go out in batches rather than one timer wake-up per event.
        const auto next_ns = std::int64_t((__int128)emitted_ * 1'000'000'000 / rate_);
        const auto wake = started_ + std::chrono::nanoseconds(next_ns);
        timer_->expires_at(std::max(wake, std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
        timer_->async_wait([this](boost::system::error_code ec) {
            if (!ec) pump();
        });
    } else {
        boost::asio::post(context_->executor(), [this] { pump(); });
    }
}

}  // namespace tickcast::mock
