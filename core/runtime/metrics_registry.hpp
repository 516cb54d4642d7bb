// MetricsRegistry: the daemon's one prometheus-cpp registry, and the
// per-instance view of it that plugins get (labels pipeline= and plugin=
// added to everything they register). Registration is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/registry.h>
#include <tickcast/metrics.hpp>

namespace tickcast::core {

class MetricsRegistry {
public:
    MetricsRegistry();

    prometheus::Counter& counter(std::string_view name, std::string_view help, const Labels& labels);
    prometheus::Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels);
    prometheus::Histogram& histogram(std::string_view name, std::string_view help,
                                     const std::vector<double>& buckets, const Labels& labels);

    // Prometheus text exposition format (version 0.0.4).
    std::string serialize() const;

private:
    std::shared_ptr<prometheus::Registry> registry_;
    mutable std::mutex mutex_;
    std::map<std::string, prometheus::Family<prometheus::Counter>*, std::less<>> counters_;
    std::map<std::string, prometheus::Family<prometheus::Gauge>*, std::less<>> gauges_;
    std::map<std::string, prometheus::Family<prometheus::Histogram>*, std::less<>> histograms_;
};

// What one plugin instance sees: the registry with its own labels merged in.
class ScopedMetrics final : public Metrics {
public:
    ScopedMetrics(MetricsRegistry& registry, Labels labels) : registry_(registry), labels_(std::move(labels)) {}

    prometheus::Counter& counter(std::string_view name, std::string_view help, const Labels& labels) override {
        return registry_.counter(name, help, merged(labels));
    }
    prometheus::Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels) override {
        return registry_.gauge(name, help, merged(labels));
    }
    prometheus::Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& buckets,
                                     const Labels& labels) override {
        return registry_.histogram(name, help, buckets, merged(labels));
    }

private:
    Labels merged(const Labels& extra) const {
        Labels all = labels_;
        all.insert(extra.begin(), extra.end());
        return all;
    }
    MetricsRegistry& registry_;
    Labels labels_;
};

}  // namespace tickcast::core
