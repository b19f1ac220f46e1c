/// @file tolerance.hpp
/// @brief The one tolerance rule for float sums computed in two orders.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "reference_cpu/compare.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet::testing {

/// @brief The tolerance for a float sum of `terms` products of U[−1, 1) values that two
/// implementations add in different orders (a GPU, which also fuses multiply and add; a
/// GEMM's blocking): 1e-6 · terms, absolute.
///
/// The rule, used by every GPU test of a convolution or a linear layer and by the fast CPU
/// backend's tests: a product of two U[−1, 1) values has standard deviation 1/3, so the partial sums grow like √terms/3; each
/// addition rounds by up to 2⁻²⁴ of that, and the `terms` roundings add like a random walk:
/// 2⁻²⁴ · √terms · √terms/3 ≈ 2e-8 · terms. Allow 50 times that, 1e-6 · terms (3.6e-4 for
/// CONV1's 364-term outputs, 9.2e-3 for FC6's 9216-term ones). A wrong index gives errors the
/// size of the values, about √terms/3, far above it. Absolute, not relative: some sums cancel
/// to nearly 0, where any relative tolerance fails.
inline Tolerance sum_tolerance(std::int64_t terms) { return Tolerance{1e-6 * static_cast<double>(terms), 0.0}; }

/// @brief The tolerance for a whole network's outputs and gradients computed by two backends:
/// 1e-3 of the tensor's largest value (and 1e-3 relative).
///
/// fp32 through up to eight layers, each summed in another order: every layer's sums round
/// by sum_tolerance's few 1e-6 relative, and those compound over the layers. 1e-3 of the
/// largest value is far above that and far below what a wrong index or a missing half of a
/// join does, which changes values by their own size.
inline Tolerance whole_network_tolerance(const TensorF& expected) {
  float largest = 0.0f;
  for (const float v : expected.values()) largest = std::max(largest, std::fabs(v));
  return Tolerance{1e-3 * largest, 1e-3};
}

}  // namespace alexnet::testing
