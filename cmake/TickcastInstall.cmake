# Install and export rules: `cmake --install build --prefix P` gives
#   P/bin/tickcastd                      the daemon
#   P/lib/tickcast/plugins/*.so           the bundled plugins (tickcastd's default search path)
#   P/include/tickcast/*.hpp              the SDK headers (sdk/CMakeLists.txt)
#   P/lib/libtickcast_testing.a           the test harness
#   P/lib/cmake/tickcast/                 the CMake package: find_package(tickcast 0.1)
#                                         gives tickcast::sdk, tickcast::testing and the
#                                         tickcast_add_plugin* helpers
include(CMakePackageConfigHelpers)

# The package version is the project's; the SDK headers state it too, and a
# plugin's handshake carries the header's, so the two must never disagree.
file(STRINGS ${PROJECT_SOURCE_DIR}/sdk/include/tickcast/abi.hpp abi_lines
     REGEX "^#define TICKCAST_(SDK|ABI)_VERSION ")
foreach(line IN LISTS abi_lines)
  if(line MATCHES "TICKCAST_SDK_VERSION \"([^\"]+)\"" AND NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
    message(FATAL_ERROR "sdk/include/tickcast/abi.hpp says SDK ${CMAKE_MATCH_1}, CMakeLists.txt says ${PROJECT_VERSION}")
  endif()
  if(line MATCHES "TICKCAST_ABI_VERSION ([0-9]+)" AND NOT CMAKE_MATCH_1 STREQUAL TICKCAST_ABI_VERSION)
    message(FATAL_ERROR "sdk/include/tickcast/abi.hpp says ABI ${CMAKE_MATCH_1}, CMakeLists.txt says ${TICKCAST_ABI_VERSION}")
  endif()
endforeach()

set(TICKCAST_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tickcast)

install(TARGETS tickcast_sdk tickcast_testing EXPORT tickcastTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT tickcastTargets NAMESPACE tickcast:: DESTINATION ${TICKCAST_CMAKE_INSTALL_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/tickcastConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tickcastConfig.cmake
  INSTALL_DESTINATION ${TICKCAST_CMAKE_INSTALL_DIR}
  PATH_VARS TICKCAST_PLUGIN_INSTALL_DIR CMAKE_INSTALL_BINDIR)
# 0.x: a minor release may break the SDK, so only 0.1.* satisfies 0.1.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tickcastConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/tickcastConfig.cmake
  ${PROJECT_BINARY_DIR}/tickcastConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/TickcastPlugin.cmake
  DESTINATION ${TICKCAST_CMAKE_INSTALL_DIR})
