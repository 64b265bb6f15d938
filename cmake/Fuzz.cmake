# libFuzzer targets. With -DIOTMAP_FUZZ=ON and clang,
#   iotmap_fuzz_target(<name> <source> <library>...)
# builds the executable <name> from <source> (which defines LLVMFuzzerTestOneInput), linked with
# the libraries and with -fsanitize=fuzzer,address,undefined; without IOTMAP_FUZZ it does nothing.
# The libraries are only instrumented (coverage feedback, ASan and UBSan inside them) when the
# whole build is configured with the same sanitizers, as tests/cli/fuzz_certs.sh does:
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
#     -DIOTMAP_FUZZ=ON -DCMAKE_C_FLAGS="${IOTMAP_FUZZ_INSTRUMENT}" -DCMAKE_CXX_FLAGS="..."
#   cmake --build build-fuzz --target <name>      # builds only <name> and what it links
# No include guard: variables are per directory, so every folder that includes this file gets
# its own copies (a global guard would leave a second folder without IOTMAP_FUZZ_FLAGS).

# What libraries are compiled with in a fuzz build (for CMAKE_C_FLAGS / CMAKE_CXX_FLAGS).
set(IOTMAP_FUZZ_INSTRUMENT "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer")
set(IOTMAP_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

function(iotmap_fuzz_target name source)
  if(NOT IOTMAP_FUZZ)
    return()
  endif()
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "IOTMAP_FUZZ=ON needs clang (configure with -DCMAKE_CXX_COMPILER=clang++)")
  endif()
  if(NOT CMAKE_CXX_FLAGS MATCHES "fuzzer-no-link")
    message(WARNING "${name}: the libraries are not instrumented; configure with "
                    "-DCMAKE_CXX_FLAGS=\"${IOTMAP_FUZZ_INSTRUMENT}\" (see cmake/Fuzz.cmake)")
  endif()
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_compile_options(${name} PRIVATE ${IOTMAP_FUZZ_FLAGS})
  target_link_options(${name} PRIVATE ${IOTMAP_FUZZ_FLAGS})
endfunction()
