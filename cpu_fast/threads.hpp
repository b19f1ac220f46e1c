/// @file threads.hpp
/// @brief The fast CPU backend's one threading knob (OpenMP and OpenBLAS together), what the BLAS says
/// about itself, and the machine's two roofs measured (SGEMM's rate, streaming bandwidth).
#pragma once

#include <string>

namespace alexnet::fast {

/// @brief Sets the threads of our OpenMP loops and of OpenBLAS's GEMM to `threads` (≥ 1).
void set_threads(int threads);

/// @brief The threads set_threads last set (by default: the cores this process may use).
int threads();

/// @brief The cores this process may run on (its CPU affinity), at least 1.
int available_cores();

/// @brief The OpenBLAS kernel that runs ("Haswell", "Zen", ...), and OPENBLAS_CORETYPE when the
/// environment forces it: "Haswell (OPENBLAS_CORETYPE=Haswell set in the environment)".
std::string blas_description();

/// @brief GFLOP/s of one n×n×n SGEMM on the current threads (median of three after a warm-up):
/// the machine's practical limit for the GEMM-bound layers.
double sgemm_gflops(int n = 2048);

/// @brief GB/s of a streaming y = 2·x over two 128 MiB arrays on `threads` OpenMP threads (median of three
/// after a warm-up), counting the bytes read and the bytes written, as STREAM's "scale" does: the machine's
/// practical limit for the memory-bound steps (ordinary stores, as theirs; a plain copy may become memcpy and
/// its non-temporal stores), the roofline's slanted roof.
double stream_gbps(int threads);

}  // namespace alexnet::fast
