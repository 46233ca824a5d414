# One ctest entry per doctest case, with labels: the executable's own (e.g. "unit;core") plus the
# case's doctest test suite ("slow" for TEST_SUITE("slow") or doctest::test_suite("slow")).
#
# doctest's own doctest_discover_tests asks the executable once per case for its suite (110 runs
# of a LibTorch binary per build) and splits a case name at a ';' into two cases that run nothing
# and pass. This asks once, with the XML reporter, and refuses such a name. Like doctest's, it runs
# after each link, so that a new case needs no CMake run.
#
#   latentlab_doctest_cases(TARGET LABELS l1 l2 ... [TIMEOUT seconds] [ENVIRONMENT VAR=value ...]
#                           [FIXTURES fixture ...])
function(latentlab_doctest_cases target)
  cmake_parse_arguments(A "" "TIMEOUT" "LABELS;ENVIRONMENT;FIXTURES" ${ARGN})
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_cases.cmake")
  set(args_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_cases_args.cmake")
  # The settings travel in a file: lists and quotes survive it whole.
  file(GENERATE OUTPUT "${args_file}" CONTENT
       "set(CASE_LABELS [==[${A_LABELS}]==])\nset(CASE_TIMEOUT [==[${A_TIMEOUT}]==])\nset(CASE_ENV [==[${A_ENVIRONMENT}]==])\nset(CASE_FIXTURES [==[${A_FIXTURES}]==])\n")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" -D "EXE=$<TARGET_FILE:${target}>" -D "OUT=${ctest_file}"
            -D "ARGS_FILE=${args_file}" -D "TARGET=${target}"
            -P "${PROJECT_SOURCE_DIR}/cmake/DoctestCasesWrite.cmake"
    BYPRODUCTS "${ctest_file}" VERBATIM)
  # A change of the settings or of the writer relinks, which writes the list again.
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${args_file}" "${PROJECT_SOURCE_DIR}/cmake/DoctestCasesWrite.cmake")
  # ctest reads the list only once the executable is linked: until then one entry says so (as
  # doctest's and GoogleTest's discovery do), rather than an include() error that loses every test.
  set(guard "${CMAKE_CURRENT_BINARY_DIR}/${target}_cases_guard.cmake")
  file(WRITE "${guard}" "if(EXISTS [==[${ctest_file}]==])\n  include([==[${ctest_file}]==])\nelse()\n"
                        "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${guard}")
endfunction()
