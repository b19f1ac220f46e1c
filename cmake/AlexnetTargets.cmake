# Helpers that give every target of the course the same warnings, labels and
# output folders.
#
#   build/bin/          demo programs and the alexnet command
#   build/tests/        CPU test executables
#   build/gpu_tests/    GPU test executables (exit 77 when there is no GPU)
#   build/benchmarks/   benchmark programs (never run by ctest)

if(ALEXNET_SANITIZE)
  # The asan preset builds this optimised (RelWithDebInfo, -O2): some faults only
  # show once the optimiser reorders loads, and the naive loops of the reference
  # are too slow at -O0 for the real-shape tests.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>)
  add_link_options(-fsanitize=address,undefined)
endif()

if(ALEXNET_THREAD_SANITIZER)
  # For the emulated device's threads mode: a missing __syncthreads() is a data race.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=thread> $<$<COMPILE_LANGUAGE:CXX>:-g>)
  add_link_options(-fsanitize=thread)
endif()

# Warnings for one target (CXX and CUDA host code).
function(alexnet_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
  if(ALEXNET_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Werror>
      $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Werror>)
  endif()
endfunction()

# The chapter a CMakeLists.txt belongs to: its folder's name, e.g. 01_conv1.
function(alexnet_chapter_label out_var)
  get_filename_component(folder "${CMAKE_CURRENT_SOURCE_DIR}" NAME)
  set(${out_var} "${folder}" PARENT_SCOPE)
endfunction()

# alexnet_add_program(NAME name SOURCES ... [LIBS ...])
# A demo or command; it links the network (the plan of steps over the CPU reference;
# chapters and programs sit on top of it) and, when CUDA is on, the CUDA library and the
# two-tower executor, and then sees ALEXNET_WITH_CUDA=1 (so it can run its GPU part, or
# say that it was not built).
function(alexnet_add_program)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE alexnet_network ${ARG_LIBS})
  if(ALEXNET_HAVE_CUDA)
    target_link_libraries(${ARG_NAME} PRIVATE alexnet_cuda_network)
  endif()
  alexnet_warnings(${ARG_NAME})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")
endfunction()

# alexnet_add_cpu_test(NAME name SOURCES ... [LABELS ...] [LIBS ...])
# A Catch2 executable registered as one CTest test labelled "cpu" + LABELS; it links
# the network (and with it the CPU reference).
function(alexnet_add_cpu_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LABELS;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE alexnet_catch_main alexnet_network ${ARG_LIBS})
  alexnet_warnings(${ARG_NAME})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "cpu;${ARG_LABELS}")
endfunction()

# alexnet_add_gpu_test(NAME name SOURCES ... [LABELS ...] [LIBS ...])
# A Catch2 executable whose main returns 77 when no GPU is usable; CTest then
# reports it as Skipped. Built only when CUDA is on; it links the CUDA ops and the
# two-tower executor (and with them the network and the CPU reference).
function(alexnet_add_gpu_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT ALEXNET_HAVE_CUDA)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE alexnet_gpu_test_main alexnet_cuda_network ${ARG_LIBS})
  alexnet_warnings(${ARG_NAME})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/gpu_tests")
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "gpu;${ARG_LABELS}" SKIP_RETURN_CODE 77)
  set_property(GLOBAL APPEND PROPERTY ALEXNET_GPU_CHECK_PROGRAMS "gpu_tests/${ARG_NAME}")
endfunction()

# alexnet_add_failure_test(NAME name MESSAGE text COMMAND program args... [LABELS ...])
# Passes when the command fails cleanly (exit 1..127) with MESSAGE on stderr.
function(alexnet_add_failure_test)
  cmake_parse_arguments(ARG "" "NAME;MESSAGE" "COMMAND;LABELS" ${ARGN})
  list(POP_FRONT ARG_COMMAND program)
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()
  add_test(NAME ${ARG_NAME}
           COMMAND sh "${PROJECT_SOURCE_DIR}/tests/expect_failure.sh" "${ARG_MESSAGE}" "${program}" ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "cpu;${ARG_LABELS}")
