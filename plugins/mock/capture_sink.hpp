// capture_sink: counts the events it receives and, with `path:`, writes each
// as one JSON line in the envelope form (tickcast/json.hpp) as it arrives,
// so tests and `tickcastd test` can read what a pipeline produced.
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
    std::FILE* file_ = nullptr;
    std::string line_;  // one envelope line, reused
    std::size_t events_ = 0;
    SinkContext* context_ = nullptr;
};

}  // namespace tickcast::mock
