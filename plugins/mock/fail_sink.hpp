// fail_sink: a sink for fault tests. Fails the batch holding every
// `fail_every`-th event, and completes each batch only after `delay` (a
// slow sink, for backpressure tests).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <tickcast/tickcast.hpp>

namespace tickcast::mock {

class FailSink final : public Sink {
public:
    explicit FailSink(const ConfigNode& options);
    void start(SinkContext& context) override;
    void write(BatchRef batch, Completion done) override;
    void stop() override;

    static OptionSpecs options();

private:
    struct Pending {
        Completion done;
        Status status;
    };
    void complete_next();

    std::uint64_t fail_every_ = 0;
    std::chrono::nanoseconds delay_{0};
    std::uint64_t seen_ = 0;
    SinkContext* context_ = nullptr;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    std::deque<Pending> queue_;  // completed in order, one `delay` apart
    bool timer_running_ = false;
};

}  // namespace tickcast::mock
