// Shared by the fast CPU and GPU tests of chapter 14: the shapes they run at, random inputs, and the
// tolerances of a float implementation against the reference computed in double.
#pragma once

#include <cstdint>
#include <vector>

#include "network/cpu_network.hpp"
#include "network/plan.hpp"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/tensor.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/network_checks.hpp"
#include "tests/support/tolerance.hpp"

namespace alexnet::testing {

/// @brief Realistic shapes: a mid-size feature map, a small late one, and CONV1's output [2, 96, 55, 55].
inline std::vector<Shape> normalization_shapes() {
  return {{8, 32, 16, 16}, {4, 64, 7, 7}, {2, 96, 55, 55}};
}

/// @brief The inputs of a normalization: x, γ, β and an upstream gradient.
struct NormInputs {
  TensorF x, gamma, beta, grad_y;
};

/// @brief x ~ U[−1, 3) (a mean of 1 that the normalization must remove), γ ~ U[0.5, 1.5), β, g ~ U[−1, 1).
inline NormInputs random_norm_inputs(const Shape& shape, std::uint64_t seed) {
  const Shape channels{shape[1]};
  return {random_tensor_float(shape, seed, -1.0, 3.0), random_tensor_float(channels, seed + 1, 0.5, 1.5),
          random_tensor_float(channels, seed + 2), random_tensor_float(shape, seed + 3)};
}

/// @brief A network's parameters for a whole-network check: γ U[0.5, 1.5) — not the 1 it starts at, so that a
/// γ/β mix-up shows — β and every bias U[−0.1, 0.1) (not 0, so that a lost bias shows); the weights keep their
/// initialisation (He's for the mini network, logits of order 1).
template <typename T>
void randomize_parameters(const Plan& plan, Parameters<T>& parameters, std::uint64_t seed) {
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (is_normalization(plan.layers[static_cast<std::size_t>(plan.parameter_rows[i])].spec)) {
      fill_uniform(parameters[i].weight, seed, 100 + i, 0.5, 1.5);
    }
    fill_uniform(parameters[i].bias, seed, 200 + i, -0.1, 0.1);
  }
}

/// @brief The mean and biased variance of each (image, group) of x [N, C, H, W]: [N, G] each.
struct GroupMoments {
  TensorD mean, variance;
};

/// @brief group_moments(x, G): the statistics group normalization uses, by the definition, in two passes.
inline GroupMoments group_moments(const TensorD& x, int groups) {
  const std::int64_t batch = x.shape()[0], m = x.size() / (batch * groups);  // group (n, g): m values from (n·G + g)·m
  GroupMoments moments{TensorD({batch, groups}), TensorD({batch, groups})};
  for (std::int64_t group = 0; group < batch * groups; ++group) {
    double sum = 0.0, squares = 0.0;
    for (std::int64_t i = 0; i < m; ++i) sum += x[group * m + i];
    const double mean = sum / static_cast<double>(m);
    for (std::int64_t i = 0; i < m; ++i) squares += (x[group * m + i] - mean) * (x[group * m + i] - mean);
    moments.mean[group] = mean;
    moments.variance[group] = squares / static_cast<double>(m);
  }
  return moments;
}

// Tolerances of float against the reference run in double on the same float inputs (cast back to
// float), so that they cover the rounding of the implementation checked and nothing else. (The naive
// reference itself, run in float, sums 290,400 values one after another for LayerNorm at CONV1's shape
// and is off by 1e-4: it is the double run that is the ground truth here.) The values: x̂ = (x − μ)/σ̂
// is O(1) (|x̂| < 1.8 for x ~ U[−1, 3)), y = γ·x̂ + β is O(1), and so is ∂x = γ/σ̂·(g − ...), σ̂ ≈ 1.15.
//
// Statistics: a mean or variance of m values summed in float (the GPU's per-thread sums, then a tree)
// or in double (the fast CPU) is off by about 1e-7 relative (measured: 1.2e-7 on the emulated GPU,
// 0 on the fast CPU, at every shape here); 1e-5 relative (and 1e-6 absolute, for a mean near 0) is
// ample, while a wrong channel or a missing image is off by 1e-2 or more.
inline Tolerance statistics_tolerance() { return Tolerance{1e-6, 1e-5}; }

// y and ∂x: a few float operations on O(1) values after the statistics (an ulp is 1.2e-7 there), plus
// the statistics' own error carried through: measured at most 7.2e-7 (emulated GPU) and 4.8e-7 (fast
// CPU). Allow 1e-5 absolute, about 80 ulps (values cross 0, so a relative error means nothing there).
// Treating μ and σ as constants in the backward, or a wrong group, changes ∂x and y by O(1).
inline Tolerance normalized_tolerance() { return Tolerance{1e-5, 1e-5}; }

// ∂γ = Σ g·x̂ and ∂β = Σ g over the N·H·W values of a channel: float sums of `terms` products of O(1)
// values, the project's rule for sums computed in two orders (tolerance.hpp): 6e-3 for the 6,050
// terms at CONV1's shape, where the emulated GPU is off by 1.7e-5.
inline Tolerance parameter_gradient_tolerance(std::int64_t terms) { return sum_tolerance(terms); }

}  // namespace alexnet::testing
