# iotmap_embed(<target> <file> <symbol>): compiles the text of <file> into <target> as
#   namespace iotmap::embedded { extern const std::string_view <symbol>; }
# so that the default catalogue and configuration ship inside the binary. The file is read at
# configure time and CMake re-configures when it changes.
function(iotmap_embed target file symbol)
  get_filename_component(abs "${file}" ABSOLUTE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${abs}")
  file(READ "${abs}" content)
  string(FIND "${content}" ")IOTMAPEMBED\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter used to embed it")
  endif()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cpp")
  file(WRITE "${out}.tmp"
    "// Generated from ${file} by cmake/Embed.cmake; edit the source file, not this one.\n"
    "#include <string_view>\n"
    "namespace iotmap::embedded {\n"
    "extern const std::string_view ${symbol};\n"
    "const std::string_view ${symbol} = R\"IOTMAPEMBED(${content})IOTMAPEMBED\";\n"
    "}\n")
  file(COPY_FILE "${out}.tmp" "${out}" ONLY_IF_DIFFERENT)
  target_sources(${target} PRIVATE "${out}")
endfunction()
