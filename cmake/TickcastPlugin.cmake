# The plugin helpers, used in the tickcast tree and installed with the SDK
# package (tickcastConfig.cmake includes this file), so an out-of-tree plugin
# builds exactly like a bundled one.
#
# Visibility: Boost.Asio is header-only and keeps per-thread state (the call
# stacks that tell its reactor which scheduler a thread runs) in template
# statics. Built with -fvisibility=hidden, each plugin got a private copy, so
# socket completions compiled into a plugin and run on the host's threads
# found no scheduler and crashed. Plugins therefore keep default visibility
# and every host executable exports its symbols (tickcast_host_executable),
# so those vague-linkage symbols bind to the host's single copy. RTLD_LOCAL
# still keeps plugins from binding to one another.

# tickcast_add_plugin(NAME SOURCES src... [LIBS lib...])
# Builds one plugin library, libtickcast_NAME.so, as a MODULE into
# TICKCAST_PLUGIN_OUTPUT_DIR (default: <build>/plugins) and installs it into
# TICKCAST_PLUGIN_INSTALL_DIR (default: lib/tickcast/plugins, where an
# installed tickcastd looks). The loader reads only its two exported aliases.
function(tickcast_add_plugin name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
  set(output_dir ${TICKCAST_PLUGIN_OUTPUT_DIR})
  if(NOT output_dir)
    set(output_dir ${PROJECT_BINARY_DIR}/plugins)
  endif()
  set(install_dir ${TICKCAST_PLUGIN_INSTALL_DIR})
  if(NOT install_dir)
    set(install_dir lib/tickcast/plugins)
  endif()
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE tickcast::sdk ${arg_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "tickcast_${name}"
    LIBRARY_OUTPUT_DIRECTORY ${output_dir})
  install(TARGETS ${name} LIBRARY DESTINATION ${install_dir})
endfunction()

# tickcast_host_executable(TARGET): an executable that loads plugins (the
# daemon, and tests that run pipelines or host a plugin in-process) exports
# its symbols, so that plugins share its Boost.Asio and other header-only
# library state.
function(tickcast_host_executable target)
  set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
endfunction()

# tickcast_add_plugin_test(NAME SOURCES src... [PLUGIN plugin] [LIBS lib...])
# A GoogleTest executable hosting plugins through tickcast::testing, with
# its tests registered in CTest. With PLUGIN, the test is built after that
# plugin and gets its file as the string macro TICKCAST_PLUGIN_FILE.
function(tickcast_add_plugin_test name)
  cmake_parse_arguments(arg "" "PLUGIN" "SOURCES;LIBS" ${ARGN})
  if(NOT TARGET GTest::gtest_main)
    find_package(GTest REQUIRED)
  endif()
  include(GoogleTest)
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE tickcast::testing GTest::gtest_main ${arg_LIBS})
  tickcast_host_executable(${name})
  if(arg_PLUGIN)
    target_compile_definitions(${name} PRIVATE TICKCAST_PLUGIN_FILE="$<TARGET_FILE:${arg_PLUGIN}>")
    add_dependencies(${name} ${arg_PLUGIN})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30)
endfunction()
