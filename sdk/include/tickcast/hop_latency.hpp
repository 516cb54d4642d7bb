// Per-hop latency. A plugin that stamps a hop on events (a source reading
// from a broker, a sink handing events to one) adds its stamp through a
// HopLatency, which also counts the time since the event's previous stamp
// into tickcast_hop_latency_seconds{from="<previous>",to="<this>"}; the host
// adds the pipeline and plugin labels. Chained over a deployment, the
// histograms split an event's end-to-end time hop by hop: engine → kafka_in
// (the Kafka hop), kafka_in → redis_out (the fan-out), redis_out → redis_in
// (the Redis hop), redis_in → ws_write (the gateway).
//
// Counting is per event and cheap (a bucket search); the histograms' locks
// are taken in flush(), once per batch. Not thread-safe: one per executor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tickcast/event.hpp"
#include "tickcast/metrics.hpp"

namespace tickcast {

class HopLatency {
public:
    static constexpr const char* metric = "tickcast_hop_latency_seconds";

    HopLatency(Metrics& metrics, std::string to) : metrics_(metrics), to_(std::move(to)) {}

    const std::string& name() const noexcept { return to_; }

    // Adds this hop's stamp at `now` and counts the time since the previous
    // stamp (see count()).
    void stamp(Hops& hops, std::int64_t now) {
        count(hops, now);
        hops.add(to_, now);
    }

    // Counts the time from the last stamp to `now` without adding one: for
    // the last hop of a flow (the gateway's socket write), which nothing
    // downstream reads. Events with no stamp, or stamped in the future by
    // another machine's clock, count nothing.
    void count(const Hops& hops, std::int64_t now) {
        if (hops.empty()) return;
        const HopStamp& previous = *(hops.end() - 1);
        if (previous.ns <= 0 || now < previous.ns) return;
        Pending& p = pending_for(previous.name());
        const double s = double(now - previous.ns) / 1e9;
        const std::vector<double>& bounds = latency_buckets();
        p.counts[std::size_t(std::lower_bound(bounds.begin(), bounds.end(), s) - bounds.begin())] += 1;
        p.sum += s;
        p.any = true;
    }

    // Moves what was counted into the histograms.
    void flush() {
        for (Pending& p : pending_) {
            if (!p.any) continue;
            p.histogram->ObserveMultiple(p.counts, p.sum);
            std::fill(p.counts.begin(), p.counts.end(), 0.0);
            p.sum = 0;
            p.any = false;
        }
    }

private:
    struct Pending {
        std::string from;
        prometheus::Histogram* histogram;
        std::vector<double> counts;  // one per bucket, then +Inf
        double sum = 0;
        bool any = false;
    };

    Pending& pending_for(std::string_view from) {
        for (Pending& p : pending_)
            if (p.from == from) return p;
        prometheus::Histogram& h = metrics_.histogram(metric, "Time from an event's previous hop stamp to this one",
                                                      latency_buckets(), {{"from", std::string(from)}, {"to", to_}});
        pending_.push_back({std::string(from), &h, std::vector<double>(latency_buckets().size() + 1, 0.0)});
        return pending_.back();
    }

    Metrics& metrics_;
    std::string to_;
    std::vector<Pending> pending_;  // usually one: events of a flow share their previous hop
};

}  // namespace tickcast
