// mock_source: emits the events listed in its YAML, `repeat` times, at
// `rate` events per second (0: as fast as the pipeline accepts). Sequence
// numbers count per channel from 1 unless an event gives its own `seq`.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <tickcast/tickcast.hpp>

namespace tickcast::mock {

class MockSource final : public GeneratorSource {
public:
    explicit MockSource(const ConfigNode& options);

    static OptionSpecs options();

private:
    struct Template {
        std::string channel, key;
        Payload payload;
        std::uint64_t seq = 0;
        std::int64_t origin_ns = 0;  // 0: the time it is emitted
        Headers headers;
    };
    static Pacing pacing(const ConfigNode& options);
    bool next(Event& e) override;
    void on_finished(std::uint64_t emitted) override;

    std::vector<Template> templates_;
    std::uint64_t next_index_ = 0;
    std::map<std::string, std::uint64_t> next_seq_;
};

}  // namespace tickcast::mock
