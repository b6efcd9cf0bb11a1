# What keeps a clean build short on two cores. The generated code is the same
# as without any of it: these only change how much the compiler repeats.
#
# - Precompiled headers (GRACE_PCH, on by default with GCC). CAF,
#   nlohmann/json, spdlog and GoogleTest are parsed again in every source that
#   uses them; pch/ holds one header per kind of target:
#     caf.hpp    targets that use CAF (actor libraries, HTTP front, node,
#                messages) and, compiled a second time with the test flags,
#                the actor protocol tests (kind caf_test);
#     gtest.hpp  the GoogleTest unit tests;
#     core.hpp   the other targets that use nlohmann/json (pure cores, bench).
#   Targets that use none of these get no precompiled header: measured, loading
#   one costs more than it saves in a source that does not use its headers.
#   Each header is compiled once, by a small donor target, and reused by every
#   target of its kind (REUSE_FROM). The kind is worked out from what a target
#   links, once every target is declared: grace_apply_build_speedups(), called
#   at the end of the top-level CMakeLists.txt.
#   GCC uses a precompiled header only if each macro defined when it was built
#   is defined the same way in the source. The donor of a kind carries the
#   definitions of the libraries it precompiles, and every target of the kind
#   gets them too (a CAF target that does not log gets spdlog's definitions,
#   which change nothing for it). Definitions the headers never look at
#   (cpp-httplib's, GRACE_*) may differ. CMake passes -Winvalid-pch: a header
#   GCC refuses shows up as a warning in the build log.
#   The headers also declare extern what fmt and nlohmann/json would otherwise
#   compile into every source (pch/caf.hpp, pch/json_extern.hpp): one copy
#   comes from libfmt, one from pch/json_instances.cpp (grace_pch_json).
# - Test sources built with GRACE_TEST_OPT (-Og) instead of -O2 in optimised
#   builds; the code under test lives in the libraries, which keep -O2.
# - GRACE_GCC_BIG_HEAP: GCC starts collecting its garbage at a 128 MB heap;
#   our CAF sources grow to over 1 GB, and the collections cost a tenth of
#   their compile time. --param=ggc-min-heapsize=1048576 (1 GB) saves it for a
#   few hundred MB more per compiler, so it is on only where there are 2 GB of
#   memory per core. The object code is the same.
# - GRACE_DEBUG_INFO (-g1) in RelWithDebInfo builds: line tables and function
#   names, what symbolized backtraces, perf and addr2line need, without the
#   variable and type records of -g. Those records cost a quarter of the compile
#   time of a CAF source (executor_actor.cpp: 33 s with -g, 24.6 s with -g1,
#   24.3 s with none). -DGRACE_DEBUG_INFO=-g for debugging with locals. GCC
#   takes the last -g option, so this one, after the build type's -g, wins.
#
# GRACE_PCH=OFF builds every source on its own includes (include hygiene) and
# without the extern declarations.

if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(_grace_gcc ON)
else()
  set(_grace_gcc OFF)
endif()
option(GRACE_PCH "Precompile the third-party headers (pch/*.hpp)" ${_grace_gcc})
set(GRACE_TEST_OPT "-Og" CACHE STRING
    "Optimisation flag of the test sources in optimised builds (empty: the build type's)")

set(GRACE_DEBUG_INFO "-g1" CACHE STRING
    "Debug information of RelWithDebInfo builds (-g1: line tables; -g: full)")
if(GRACE_DEBUG_INFO)
  add_compile_options($<$<CONFIG:RelWithDebInfo>:${GRACE_DEBUG_INFO}>)
endif()

set(_grace_big_heap OFF)
if(_grace_gcc)
  cmake_host_system_information(RESULT _grace_mem_mib QUERY TOTAL_PHYSICAL_MEMORY)
  cmake_host_system_information(RESULT _grace_cores QUERY NUMBER_OF_LOGICAL_CORES)
  math(EXPR _grace_mem_wanted "2048 * ${_grace_cores}")
  if(_grace_mem_mib GREATER_EQUAL _grace_mem_wanted)
    set(_grace_big_heap ON)
  endif()
endif()
option(GRACE_GCC_BIG_HEAP "Let GCC grow its heap to 1 GB before collecting garbage"
       ${_grace_big_heap})
if(GRACE_GCC_BIG_HEAP)
  add_compile_options(--param=ggc-min-heapsize=1048576)
endif()

