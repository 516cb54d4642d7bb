// The host's implementation of the SDK contexts: one per plugin instance.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <spdlog/logger.h>
#include <tickcast/plugin.hpp>

#include "runtime/metrics_registry.hpp"

namespace tickcast::core {

// What every context needs from the daemon.
struct HostServices {
    MetricsRegistry& metrics;
    spdlog::sink_ptr log_sink;
    spdlog::level::level_enum log_level = spdlog::level::info;
    std::function<std::shared_ptr<Resource>(const std::string&)> find_resource;
    std::function<void(const std::string& who, const std::string& reason)> fail;
};

std::shared_ptr<spdlog::logger> make_logger(const HostServices& host, const std::string& name);

template <class Base>
class ContextImpl : public Base {
public:
    ContextImpl(HostServices& host, std::string name, boost::asio::any_io_executor executor, Labels labels)
        : host_(host), name_(std::move(name)), logger_(make_logger(host, name_)),
          metrics_(host.metrics, std::move(labels)), executor_(std::move(executor)) {}

    const std::string& name() const override { return name_; }
    spdlog::logger& log() override { return *logger_; }
    Metrics& metrics() override { return metrics_; }
    boost::asio::any_io_executor executor() override { return executor_; }
    std::shared_ptr<Resource> resource(const std::string& name) override {
        if (auto r = host_.find_resource(name)) return r;
        throw ConfigError({}, name_ + ": resource '" + name + "' is not declared or not started");
    }
    void fail(const std::string& reason) override { host_.fail(name_, reason); }

protected:
    HostServices& host_;
    std::string name_;
    std::shared_ptr<spdlog::logger> logger_;
    ScopedMetrics metrics_;
    boost::asio::any_io_executor executor_;
};

using InstanceContext = ContextImpl<PluginContext>;

}  // namespace tickcast::core
