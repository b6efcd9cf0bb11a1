# Small helpers so that each component folder declares its libraries and tests
# in a few lines, the same way everywhere.
include(GoogleTest)

# Every header is included by its path from the repository root
# ("actors/<name>/x.hpp"), so that root is the one include directory that a
# library hands to whoever links it.
add_library(grace_source_root INTERFACE)
target_include_directories(grace_source_root INTERFACE ${PROJECT_SOURCE_DIR})

# grace_library(NAME SOURCES ... [LIBS ...] [PRIVATE_LIBS ...]): a static
# library. LIBS are what its headers include, so whoever links it compiles
# with them too; PRIVATE_LIBS are what only its sources use (linked, but their
# include paths and definitions stay inside this library).
function(grace_library name)
  cmake_parse_arguments(L "" "" "SOURCES;LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  target_link_libraries(${name} PUBLIC grace_source_root ${L_LIBS})
  if(L_PRIVATE_LIBS)
    target_link_libraries(${name} PRIVATE ${L_PRIVATE_LIBS})
  endif()
endfunction()

# grace_gtest(NAME SOURCES ... LIBS ...): a GoogleTest binary whose tests are
# listed to CTest one by one (discovered when the tests run, not at build time).
function(grace_gtest name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES ENVIRONMENT "GRACE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
