#include "fail_sink.hpp"

namespace tickcast::mock {

OptionSpecs FailSink::options() {
    return {
        {"fail_every", OptionType::integer, false, "0", "Fail the batch holding every Nth event (counting from the first); 0 never fails"},
        {"delay", OptionType::duration, false, "0", "Complete each batch this long after the previous one (a slow sink)"},
    };
}

FailSink::FailSink(const ConfigNode& o) {
    const std::int64_t n = o["fail_every"].as_int();
    if (n < 0) o["fail_every"].fail("fail_every must be 0 (never) or more");
    fail_every_ = std::uint64_t(n);
    delay_ = o["delay"].as_duration();
}

void FailSink::start(SinkContext& context) {
    context_ = &context;
    timer_ = std::make_unique<boost::asio::steady_timer>(context.executor());
}

void FailSink::write(BatchRef batch, Completion done) {
    Status status;
    if (fail_every_ != 0) {
        const std::uint64_t first = seen_ + 1, last = seen_ + batch->size();
        const std::uint64_t next_failure = ((first + fail_every_ - 1) / fail_every_) * fail_every_;
        if (next_failure <= last)
            status = Status::failure("fail_sink: event #" + std::to_string(next_failure) + " fails by configuration");
    }
    seen_ += batch->size();
    if (delay_.count() == 0) {
        done(std::move(status));
        return;
    }
    queue_.push_back({std::move(done), std::move(status)});
    if (!timer_running_) complete_next();
}

void FailSink::complete_next() {
    if (queue_.empty()) {
        timer_running_ = false;
        return;
    }
    timer_running_ = true;
    timer_->expires_after(delay_);
    timer_->async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        Pending p = std::move(queue_.front());
        queue_.pop_front();
        p.done(std::move(p.status));
        complete_next();
    });
}

void FailSink::stop() {
    if (timer_) timer_->cancel();
    for (Pending& p : queue_) p.done(Status::failure("fail_sink stopped before completing"));
    queue_.clear();
}

}  // namespace tickcast::mock
