#include "runtime/metrics_registry.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>

namespace tickcast::core {

MetricsRegistry::MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}

namespace {
template <class Builder, class Families>
auto& family(Families& families, Builder builder, prometheus::Registry& registry, std::string_view name,
             std::string_view help) {
    auto it = families.find(name);
    if (it == families.end())
        it = families.emplace(std::string(name), &builder.Name(std::string(name)).Help(std::string(help)).Register(registry)).first;
    return *it->second;
}
}  // namespace

prometheus::Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    return family(counters_, prometheus::BuildCounter(), *registry_, name, help).Add(labels);
}

prometheus::Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    return family(gauges_, prometheus::BuildGauge(), *registry_, name, help).Add(labels);
}

prometheus::Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                                  const std::vector<double>& buckets, const Labels& labels) {
    std::lock_guard lock(mutex_);
    return family(histograms_, prometheus::BuildHistogram(), *registry_, name, help).Add(labels, buckets);
}

std::string MetricsRegistry::serialize() const {
    return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace tickcast::core
