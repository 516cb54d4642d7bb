// Metrics a plugin registers through its context. The host owns the one
// prometheus-cpp registry behind /metrics and adds `pipeline` and `plugin`
// labels, so a plugin names only what it measures.
//
// Thread-safety: registration runs on the plugin's executor; the returned
// metric objects are thread-safe and live as long as the daemon.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "tickcast/abi.hpp"

namespace tickcast {

using Labels = std::map<std::string, std::string>;

// Latency buckets in seconds, 10 µs .. 5 s, shared by every latency histogram
// so that hops can be compared bucket for bucket.
inline const std::vector<double>& latency_buckets() {
    static const std::vector<double> b = {
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    return b;
}

class TICKCAST_SDK_API Metrics {
public:
    virtual ~Metrics() = default;
    // Names follow Prometheus conventions: tickcast_<area>_<what>[_total|_seconds].
    virtual prometheus::Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {}) = 0;
    virtual prometheus::Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {}) = 0;
    virtual prometheus::Histogram& histogram(std::string_view name, std::string_view help,
                                             const std::vector<double>& buckets = latency_buckets(),
                                             const Labels& labels = {}) = 0;
};

}  // namespace tickcast
