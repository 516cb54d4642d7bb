// GeneratorSource: a Source that makes its events one at a time, at a set
// rate or as fast as the pipeline takes them. The base owns pacing,
// batching, backpressure (capacity / when_ready) and stopping; a subclass
// writes next() and, if it likes, on_finished(). A batch a sink fails is
// reported lost (SourceContext::lost): nothing makes it again.
//
// Pacing: with `rate` events per second the n-th event is due n/rate
// seconds after start; each wake-up emits what is due (at most `batch`),
// and wakes are at least 1 ms apart so that high rates go out in batches.
// Threading: everything runs on the source's executor.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "tickcast/plugin.hpp"

namespace tickcast {

class GeneratorSource : public Source {
public:
    struct Pacing {
        std::uint64_t rate = 0;   // events per second; 0: as fast as accepted
        std::uint64_t count = 0;  // stop after this many; 0: until stopped or next() says so
        std::size_t batch = 256;  // most events per emitted batch
    };

    void start(SourceContext& context) override {
        context_ = &context;
        timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
        started_ = std::chrono::steady_clock::now();
        boost::asio::post(context.executor(), [this] { pump(); });
    }

    void stop() override {
        stopping_ = true;
        if (timer_) timer_->cancel();
        // A pending when_ready() still fires and finishes then.
        if (!waiting_) finish();
    }

    // A generator cannot make a failed batch again: its events are lost.
    void on_ack(std::uint64_t token, const Status& status) override {
        const auto it = in_flight_.find(token);
        if (it == in_flight_.end()) return;
        if (!status.ok) context_->lost(it->second, status.error);
        in_flight_.erase(it);
    }

protected:
    explicit GeneratorSource(Pacing pacing) : pacing_(pacing) { pacing_.batch = std::max<std::size_t>(1, pacing_.batch); }

    // Fills `event` (a fresh Event) with the next one; false when there are no more.
    virtual bool next(Event& event) = 0;
    // Called once, just before the source reports done.
    virtual void on_finished(std::uint64_t emitted) { (void)emitted; }

    SourceContext& context() { return *context_; }
    std::uint64_t emitted() const { return emitted_; }

private:
    using clock = std::chrono::steady_clock;

    // Events due by now under the rate, capped by the batch size.
    std::size_t due_now() const {
        if (pacing_.rate == 0) return pacing_.batch;
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - started_).count();
        const std::uint64_t due = std::uint64_t(__int128(ns) * pacing_.rate / 1'000'000'000) + 1;
        return due > emitted_ ? std::size_t(std::min<std::uint64_t>(due - emitted_, pacing_.batch)) : 0;
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        on_finished(emitted_);
        context_->done();
    }

    void pump() {
        waiting_ = false;
        if (stopping_ || exhausted_ || (pacing_.count != 0 && emitted_ >= pacing_.count)) return finish();
        std::size_t n = std::min(due_now(), context_->capacity());
        if (pacing_.count != 0) n = std::size_t(std::min<std::uint64_t>(n, pacing_.count - emitted_));
        if (n > 0) {
            EventBatch batch;
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                Event e;
                if (!next(e)) {
                    exhausted_ = true;
                    break;
                }
                batch.push_back(std::move(e));
            }
            emitted_ += batch.size();
            if (!batch.empty()) {
                in_flight_.emplace(emitted_, batch.size());
                context_->emit(std::move(batch), emitted_);
            }
        }
        if (exhausted_ || (pacing_.count != 0 && emitted_ >= pacing_.count)) return finish();
        if (context_->capacity() == 0) {
            waiting_ = true;
            context_->when_ready([this] { pump(); });
        } else if (pacing_.rate != 0 && due_now() == 0) {
            const auto due = started_ + std::chrono::nanoseconds(std::int64_t(__int128(emitted_) * 1'000'000'000 / pacing_.rate));
            timer_->expires_at(std::max(due, clock::now() + std::chrono::milliseconds(1)));
            timer_->async_wait([this](boost::system::error_code ec) {
                if (!ec) pump();
            });
        } else {
            boost::asio::post(context_->executor(), [this] { pump(); });
        }
    }

    Pacing pacing_;
    SourceContext* context_ = nullptr;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    clock::time_point started_;
    std::uint64_t emitted_ = 0;
    std::unordered_map<std::uint64_t, std::size_t> in_flight_;  // batch token (emitted_ after it) -> its events
    bool stopping_ = false, waiting_ = false, finished_ = false, exhausted_ = false;
};

}  // namespace tickcast
