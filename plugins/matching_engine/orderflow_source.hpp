// orderflow: a seeded, realistic order stream for demos and benchmarks
// (limit orders near the touch, cancels, marketable orders, modifies over a
// random-walk mid), as JSON order events on one channel keyed by symbol.
#pragma once

#include <memory>

#include <tickcast/tickcast.hpp>

#include "orderflow.hpp"

namespace tickcast::matching {

class OrderflowSource final : public GeneratorSource {
public:
    explicit OrderflowSource(const ConfigNode& options);
    ~OrderflowSource() override;
    static OptionSpecs options();

private:
    static Pacing pacing(const ConfigNode& options);
    bool next(Event& e) override;
    void on_finished(std::uint64_t emitted) override;

    OrderflowOptions flow_options_;
    std::unique_ptr<Orderflow> flow_;
    std::string channel_;
    std::string json_;
    std::uint64_t seq_ = 0;
};

}  // namespace tickcast::matching