# Every target declared in `dir` and below.
function(_grace_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _grace_targets_below(${sub} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# The targets whose headers `target` compiles with: what it links and,
# transitively, their interface (a link-only dependency brings no header).
function(_grace_header_deps target out)
  get_target_property(queue ${target} LINK_LIBRARIES)
  set(seen "")
  while(queue)
    list(POP_FRONT queue item)
    if(item MATCHES "^::@" OR item MATCHES "^\\$<LINK_ONLY:" OR NOT TARGET "${item}"
       OR item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${item})
    get_target_property(next ${item} INTERFACE_LINK_LIBRARIES)
    if(next)
      list(APPEND queue ${next})
    endif()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# The libraries whose headers a kind precompiles, with their definitions; the
# test kinds also get the test optimisation. The same for the donor and for
# every target of the kind.
function(_grace_kind_flags target kind)
  if(kind MATCHES "^caf")
    set(libs CAF::core nlohmann_json::nlohmann_json spdlog::spdlog)
  elseif(kind STREQUAL "gtest")
    set(libs GTest::gtest GTest::gtest_main nlohmann_json::nlohmann_json)
  else()
    set(libs nlohmann_json::nlohmann_json)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "OBJECT_LIBRARY")
    # A donor: the usage requirements of what it precompiles.
    target_link_libraries(${target} PRIVATE ${libs})
  else()
    # A user: only the definitions (what it links stays as declared), and the
    # nlohmann/json classes the header declares extern.
    foreach(lib IN LISTS libs)
      target_compile_definitions(${target} PRIVATE
        $<TARGET_PROPERTY:${lib},INTERFACE_COMPILE_DEFINITIONS>)
    endforeach()
    target_link_libraries(${target} PRIVATE grace_pch_json)
  endif()
  _grace_test_flags(${target} ${kind})
endfunction()

function(_grace_test_flags target kind)
  if(kind MATCHES "test$" AND GRACE_TEST_OPT)
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:${GRACE_TEST_OPT}>)
  endif()
endfunction()

# A target that only compiles pch/<header> with the flags of `kind`, for the
# targets of that kind to reuse.
function(_grace_pch_donor kind header)
  set(source ${PROJECT_BINARY_DIR}/pch/donor.cpp)
  if(NOT EXISTS ${source})
    file(WRITE ${source} "// Only there to build precompiled headers (cmake/GraceBuildSpeed.cmake).\n")
  endif()
  add_library(grace_pch_${kind} OBJECT ${source})
  target_precompile_headers(grace_pch_${kind} PRIVATE ${PROJECT_SOURCE_DIR}/pch/${header})
  _grace_kind_flags(grace_pch_${kind} ${kind})
endfunction()

# Called once, at the end of the top-level CMakeLists.txt.
function(grace_apply_build_speedups)
  _grace_targets_below(${PROJECT_SOURCE_DIR} targets)
  set(users "")
  set(kinds "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    get_target_property(imported ${target} IMPORTED)
    if(imported OR NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    _grace_header_deps(${target} deps)
    if("GTest::gtest" IN_LIST deps OR "GTest::gtest_main" IN_LIST deps)
      set(kind gtest)
    elseif("CAF::test" IN_LIST deps)
      set(kind caf_test)
    elseif("CAF::core" IN_LIST deps)
      set(kind caf)
    elseif("nlohmann_json::nlohmann_json" IN_LIST deps)
      set(kind core)
    else()
      set(kind none)
    endif()
    list(APPEND users ${target})
    list(APPEND kinds ${kind})
  endforeach()

  if(NOT GRACE_PCH)
    foreach(target kind IN ZIP_LISTS users kinds)
      _grace_test_flags(${target} ${kind})
    endforeach()
    return()
  endif()

  add_library(grace_pch_json STATIC ${PROJECT_SOURCE_DIR}/pch/json_instances.cpp)
  target_link_libraries(grace_pch_json PRIVATE nlohmann_json::nlohmann_json)
  set(used ${kinds})
  list(REMOVE_DUPLICATES used)
  foreach(kind IN LISTS used)
    string(REGEX REPLACE "_test$" "" header ${kind})
    if(NOT kind STREQUAL "none")
      _grace_pch_donor(${kind} ${header}.hpp)
    endif()
  endforeach()
  foreach(target kind IN ZIP_LISTS users kinds)
    if(NOT kind STREQUAL "none")
      target_precompile_headers(${target} REUSE_FROM grace_pch_${kind})
      _grace_kind_flags(${target} ${kind})
    endif()
  endforeach()
endfunction()
