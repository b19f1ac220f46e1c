# Finds every library the course uses and says clearly what is missing and
# which Debian package brings it (scripts/setup installs them all).

set(ALEXNET_MISSING "")
macro(alexnet_missing what package)
  list(APPEND ALEXNET_MISSING "  - ${what} (Debian package ${package})")
endmacro()

# Catch2 v2, header only: #include <catch2/catch.hpp>
find_package(Catch2 2 QUIET)
if(NOT Catch2_FOUND)
  alexnet_missing("Catch2 v2 test framework" catch2)
endif()

# CLI11 (header only): the command lines of the alexnet command, demos and benchmarks.
find_package(CLI11 QUIET)
if(NOT CLI11_FOUND)
  alexnet_missing("CLI11 command-line parser" libcli11-dev)
endif()

# zlib: the gzip'd IDX files of Fashion-MNIST.
find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  alexnet_missing("zlib" zlib1g-dev)
endif()

find_package(Threads REQUIRED)

# OpenBLAS through its CBLAS interface: the SGEMM of the fast CPU backend (chapter 13).
# Its OpenMP build, so that OpenBLAS and our OpenMP loops share one pool of threads
# (the pthread build's threads and OpenMP's spinning ones fight over the cores).
find_package(OpenBLAS CONFIG QUIET NO_DEFAULT_PATH
             PATHS "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp/cmake/openblas")
if(NOT OpenBLAS_LIBRARIES)
  alexnet_missing("OpenBLAS built with OpenMP (CBLAS interface, cblas.h)" libopenblas-openmp-dev)
else()
  message(STATUS "OpenBLAS: ${OpenBLAS_LIBRARIES}")
endif()

# OpenMP: the fast CPU backend's threads (GCC's libgomp).
find_package(OpenMP COMPONENTS CXX QUIET)
if(NOT OpenMP_CXX_FOUND)
  alexnet_missing("OpenMP for C++" "libgomp1 (with g++)")
endif()

# MPI (Open MPI): data-parallel training between processes and machines (chapter 17), with mpirun to start them.
find_package(MPI COMPONENTS CXX QUIET)
find_program(ALEXNET_MPIRUN NAMES mpirun)
if(NOT MPI_CXX_FOUND OR NOT ALEXNET_MPIRUN)
  alexnet_missing("Open MPI (mpi.h and mpirun)" "libopenmpi-dev openmpi-bin")
else()
  message(STATUS "MPI: ${MPI_CXX_LIBRARIES}; ${ALEXNET_MPIRUN}")
endif()

# The fast C++ CSV parser (header only, needs threads).
find_path(FCCP_INCLUDE_DIR NAMES libfccp/csv.h)
if(FCCP_INCLUDE_DIR)
  add_library(alexnet::fccp INTERFACE IMPORTED)
  target_include_directories(alexnet::fccp INTERFACE "${FCCP_INCLUDE_DIR}")
  target_link_libraries(alexnet::fccp INTERFACE Threads::Threads)
else()
  alexnet_missing("fast C++ CSV parser <libfccp/csv.h>" libfccp-dev)
endif()

# stb_image_write (header only): writing PNGs and the benchmark's JPEG.
find_path(STB_INCLUDE_DIR NAMES stb/stb_image.h)
if(STB_INCLUDE_DIR)
  add_library(alexnet::stb INTERFACE IMPORTED)
  target_include_directories(alexnet::stb INTERFACE "${STB_INCLUDE_DIR}")
else()
  alexnet_missing("stb_image <stb/stb_image.h>" libstb-dev)
endif()

# libjpeg-turbo and libpng: decoding images from outside (datasets/image_decoder.cpp). stb_image is
# not used for reading: it says of itself that it is not meant for untrusted files.
find_package(JPEG QUIET)
if(NOT JPEG_FOUND)
  alexnet_missing("libjpeg-turbo (jpeglib.h)" libjpeg62-turbo-dev)
endif()
find_package(PNG QUIET)
if(NOT PNG_FOUND)
  alexnet_missing("libpng (png.h)" libpng-dev)
endif()

if(ALEXNET_MISSING)
  list(JOIN ALEXNET_MISSING "\n" missing_text)
  message(FATAL_ERROR "These libraries are missing:\n${missing_text}\n"
                      "Run scripts/setup (as root or with sudo) to install them.")
endif()

# A Python with NumPy, for the test that NumPy reads the .npy files we write.
# Debian's python3-numpy lives in /usr/bin/python3, so look there first.
set(ALEXNET_NUMPY_PYTHON "" CACHE FILEPATH "Python interpreter that can import numpy")
if(NOT ALEXNET_NUMPY_PYTHON)
  find_program(system_python3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  find_program(path_python3 NAMES python3)
  foreach(candidate IN ITEMS "${system_python3}" "${path_python3}")
    if(candidate)
      execute_process(COMMAND "${candidate}" -c "import numpy"
                      RESULT_VARIABLE numpy_missing OUTPUT_QUIET ERROR_QUIET)
      if(numpy_missing EQUAL 0)
        set(ALEXNET_NUMPY_PYTHON "${candidate}" CACHE FILEPATH "Python interpreter that can import numpy" FORCE)
        break()
      endif()
    endif()
  endforeach()
endif()
if(ALEXNET_NUMPY_PYTHON)
  message(STATUS "NumPy interop tests: ${ALEXNET_NUMPY_PYTHON}")
else()
  message(WARNING "No python3 with NumPy found (Debian package python3-numpy): "
                  "the test that NumPy reads our .npy files is not registered. Run scripts/setup.")
endif()

# gnuplot draws the training curves (alexnet plot, chapter 12); the command finds it at run time.
find_program(ALEXNET_GNUPLOT NAMES gnuplot)
if(ALEXNET_GNUPLOT)
  message(STATUS "Training curves (alexnet plot): ${ALEXNET_GNUPLOT}")
else()
  message(WARNING "gnuplot not found (Debian package gnuplot-nox): alexnet plot will refuse to run and its "
                  "test is not registered. Run scripts/setup.")
endif()
