// What every fuzz target includes: the libFuzzer entry point's signature and
// FUZZ_CHECK, an invariant check that aborts with a message. An abort is what
// libFuzzer (and the replay driver, under ctest) reports as a failure, with
// the input that caused it; a failed check is a finding like any crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace tickcast::fuzz {

[[noreturn]] inline void check_failed(const char* condition, std::string_view detail, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n  %.*s\n", file, line, condition,
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace tickcast::fuzz

// FUZZ_CHECK(condition, detail): `detail` is anything convertible to a
// string_view that helps read the failure (the input, the two sides).
#define FUZZ_CHECK(condition, detail) \
    ((condition) ? void(0) : ::tickcast::fuzz::check_failed(#condition, (detail), __FILE__, __LINE__))
