// The tickcastd subcommands. Each returns the process exit status:
// 0 ok, 1 runtime failure (or failing tests), 2 bad config or usage.
#pragma once

#include <string>
#include <vector>

#include <spdlog/common.h>

namespace tickcast::core {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

int command_run(const std::vector<std::string>& files, const std::string& admin, spdlog::level::level_enum level);
int command_validate(const std::vector<std::string>& files);
int command_plugins(const std::vector<std::string>& names);
int command_test(const std::vector<std::string>& paths, spdlog::level::level_enum level);

}  // namespace tickcast::core
