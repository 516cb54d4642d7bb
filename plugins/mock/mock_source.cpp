#include "mock_source.hpp"

#include <tickcast/json.hpp>

namespace tickcast::mock {

OptionSpecs MockSource::options() {
    return {
        {"events", OptionType::list, true, "",
         "Events to emit, each {channel, key?, seq?, origin_ns?, headers?, payload} where payload is a YAML map (sent as JSON) or a string"},
        {"repeat", OptionType::integer, false, "1", "How many times to emit the list; 0 repeats until stopped"},
        {"rate", OptionType::integer, false, "0", "Events per second; 0 emits as fast as the pipeline accepts"},
        {"batch", OptionType::integer, false, "256", "Most events per emitted batch"},
    };
}

GeneratorSource::Pacing MockSource::pacing(const ConfigNode& o) {
    const std::int64_t repeat = o["repeat"].as_int(), rate = o["rate"].as_int(), batch = o["batch"].as_int();
    if (repeat < 0) o["repeat"].fail("repeat must be 0 (forever) or more");
    if (rate < 0) o["rate"].fail("rate must be 0 (unpaced) or more");
    if (batch < 1) o["batch"].fail("batch must be at least 1");
    const std::uint64_t events = o["events"].items().size();
    // repeat 0 is forever; an empty list ends at once (next() says so).
    return {std::uint64_t(rate), repeat == 0 ? 0 : std::uint64_t(repeat) * events, std::size_t(batch)};
}

MockSource::MockSource(const ConfigNode& o) : GeneratorSource(pacing(o)) {
    for (const ConfigNode& e : o["events"].items()) {
        if (!e.is_map()) e.fail("each mock event must be a map with channel and payload");
        for (const auto& [k, v] : e.entries())
            if (k.text() != "channel" && k.text() != "key" && k.text() != "payload" && k.text() != "seq" && k.text() != "origin_ns" &&
                k.text() != "headers")
                k.fail("unknown key '" + k.text() + "' in a mock event; expected channel, key, seq, origin_ns, headers, payload");
        Template t;
        if (!e.has("channel")) e.fail("mock event has no 'channel'");
        t.channel = e["channel"].as_string();
        if (e.has("key")) t.key = e["key"].as_string();
        if (e.has("seq")) t.seq = e["seq"].as_uint();
        if (e.has("origin_ns")) {
            const std::int64_t origin = e["origin_ns"].as_int();
            if (origin <= 0) e["origin_ns"].fail("origin_ns must be a positive time in ns since the Unix epoch");
            t.origin_ns = origin;
        }
        for (const auto& [k, v] : e["headers"].entries()) t.headers.emplace_back(k.text(), v.as_string());
        const ConfigNode p = e["payload"];
        if (p.is_scalar())
            t.payload = make_payload(p.as_string());
        else if (p.defined())
            t.payload = make_payload(boost::json::serialize(yaml_to_json(p.yaml())));
        templates_.push_back(std::move(t));
    }
}

bool MockSource::next(Event& e) {
    if (templates_.empty()) return false;
    const Template& t = templates_[next_index_++ % templates_.size()];
    e.channel = t.channel;
    e.key = t.key;
    e.payload = t.payload;  // shared, never copied
    std::uint64_t& last = next_seq_[t.channel];
    e.seq = t.seq != 0 ? t.seq : ++last;
    e.origin_ns = t.origin_ns != 0 ? t.origin_ns : now_ns();
    e.headers = t.headers;
    return true;
}

void MockSource::on_finished(std::uint64_t emitted) { context().log().info("emitted {} events", emitted); }

}  // namespace tickcast::mock
