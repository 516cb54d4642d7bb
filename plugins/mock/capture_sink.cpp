#include "capture_sink.hpp"

#include <cerrno>
#include <cstring>

#include <tickcast/json.hpp>

namespace tickcast::mock {

OptionSpecs CaptureSink::options() {
    return {{"path", OptionType::string, false, "", "Write each event as a JSON line (envelope form) to this file, truncated at start"}};
}

CaptureSink::CaptureSink(const ConfigNode& o) {
    if (o.has("path")) path_ = o["path"].as_string();
}

CaptureSink::~CaptureSink() {
    if (file_) std::fclose(file_);
}

void CaptureSink::start(SinkContext& context) {
    context_ = &context;
    if (path_.empty()) return;
    file_ = std::fopen(path_.c_str(), "w");
    if (!file_) throw std::runtime_error("cannot open '" + path_ + "' for writing: " + std::strerror(errno));
}

void CaptureSink::write(BatchRef batch, Completion done) {
    events_ += batch->size();
    if (file_) {
        for (const Event& e : *batch) {
            line_.clear();
            append_envelope_line(line_, e);
            std::fwrite(line_.data(), 1, line_.size(), file_);
            std::fputc('\n', file_);
        }
        if (std::fflush(file_) != 0) {
            done(Status::failure("writing '" + path_ + "' failed: " + std::strerror(errno)));
            return;
        }
    }
    done();
}

void CaptureSink::flush(Completion done) {
    context_->log().debug("captured {} events", events_);
    done();
}

void CaptureSink::stop() {
    if (file_) std::fclose(std::exchange(file_, nullptr));
}

}  // namespace tickcast::mock
