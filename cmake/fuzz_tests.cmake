# Fuzz harnesses under ctest (docs/RELIABILITY.md, "Fuzzing"), when clang++ can build libFuzzer
# programs with ASan and UBSan: fuzz_build builds them with clang++ in ${CMAKE_BINARY_DIR}-fuzz
# (build-fuzz beside build: the directory `make fuzz` uses, so the two share one build; this g++
# build is unchanged), then per harness fuzz_smoke.<name> runs 1,000 mutated inputs from the seed
# corpus and fuzz_regression.<name> replays fuzz/regressions/<name>/.
find_program(ASCENT_FUZZ_CLANGXX NAMES clang++ clang++-14)
set(fuzz_ok FALSE)
if(ASCENT_FUZZ_CLANGXX)
  set(probe ${CMAKE_BINARY_DIR}/fuzz_probe)
  file(WRITE ${probe}.cpp
    "extern \"C\" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n")
  execute_process(COMMAND ${ASCENT_FUZZ_CLANGXX} -fsanitize=fuzzer,address,undefined
    ${probe}.cpp -o ${probe} RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(probe_rc EQUAL 0)
    set(fuzz_ok TRUE)
  endif()
endif()
if(NOT fuzz_ok)
  message(STATUS "fuzz tests: off (no clang++ with libFuzzer; bash scripts/install-deps.sh)")
  return()
endif()

set(fuzz_script ${CMAKE_SOURCE_DIR}/fuzz/run_fuzz.sh)
set(fuzz_dir ${CMAKE_BINARY_DIR}-fuzz)
add_test(NAME fuzz_build COMMAND bash ${fuzz_script} build ${fuzz_dir})
set_tests_properties(fuzz_build PROPERTIES FIXTURES_SETUP fuzz_build TIMEOUT 1800)
include(${CMAKE_SOURCE_DIR}/fuzz/harnesses.cmake)
foreach(entry ${fuzz_harnesses})
  string(REPLACE ":" ";" parts "${entry}")
  list(GET parts 0 name)
  add_test(NAME fuzz_smoke.${name} COMMAND bash ${fuzz_script} smoke ${fuzz_dir} ${name})
  add_test(NAME fuzz_regression.${name} COMMAND bash ${fuzz_script} replay ${fuzz_dir} ${name})
  set_tests_properties(fuzz_smoke.${name} fuzz_regression.${name} PROPERTIES
    FIXTURES_REQUIRED fuzz_build TIMEOUT 300 LABELS fuzz)
endforeach()
