# Multi-process tests: built like the other suites, run under `mpirun --timeout` at several rank
# counts. Included from the tests section of the top-level CMakeLists.txt.
#
# Every rank gets one OpenMP thread; root may run mpirun (containers) and ranks may outnumber
# cores. --bind-to none: with tests running side by side, pinned ranks would pile onto core 0.
# mpi_yield_when_idle: a rank waiting in a collective yields its core instead of spinning, which
# matters when ranks outnumber cores (each blocking call would otherwise cost a time slice).
set(ASCENT_MPI_TEST_ENV
  "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=PASSIVE;OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;OMPI_MCA_mpi_yield_when_idle=1")

# parallel/: topology, collectives, DP reducer, ZeRO, watchdog, flag agreement, memory report.
file(GLOB_RECURSE parallel_test_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/parallel/*_test.cpp)
list(APPEND parallel_test_srcs ${CMAKE_SOURCE_DIR}/tests/parallel/main.cpp)
add_executable(parallel_tests ${parallel_test_srcs})
target_include_directories(parallel_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests)
# ascent_optim: the ZeRO tests compare against the single-process AdamW.
target_link_libraries(parallel_tests PRIVATE ascent_parallel ascent_optim GTest::gtest)
foreach(np 1 2 3 4 8)
  add_test(NAME parallel_np${np}
    COMMAND ${MPIEXEC_EXECUTABLE} --timeout 240 --bind-to none ${MPIEXEC_NUMPROC_FLAG} ${np}
      $<TARGET_FILE:parallel_tests>
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(parallel_np${np} PROPERTIES TIMEOUT 300 ENVIRONMENT "${ASCENT_MPI_TEST_ENV}")
endforeach()

# Failure handling: a stopped rank (watchdog), a killed rank, a failed check, differing flags.
add_executable(parallel_failure_helper ${CMAKE_SOURCE_DIR}/tests/parallel/failure_helper.cpp)
target_link_libraries(parallel_failure_helper PRIVATE ascent_parallel)
set(failure_script ${CMAKE_SOURCE_DIR}/tests/parallel/failure_test.sh)
# Runs the helper in `mode` on `np` ranks; the job must end (non-zero unless mode is ok) within
# `seconds` with output matching `expect`. Extra arguments go to the helper.
function(ascent_failure_test name np mode seconds expect)
  add_test(NAME parallel_failure_${name}
    COMMAND bash ${failure_script} ${MPIEXEC_EXECUTABLE} $<TARGET_FILE:parallel_failure_helper>
      ${np} ${mode} ${seconds} ${expect} ${ARGN}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(parallel_failure_${name} PROPERTIES
    TIMEOUT 120 ENVIRONMENT "${ASCENT_MPI_TEST_ENV}")
endfunction()
ascent_failure_test(ok 4 ok 15 "ok: 4 ranks")
# --distributed-timeout-minutes 0.05: the others' watchdog fires after 3 s.
ascent_failure_test(watchdog_stopped_rank 4 stop 15
  "rank [023]: all_reduce .* on group dp [(]iteration 3[)] blocked for [0-9.]+ s. aborting" 0.05)
ascent_failure_test(killed_rank 4 kill 15 "rank 1 .* exited on signal 9")
ascent_failure_test(failed_check 3 check 15 "check failed.*rank 1 gives up")
ascent_failure_test(flag_mismatch 2 flags 15 "rank 1: --lr 0[.]5 [(]rank 0: 0[.]1[)]")
