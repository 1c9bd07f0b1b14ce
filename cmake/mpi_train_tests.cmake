# `ascent train` under mpirun: every parallel layout reproduces the single-process losses, and
# checkpoints written under one layout resume under another (tests/e2e/parallel/). Included from
# the top-level CMakeLists.txt after mpi_tests.cmake (ASCENT_MPI_TEST_ENV).
set(parallel_train_script ${CMAKE_SOURCE_DIR}/tests/e2e/parallel/parallel_train_test.sh)
set(parallel_train_dir ${CMAKE_BINARY_DIR}/parallel_train)

# One test per (model, case); cases share the preprocessed data and each model's reference run.
function(ascent_parallel_train_test model case)
  set(name train_parallel_${model}_${case})
  add_test(NAME ${name}
    COMMAND bash ${parallel_train_script} ${MPIEXEC_EXECUTABLE} $<TARGET_FILE:ascent>
      ${parallel_train_dir} ${model} ${case}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 900 ENVIRONMENT "${ASCENT_MPI_TEST_ENV}")
  if(case STREQUAL "data")
    set_tests_properties(${name} PROPERTIES FIXTURES_SETUP parallel_train_data)
  elseif(case STREQUAL "reference")
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED parallel_train_data
      FIXTURES_SETUP parallel_train_ref_${model})
  else()
    set_tests_properties(${name} PROPERTIES
      FIXTURES_REQUIRED "parallel_train_data;parallel_train_ref_${model}")
  endif()
endfunction()

ascent_parallel_train_test(shared data)
foreach(model gqa bloom)
  ascent_parallel_train_test(${model} reference)
  foreach(layout tp2 tp2sp pp2 pp4vpp pp2mbs pp3uneven dp2 dp2zero1 dp2zero2 dp2zero3 tp2pp2
          tp2dp2sp tp2dp2zero3 pp2dp2zero2 pp2dp2aiao tp2pp2dp2 tp2bf16 tp2pp2sprc dp2zero3rc
          tp2pp2fp16)
    ascent_parallel_train_test(${model} ${layout})
  endforeach()
  ascent_parallel_train_test(${model} resume-tp2pp2-dp4zero1)
endforeach()
ascent_parallel_train_test(gqa resume-dp4zero1-tp2pp2)
# Evaluation through the pipeline runner's forward-only mode: the single-process validation losses.
ascent_parallel_train_test(gqa eval-pp4vpp)
ascent_parallel_train_test(bloom eval-tp2pp2)
ascent_parallel_train_test(gqa resume-single-tp2)
ascent_parallel_train_test(bloom resume-dp2zero3-tp2pp2)
# A killed or stopped rank ends the whole job; ranks with different flags refuse to start; a rank
# killed while saving leaves the previous checkpoint to resume from (save protocol).
foreach(case kill stop flags savekill)
  ascent_parallel_train_test(gqa ${case})
endforeach()
# A stop signal (to one rank, or SIGUSR1 to mpirun): every rank saves the same iteration, exits 0.
foreach(case sigterm sigusr1)
  ascent_parallel_train_test(gqa ${case})
endforeach()
