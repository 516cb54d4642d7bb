// TICKCAST_PLUGIN_LIBRARY(name, version, register_function): the one export
// macro. Put it at the bottom of the library's registration file:
//
//   static void register_plugins(tickcast::PluginRegistry& r) {
//       r.add_sink({"my_sink", tickcast::PluginKind::sink, "what it does", my_options},
//                  [](const tickcast::ConfigNode& o) { return std::make_unique<MySink>(o); });
//   }
//   TICKCAST_PLUGIN_LIBRARY("my_plugins", "1.0.0", register_plugins)
//
// It exports two Boost.DLL aliases: `tickcast_handshake` (the ABI description,
// read first) and `tickcast_register`. Nothing else leaves the library.
#pragma once

#include <boost/dll/alias.hpp>

#include "tickcast/plugin.hpp"

namespace tickcast::detail {
using HandshakeFn = const AbiInfo*() noexcept;
using RegisterFn = void(PluginRegistry&);
}  // namespace tickcast::detail

#define TICKCAST_PLUGIN_LIBRARY(library_name, library_version, register_function)        \
    namespace tickcast_plugin_library {                                                  \
    const ::tickcast::AbiInfo* handshake() noexcept {                                    \
        static const ::tickcast::AbiInfo info =                                          \
            ::tickcast::make_abi_info(library_name, library_version);                    \
        return &info;                                                                    \
    }                                                                                    \
    void register_all(::tickcast::PluginRegistry& registry) { register_function(registry); } \
    }                                                                                    \
    BOOST_DLL_ALIAS(tickcast_plugin_library::handshake, tickcast_handshake)              \
    BOOST_DLL_ALIAS(tickcast_plugin_library::register_all, tickcast_register)
