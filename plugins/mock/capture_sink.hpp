// capture_sink: counts the events it receives and, with `path:`, writes each
// as one line as it arrives, so tests and `tickcastd test` can read what a
// pipeline produced. `format: envelope` (the default) writes the JSON
// envelope (tickcast/json.hpp); `format: stamps` writes only
// "<channel> <seq> <origin_ns> <hop>=<ns>...", for benchmarks that want
// the timings at a cost near what a raw client pays to record them.
#pragma once

#include <cstdio>
#include <memory>

#include <tickcast/tickcast.hpp>

namespace tickcast::mock {

class CaptureSink final : public Sink {
public:
    explicit CaptureSink(const ConfigNode& options);
    ~CaptureSink() override;
    void start(SinkContext& context) override;
    void write(BatchRef batch, Completion done) override;
    void flush(Completion done) override;
    void stop() override;

    static OptionSpecs options();

private:
    std::string path_;
    bool stamps_ = false;  // format: stamps
    std::FILE* file_ = nullptr;
    std::string out_;  // a batch's lines, reused
    std::size_t events_ = 0;
    SinkContext* context_ = nullptr;
};

}  // namespace tickcast::mock
