// file_sink: writes one line per event, either the payload as it is
// (`format: payload`) or the whole event as a JSON object (`format: envelope`).
// A batch completes once it has been written and flushed to the OS.
#pragma once

#include <cstdio>

#include <tickcast/tickcast.hpp>

namespace tickcast::file {

class FileSink final : public Sink {
public:
    explicit FileSink(const ConfigNode& options);
    ~FileSink() override;
    void start(SinkContext& context) override;
    void write(BatchRef batch, Completion done) override;
    void stop() override;

    static OptionSpecs options();

private:
    std::string path_;
    bool envelope_ = false;
    bool append_ = false;
    std::FILE* file_ = nullptr;
    std::string line_;  // one envelope line, reused
};

}  // namespace tickcast::file
