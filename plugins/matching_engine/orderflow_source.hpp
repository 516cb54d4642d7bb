// orderflow: a seeded, realistic order stream for demos and benchmarks
// (limit orders near the touch, cancels, marketable orders, modifies over a
// random-walk mid), as JSON order events on one channel keyed by symbol.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <tickcast/tickcast.hpp>

#include "orderflow.hpp"

namespace tickcast::matching {

class OrderflowSource final : public Source {
public:
    explicit OrderflowSource(const ConfigNode& options);
    ~OrderflowSource() override;
    static OptionSpecs options();

    void start(SourceContext& context) override;
    void stop() override;

private:
    void pump();
    std::size_t due_now() const;
    void finish();

    OrderflowOptions flow_options_;
    std::unique_ptr<Orderflow> flow_;
    std::string channel_;
    std::uint64_t rate_ = 0, count_ = 0;  // count 0: unbounded
    std::size_t batch_max_ = 256;
    std::uint64_t emitted_ = 0;
    std::chrono::steady_clock::time_point started_;
    SourceContext* context_ = nullptr;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    bool stopping_ = false, done_ = false, waiting_ = false;
    std::string json_;
};

}  // namespace tickcast::matching
