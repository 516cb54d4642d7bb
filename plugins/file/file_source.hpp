// file_source: replays a file, one event per line (the line is the payload).
// The channel is fixed (`channel:`) or read from a top-level string field of
// each JSON line (`channel_field:`); `key_field:` likewise sets the key.
// A line that cannot be routed is logged with its line number and skipped.
// A batch a sink fails is reported lost (SourceContext::lost) with its lines.
#pragma once

#include <fstream>
#include <map>
#include <unordered_map>

#include <tickcast/tickcast.hpp>

namespace tickcast::file {

class FileSource final : public Source {
public:
    explicit FileSource(const ConfigNode& options);
    void start(SourceContext& context) override;
    void stop() override;
    // A failed batch is not read again: its lines are reported lost.
    void on_ack(std::uint64_t token, const Status& status) override;

    static OptionSpecs options();

private:
    void pump();
    bool route(const std::string& line, Event& e);

    std::string path_, channel_, channel_field_, key_field_;
    std::size_t batch_max_ = 256;
    std::ifstream in_;
    std::uint64_t line_no_ = 0;
    struct InFlight {
        std::uint64_t first_line;
        std::size_t events;
    };
    std::unordered_map<std::uint64_t, InFlight> in_flight_;  // by token: the batch's last line
    std::map<std::string, std::uint64_t, std::less<>> next_seq_;
    SourceContext* context_ = nullptr;
    bool stopping_ = false;
    std::uint64_t skipped_ = 0;
    prometheus::Counter* skipped_counter_ = nullptr;
};

}  // namespace tickcast::file
