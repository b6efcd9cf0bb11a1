#pragma once
// What every fuzz target asserts beyond "does not crash": a broken invariant
// aborts, which libFuzzer reports as a crash and the corpus replay as a
// failed test.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                      \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", __FILE__, __LINE__, #condition);  \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
