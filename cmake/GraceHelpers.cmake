# Small helpers so that each component folder declares its libraries and tests
# in a few lines, the same way everywhere.
include(GoogleTest)

# grace_library(NAME SOURCES ... LIBS ...): a static library whose headers are
# included as "actors/<name>/x.hpp" etc. (the repository root is the include root).
function(grace_library name)
  cmake_parse_arguments(L "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${L_LIBS})
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
