/// @file cuda_check.cuh
/// @brief CUDA_CHECK: every CUDA runtime call checked, failures thrown with file:line.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace alexnet {

/// @brief Throws std::runtime_error "CUDA error at file:line in `call`: name (text)" unless `status` is success.
inline void cuda_check(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error at ") + file + ":" + std::to_string(line) + " in `" + call +
                             "`: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
  }
}

}  // namespace alexnet

/// @brief Checks a CUDA runtime call: `CUDA_CHECK(cudaMalloc(&p, bytes));`
#define CUDA_CHECK(call) ::alexnet::cuda_check((call), #call, __FILE__, __LINE__)

/// @brief Checks the kernel launched just before (bad configuration, missing device code).
#define CUDA_CHECK_LAUNCH() ::alexnet::cuda_check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
