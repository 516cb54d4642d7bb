#include "runtime/plugin_context.hpp"

namespace tickcast::core {

std::shared_ptr<spdlog::logger> make_logger(const HostServices& host, const std::string& name) {
    auto logger = std::make_shared<spdlog::logger>(name, host.log_sink);
    logger->set_level(host.log_level);
    return logger;
}

}  // namespace tickcast::core
