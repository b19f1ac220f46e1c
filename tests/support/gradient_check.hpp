/// @file gradient_check.hpp
/// @brief Finite-difference gradient checks in double precision (Caffe's GradientChecker idea).
///
/// To check a backward pass we pick a random upstream gradient g and the scalar
/// L(x) = Σ_i g_i · forward(x)_i. Its gradient with respect to any input is what
/// backward(g) must return, and central differences estimate it:
///   ∂L/∂x_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h,  error O(h²).
/// In double with h = 1e-6 the estimate is good to ~1e-8 relative for smooth ops.
#pragma once

#include <functional>

#include "reference_cpu/random.hpp"
#include "reference_cpu/tensor.hpp"
#include "tests/support/check.hpp"

namespace alexnet::testing {

/// @brief L = Σ g ⊙ y.
inline double weighted_sum(const TensorD& y, const TensorD& g) {
  require_shape("weighted_sum", "upstream gradient", y.shape(), g.shape());
  double sum = 0;
  for (std::int64_t i = 0; i < y.size(); ++i) sum += y[i] * g[i];
  return sum;
}

/// @brief Central-difference gradient of L(v) = Σ g ⊙ forward() with respect to `v`.
///
/// `forward` must read `v` (captured by reference) each time it is called; `v`
/// is perturbed one element at a time and restored.
inline TensorD numerical_gradient(const std::function<TensorD()>& forward, TensorD& v, const TensorD& g,
                                  double h = 1e-6) {
  TensorD gradient(v.shape());
  for (std::int64_t j = 0; j < v.size(); ++j) {
    const double saved = v[j];
    v[j] = saved + h;
    const double plus = weighted_sum(forward(), g);
    v[j] = saved - h;
    const double minus = weighted_sum(forward(), g);
    v[j] = saved;
    gradient[j] = (plus - minus) / (2 * h);
  }
  return gradient;
}

/// @brief A random tensor in double, U[low, high), reproducible from `stream`.
inline TensorD random_tensor(const Shape& shape, std::uint64_t stream, double low = -1.0, double high = 1.0) {
  TensorD t(shape);
  fill_uniform(t, 20121203, stream, low, high);
  return t;
}

/// @brief A random float tensor U[low, high) (for CPU-vs-GPU checks).
inline TensorF random_tensor_float(const Shape& shape, std::uint64_t stream, double low = -1.0,
                                   double high = 1.0) {
  TensorF t(shape);
  fill_uniform(t, 20121203, stream, low, high);
  return t;
}

/// @brief Tolerance for analytic-vs-numerical gradients in double: O(h²) truncation plus rounding.
inline Tolerance gradient_tolerance() { return Tolerance{1e-7, 1e-6}; }

}  // namespace alexnet::testing
