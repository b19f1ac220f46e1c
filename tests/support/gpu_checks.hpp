/// @file gpu_checks.hpp
/// @brief Shared by the GPU tests: the one tolerance rule for sums of products, device tensors
/// of NaNs, and what a backward that adds into its gradient twice must give.
#pragma once

#include <cuda_runtime.h>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet::testing {

/// @brief The tolerance for a float sum of `terms` products of U[−1, 1) values that CPU and GPU
/// add in different orders (the GPU also fuses multiply and add): 1e-6 · terms, absolute.
///
/// The rule, used by every GPU test of a convolution or a linear layer: a product of two
/// U[−1, 1) values has standard deviation 1/3, so the partial sums grow like √terms/3; each
/// addition rounds by up to 2⁻²⁴ of that, and the `terms` roundings add like a random walk:
/// 2⁻²⁴ · √terms · √terms/3 ≈ 2e-8 · terms. Allow 50 times that, 1e-6 · terms (3.6e-4 for
/// CONV1's 364-term outputs, 9.2e-3 for FC6's 9216-term ones). A wrong index gives errors the
/// size of the values, about √terms/3, far above it. Absolute, not relative: some sums cancel
/// to nearly 0, where any relative tolerance fails.
inline Tolerance sum_tolerance(std::int64_t terms) { return Tolerance{1e-6 * static_cast<double>(terms), 0.0}; }

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
