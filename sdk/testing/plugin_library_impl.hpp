// Private to the tickcast::testing library: what a PluginLibrary holds.
#pragma once

#include <memory>
#include <vector>

#include <tickcast/testing.hpp>

#include "loader/plugin_catalog.hpp"

namespace tickcast::testing {

struct PluginLibrary::Impl {
    std::unique_ptr<core::PluginCatalog> catalog;   // a loaded file: keeps it mapped
    std::vector<core::LoadedPlugin> registered;     // from a registration function
    std::vector<const core::LoadedPlugin*> plugins; // either way

    const core::LoadedPlugin& find(const std::string& name, PluginKind kind) const;
};

}  // namespace tickcast::testing
