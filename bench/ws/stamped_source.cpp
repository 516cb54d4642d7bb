// stamped_source (library `bench_ws`, built for bench_ws only and never
// installed): emits trade-like events round-robin on `channels` channels
// (`prefix`0, `prefix`1, ...) at `rate` events per second, each payload
// starting with its origin time:
//
//   {"ts":1795683897300264606,"type":"trade","symbol":"B7","price":"64210.50","qty":"0.0150","pad":"xx…"}
//
// The gateway forwards the payload as the data message's `data`, so a load
// client reads publish -> client latency from `ts` (CLOCK_REALTIME ns, the
// clock Event::origin_ns uses). Seq counts per channel from 1.
#include <charconv>
#include <vector>

#include <tickcast/tickcast.hpp>

namespace {

using namespace tickcast;

class StampedSource final : public GeneratorSource {
public:
    explicit StampedSource(const ConfigNode& o) : GeneratorSource(pacing(o)), prefix_(o["prefix"].as_string()) {
        const std::int64_t channels = o["channels"].as_int();
        if (channels < 1 || channels > 1'000'000) o["channels"].fail("channels must be 1 to 1000000");
        const std::int64_t bytes = o["payload_bytes"].as_int();
        if (bytes < 0 || bytes > 65536) o["payload_bytes"].fail("payload_bytes must be 0 to 65536");
        payload_bytes_ = std::size_t(bytes);
        for (std::int64_t i = 0; i < channels; ++i) names_.push_back(prefix_ + std::to_string(i));
        seqs_.assign(names_.size(), 0);
    }

    static OptionSpecs options() {
        return {
            {"channels", OptionType::integer, false, "1", "Number of channels, named prefix0, prefix1, ..."},
            {"prefix", OptionType::string, false, "bench.", "Channel name prefix"},
            {"rate", OptionType::integer, false, "1000", "Events per second over all channels; 0 as fast as accepted"},
            {"count", OptionType::integer, false, "0", "Stop after this many events; 0 runs until stopped"},
            {"batch", OptionType::integer, false, "256", "Most events per emitted batch"},
            {"payload_bytes", OptionType::integer, false, "120", "Payload size (padded with a \"pad\" field)"},
        };
    }

private:
    static Pacing pacing(const ConfigNode& o) {
        const std::int64_t rate = o["rate"].as_int(), count = o["count"].as_int(), batch = o["batch"].as_int();
        if (rate < 0) o["rate"].fail("rate must be 0 (unpaced) or more");
        if (count < 0) o["count"].fail("count must be 0 (forever) or more");
        if (batch < 1) o["batch"].fail("batch must be at least 1");
        return {std::uint64_t(rate), std::uint64_t(count), std::size_t(batch)};
    }

    bool next(Event& e) override {
        const std::size_t i = next_++ % names_.size();
        e.channel = names_[i];
        e.seq = ++seqs_[i];
        e.origin_ns = now_ns();
        std::string p;
        p.reserve(std::max<std::size_t>(payload_bytes_, 128));
        char digits[24];
        p += "{\"ts\":";
        p.append(digits, std::to_chars(digits, digits + sizeof digits, e.origin_ns).ptr);
        p += ",\"type\":\"trade\",\"symbol\":\"B";
        p.append(digits, std::to_chars(digits, digits + sizeof digits, i).ptr);
        p += "\",\"price\":\"64210.50\",\"qty\":\"0.0150\",\"pad\":\"";
        if (p.size() + 2 < payload_bytes_) p.append(payload_bytes_ - p.size() - 2, 'x');
        p += "\"}";
        e.payload = make_payload(std::move(p));
        return true;
    }

    std::string prefix_;
    std::size_t payload_bytes_ = 120;
    std::vector<std::string> names_;
    std::vector<std::uint64_t> seqs_;
    std::uint64_t next_ = 0;
};

void register_plugins(PluginRegistry& r) {
    r.add_source({"stamped_source", PluginKind::source, "bench_ws only: events stamped with their origin time in the payload",
                  StampedSource::options()},
                 [](const ConfigNode& o) { return std::make_unique<StampedSource>(o); });
}

}  // namespace

TICKCAST_PLUGIN_LIBRARY("bench_ws", TICKCAST_SDK_VERSION, register_plugins)
