# tickcast_add_plugin(NAME SOURCES src... [LIBS lib...])
# Builds one plugin library as a MODULE into build/plugins/ (installed into
# lib/tickcast/plugins), with hidden visibility so that only the exported
# handshake and registration aliases are visible to the loader.
function(tickcast_add_plugin name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE tickcast::sdk ${arg_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "tickcast_${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${TICKCAST_PLUGIN_OUTPUT_DIR})
  install(TARGETS ${name} LIBRARY DESTINATION ${TICKCAST_PLUGIN_INSTALL_DIR})
endfunction()
