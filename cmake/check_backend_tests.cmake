# The kernel, model and trainer suites once more on the checking backend (ASCENT_BACKEND=check,
# src/kernels/check/): every kernel call the tests make is validated against its contract in
# kernels.h, so a caller that passes a wrong shape, aliases an output or reads an output it did
# not get fails here. Entries are the suites' own test names prefixed with "check." and carry the
# label check_backend (`ctest -L check_backend` runs just these). Included after the suites.
foreach(suite kernels model train)
  gtest_discover_tests(${suite}_tests DISCOVERY_MODE PRE_TEST
    TEST_PREFIX "check."
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    PROPERTIES TIMEOUT 600 LABELS check_backend
      ENVIRONMENT "OMP_NUM_THREADS=2;OMP_WAIT_POLICY=PASSIVE;ASCENT_BACKEND=check")
endforeach()
