// mock_source: emits the events listed in its YAML, `repeat` times, at
// `rate` events per second (0: as fast as the pipeline accepts). Sequence
// numbers count per channel from 1 unless an event gives its own `seq`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <tickcast/tickcast.hpp>

namespace tickcast::mock {

class MockSource final : public Source {
public:
    explicit MockSource(const ConfigNode& options);
    void start(SourceContext& context) override;
    void stop() override;
    void on_ack(std::uint64_t token, const Status& status) override;

    static OptionSpecs options();

private:
    struct Template {
        std::string channel, key;
        Payload payload;
        std::uint64_t seq = 0;
        Headers headers;
    };
    void pump();
    void finish();  // logs the count and reports done, once
    std::size_t due_now();

    std::vector<Template> templates_;
    std::uint64_t repeat_ = 1;  // 0: forever
    std::uint64_t rate_ = 0;    // events per second, 0: unpaced
    std::size_t batch_max_ = 256;

    SourceContext* context_ = nullptr;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    std::map<std::string, std::uint64_t> next_seq_;
    std::uint64_t emitted_ = 0;
    std::uint64_t total_ = 0;  // 0: unbounded
    std::chrono::steady_clock::time_point started_;
    bool stopping_ = false;
    bool waiting_ = false;
    bool finished_ = false;
    std::uint64_t failed_acks_ = 0;
};

}  // namespace tickcast::mock
