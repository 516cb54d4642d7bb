#include "file_sink.hpp"

#include <cerrno>
#include <cstring>

#include <tickcast/json.hpp>

namespace tickcast::file {

OptionSpecs FileSink::options() {
    return {
        {"path", OptionType::string, true, "", "File to write"},
        {"format", OptionType::string, false, "payload", "payload (each event's payload as a line) or envelope (channel, key, seq, timestamps and payload as JSON)"},
        {"append", OptionType::boolean, false, "false", "Append to an existing file instead of truncating it at start"},
    };
}

FileSink::FileSink(const ConfigNode& o) : path_(o["path"].as_string()), append_(o["append"].as_bool()) {
    const std::string format = o["format"].as_string();
    if (format != "payload" && format != "envelope") o["format"].fail("format must be 'payload' or 'envelope', got '" + format + "'");
    envelope_ = format == "envelope";
}

FileSink::~FileSink() {
    if (file_) std::fclose(file_);
}

void FileSink::start(SinkContext&) {
    file_ = std::fopen(path_.c_str(), append_ ? "a" : "w");
    if (!file_) throw std::runtime_error("cannot open '" + path_ + "' for writing: " + std::strerror(errno));
}

void FileSink::write(BatchRef batch, Completion done) {
    for (const Event& e : *batch) {
        if ((e.flags & event_flags::heartbeat) && !envelope_) continue;  // no payload to write
        if (envelope_) {
            line_.clear();
            append_envelope_line(line_, e);
            std::fwrite(line_.data(), 1, line_.size(), file_);
        } else {
            const std::string_view p = e.payload_view();
            std::fwrite(p.data(), 1, p.size(), file_);
        }
        std::fputc('\n', file_);
    }
    if (std::fflush(file_) != 0 || std::ferror(file_)) {
        done(Status::failure("writing '" + path_ + "' failed: " + std::strerror(errno)));
        return;
    }
    done();
}

void FileSink::stop() {
    if (file_) std::fclose(std::exchange(file_, nullptr));
}

}  // namespace tickcast::file
