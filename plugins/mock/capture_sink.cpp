#include "capture_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <tickcast/json.hpp>

namespace tickcast::mock {

OptionSpecs CaptureSink::options() {
    return {{"path", OptionType::string, false, "", "Write each event as a line to this file, truncated at start"},
            {"format", OptionType::string, false, "envelope",
             "envelope: each event as a JSON line (envelope form); stamps: \"<channel> <seq> <origin_ns> <hop>=<ns>...\" only"}};
}

CaptureSink::CaptureSink(const ConfigNode& o) {
    if (o.has("path")) path_ = o["path"].as_string();
    const std::string format = o.has("format") ? o["format"].as_string() : "envelope";
    if (format != "envelope" && format != "stamps") o["format"].fail("format must be `envelope` or `stamps`, not '" + format + "'");
    stamps_ = format == "stamps";
}

namespace {
// Formats straight into `out`'s storage: grown once per line to the most the
// line can take, trimmed after. (Appending piece by piece cost the bench
// gateway a tenth of its CPU.)
void append_stamps_line(std::string& out, const Event& e) {
    constexpr std::size_t number_max = 21;  // an int64 and its separator
    std::size_t most = e.channel.size() + 1 + 2 * number_max;
    for (const HopStamp& h : e.hops) most += h.name().size() + 1 + number_max;
    const std::size_t at = out.size();
    out.resize(at + most);
    char* p = out.data() + at;
    char* const end = out.data() + out.size();
    auto put = [&](std::string_view s) { p = std::copy(s.begin(), s.end(), p); };
    auto number = [&](std::int64_t v) { p = std::to_chars(p, end, v).ptr; };
    put(e.channel);
    *p++ = ' ';
    number(std::int64_t(e.seq));
    *p++ = ' ';
    number(e.origin_ns);
    for (const HopStamp& h : e.hops) {
        *p++ = ' ';
        put(h.name());
        *p++ = '=';
        number(h.ns);
    }
    out.resize(std::size_t(p - out.data()));
}
}  // namespace

CaptureSink::~CaptureSink() {
    if (file_) std::fclose(file_);
}

void CaptureSink::start(SinkContext& context) {
    context_ = &context;
    if (path_.empty()) return;
    file_ = std::fopen(path_.c_str(), "w");
    if (!file_) throw std::runtime_error("cannot open '" + path_ + "' for writing: " + std::strerror(errno));
    std::setvbuf(file_, nullptr, _IONBF, 0);  // write() builds each batch whole; stdio would split it
}

void CaptureSink::write(BatchRef batch, Completion done) {
    events_ += batch->size();
    if (file_) {
        // The batch's lines in one buffer and one write: a reader of the file
        // (a test, a benchmark) sees each batch whole once write() returns.
        out_.clear();
        for (const Event& e : *batch) {
            if (stamps_)
                append_stamps_line(out_, e);
            else
                append_envelope_line(out_, e);
            out_ += '\n';
        }
        if (std::fwrite(out_.data(), 1, out_.size(), file_) != out_.size()) {
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
