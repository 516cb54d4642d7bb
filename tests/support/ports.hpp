// Loopback ports for servers a test or benchmark starts.
#pragma once

#include <cstdint>
#include <string>

namespace tickcast::test {

// A port nothing listens on right now (the kernel's pick; another process
// may take it before the caller binds it, which the callers tolerate).
std::uint16_t free_port();
// "127.0.0.1:<free_port()>".
std::string free_address();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool listens(std::uint16_t port);

}  // namespace tickcast::test
