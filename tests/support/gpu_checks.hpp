/// @file gpu_checks.hpp
/// @brief Shared by the GPU tests: the one tolerance rule for sums of products (tolerance.hpp),
/// device tensors of NaNs, and what a backward that adds into its gradient twice must give.
#pragma once

#include <cuda_runtime.h>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/tensor.hpp"
#include "tests/support/tolerance.hpp"

namespace alexnet::testing {


/// @brief A tensor of NaNs (all bits set) on `device`, so an element a kernel forgets to write fails the check.
inline DeviceTensorF nan_tensor(const Shape& shape, int device = 0) {
  DeviceTensorF t(shape, device);
  const ScopedDevice on_device(device);
  CUDA_CHECK(cudaMemset(t.data(), 0xFF, t.bytes()));
  return t;
}

/// @brief 2·t: what GradientMode::Accumulate leaves after adding the gradient t twice into zeros.
inline TensorF twice(TensorF t) {
  for (std::int64_t i = 0; i < t.size(); ++i) t[i] *= 2.0f;  // exact in float
  return t;
}

/// @brief The tolerance for 2·s when `tolerance` is s's: each of the two sums errs as much as s
/// does (the additions 0 + s and s + s themselves are exact).
inline Tolerance twice(Tolerance tolerance) { return Tolerance{2.0 * tolerance.abs, tolerance.rel}; }

}  // namespace alexnet::testing
