// The handshake between tickcastd and a plugin library.
//
// Before the loader touches anything else in a library it calls the exported
// `tickcast_handshake` alias and compares the AbiInfo it returns with its own.
// AbiInfo's layout is frozen: new fields may only be appended, so an old or
// new plugin can always be read far enough to be refused with a clear message
// instead of crashing on a mismatched vtable later.
#pragma once

#include <cstdint>

#include <boost/version.hpp>

// Marks SDK types whose vtables or type_info cross the library boundary.
#define TICKCAST_SDK_API __attribute__((visibility("default")))

// Tests build a deliberately incompatible plugin by predefining this.
#ifndef TICKCAST_ABI_VERSION
#define TICKCAST_ABI_VERSION 2
#endif

#define TICKCAST_SDK_VERSION "0.1.0"

namespace tickcast {

inline constexpr std::uint32_t abi_magic = 0x544b4353;  // "TKCS"

struct AbiInfo {
    std::uint32_t magic;
    std::uint32_t abi_version;
    std::uint32_t compiler_major;   // __GNUC__: vtable and exception ABI
    std::uint32_t cxx11_string_abi; // _GLIBCXX_USE_CXX11_ABI: std::string layout
    std::uint32_t boost_version;    // Asio executors cross the boundary
    std::uint32_t event_size;       // sizeof(tickcast::Event), a cheap layout check
    const char* sdk_version;
    const char* library_name;
    const char* library_version;
};

}  // namespace tickcast
