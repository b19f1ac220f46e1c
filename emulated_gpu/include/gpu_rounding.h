/// @file gpu_rounding.h
/// @brief The emulated device's math functions as a GPU's may round them: each result is the host library's,
/// moved by a deterministic pseudo-random number of ulps within the bound the CUDA Math API documents for that
/// function on the device. Force-included (g++ `-include`) into the CUDA sources of the `emulated` build when
/// ALEXNET_EMULATED_GPU_ROUNDING is on (the default), together with `-ffp-contract=fast -mfma`, which fuses
/// multiply-adds as nvcc does.
///
/// Why: a GPU's float results differ from the CPU loop's in the last bits — nvcc fuses `a*b + c` into one
/// rounding, and CUDA's powf, expf, logf are not glibc's — and a test that only passes where the results agree
/// bit for bit passes here and fails on a GPU. This device makes CI see the difference.
///
/// The bounds (CUDA C++ Programming Guide, "Mathematical Functions", single precision, maximum ulp error):
/// powf 4, expf 2, logf 1 (the functions the kernels call); sqrtf 0 and x/y 0 (IEEE-rounded under nvcc's
/// default -prec-sqrt=true, -prec-div=true): those stay exact. The shift of each call is a hash of the function,
/// its arguments and the seed ALEXNET_EMULATED_ROUNDING_SEED (default 2012), so a run reproduces, and another
/// seed moves other values.
#pragma once

#include <cmath>
#include <cstdint>

namespace alexnet::emulator {

/// @brief `value` moved by between −max_ulps and +max_ulps ulps, chosen by hashing (function, a, b, seed).
float gpu_rounded(float value, std::uint32_t function, float a, float b, int max_ulps);

/// @brief powf as the device may round it: within 4 ulps.
inline float gpu_powf(float x, float y) { return gpu_rounded(::powf(x, y), 1, x, y, 4); }
/// @brief expf as the device may round it: within 2 ulps.
inline float gpu_expf(float x) { return gpu_rounded(::expf(x), 2, x, 0.0f, 2); }
/// @brief logf as the device may round it: within 1 ulp.
inline float gpu_logf(float x) { return gpu_rounded(::logf(x), 3, x, 0.0f, 1); }

}  // namespace alexnet::emulator

// Function-like macros: only calls are replaced (`using ::powf;` in <cmath> is not), and <cmath> came first.
#define powf(x, y) ::alexnet::emulator::gpu_powf((x), (y))
#define expf(x) ::alexnet::emulator::gpu_expf(x)
#define logf(x) ::alexnet::emulator::gpu_logf(x)