endfunction()

# alexnet_add_output_test(NAME name REGEX regex COMMAND program args... [LABELS ...])
# Passes when the command's output matches REGEX (e.g. a program prints the paper's numbers).
function(alexnet_add_output_test)
  cmake_parse_arguments(ARG "" "NAME;REGEX" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "cpu;${ARG_LABELS}" PASS_REGULAR_EXPRESSION "${ARG_REGEX}")
endfunction()

# alexnet_add_chapter_tests([LIBS ...]): in a chapter folder, all test_*.cpp
# become one CPU test executable test_<chapter> and all gpu_test_*.cpp one GPU
# test executable gpu_test_<chapter>, both labelled with the folder's name.
function(alexnet_add_chapter_tests)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  alexnet_chapter_label(chapter)
  file(GLOB cpu_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/test_*.cpp")
  file(GLOB gpu_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/gpu_test_*.cpp")
  if(cpu_sources)
    alexnet_add_cpu_test(NAME test_${chapter} SOURCES ${cpu_sources} LABELS ${chapter} LIBS ${ARG_LIBS})
  endif()
  if(gpu_sources)
    alexnet_add_gpu_test(NAME gpu_test_${chapter} SOURCES ${gpu_sources} LABELS ${chapter} LIBS ${ARG_LIBS})
  endif()
endfunction()

# alexnet_add_benchmark(NAME name SOURCES ... [LIBS ...]): a program, never a
# test; like alexnet_add_program it links the CUDA library when CUDA is on.
# gpu_check.sh runs every benchmark listed in build/gpu_check_programs.txt.
# The emulated build has none: its times would measure the emulator.
function(alexnet_add_benchmark)
  if(ALEXNET_EMULATED_GPU)
    return()
  endif()
  alexnet_add_program(${ARGN})
  cmake_parse_arguments(ARG "" "NAME" "" ${ARGN})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/benchmarks")
  set_property(GLOBAL APPEND PROPERTY ALEXNET_GPU_CHECK_PROGRAMS "benchmarks/${ARG_NAME}")
endfunction()

# alexnet_add_lesson_runs()
# In a chapter folder: the test lesson_runs_<chapter>, which runs every command the
# chapter's README.md shows and checks every output it records (scripts/lessons.py run),
# failing if one fails, if a recorded block lost the form of what its program prints
# now, or if anything is written outside out/. In a build with an emulated GPU, the
# lesson's commands that need a GPU (--device cuda) are the test lesson_runs_gpu_<chapter>.
# Skipped outside a git checkout.
function(alexnet_add_lesson_runs)
  alexnet_chapter_label(chapter)
  set(lesson "${CMAKE_CURRENT_SOURCE_DIR}/README.md")
  if(NOT ALEXNET_NUMPY_PYTHON)  # the lessons run python3 with NumPy
    return()
  endif()
  set(run_lesson "${ALEXNET_NUMPY_PYTHON}" "${PROJECT_SOURCE_DIR}/scripts/lessons.py" run "${lesson}"
      --build "${CMAKE_BINARY_DIR}")
  add_test(NAME lesson_runs_${chapter} COMMAND ${run_lesson})
  set_tests_properties(lesson_runs_${chapter} PROPERTIES LABELS "cpu;${chapter}" SKIP_RETURN_CODE 77)
  file(READ "${lesson}" text)
  string(FIND "${text}" "--device cuda" gpu_command)
  if(ALEXNET_EMULATED_GPU AND NOT gpu_command EQUAL -1)
    add_test(NAME lesson_runs_gpu_${chapter} COMMAND ${run_lesson} --gpu)
    set_tests_properties(lesson_runs_gpu_${chapter} PROPERTIES LABELS "gpu;${chapter}" SKIP_RETURN_CODE 77)
  endif()
endfunction()
