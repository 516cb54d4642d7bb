# tickcast_add_plugin(NAME SOURCES src... [LIBS lib...])
# Builds one plugin library as a MODULE into build/plugins/ (installed into
# lib/tickcast/plugins). The loader reads only its two exported aliases.
#
# Visibility: Boost.Asio is header-only and keeps per-thread state (the call
# stacks that tell its reactor which scheduler a thread runs) in template
# statics. Built with -fvisibility=hidden, each plugin got a private copy, so
# socket completions compiled into a plugin and run on the host's threads
# found no scheduler and crashed. Plugins therefore keep default visibility
# and every host executable exports its symbols (tickcast_host_executable),
# so those vague-linkage symbols bind to the host's single copy. RTLD_LOCAL
# still keeps plugins from binding to one another.
function(tickcast_add_plugin name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE tickcast::sdk ${arg_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "tickcast_${name}"
    LIBRARY_OUTPUT_DIRECTORY ${TICKCAST_PLUGIN_OUTPUT_DIR})
  install(TARGETS ${name} LIBRARY DESTINATION ${TICKCAST_PLUGIN_INSTALL_DIR})
endfunction()

# tickcast_host_executable(TARGET): an executable that loads plugins (the
# daemon, and tests that run pipelines in-process) exports its symbols, so
# that plugins share its Boost.Asio and other header-only library state.
function(tickcast_host_executable target)
  set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
endfunction()
