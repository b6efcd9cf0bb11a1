# The fuzz build (-DGRACE_FUZZ=ON, clang only): every source compiled with
# AddressSanitizer, UndefinedBehaviorSanitizer (any report aborts) and
# libFuzzer's coverage instrumentation, so the code under test is what the
# fuzzers measure and check. tests/fuzz/ adds the fuzz_<target> binaries.
#
#   cmake -S . -B build-fuzz -G Ninja -DGRACE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14
#   cmake --build build-fuzz --target fuzz
#
# Debian 12: clang-14 and libclang-rt-14-dev (scripts/install-deps.sh --with-fuzz).
# The default build (g++) needs none of it.
option(GRACE_FUZZ "Build the libFuzzer targets with ASan and UBSan (clang)" OFF)
if(GRACE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GRACE_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  set(GRACE_PCH OFF CACHE BOOL "" FORCE)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
