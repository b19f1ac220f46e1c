/// @file linear_gpu_checks.hpp
/// @brief Shared by the GPU tests of chapters 07–09: a linear layer's forward (both
/// kernels) and backward on the GPU against the CPU reference.
#pragma once

#include <cmath>

#include "cuda/linear.cuh"
#include "reference_cpu/linear.hpp"
#include "tests/support/gradient_check.hpp"

namespace alexnet::testing {

/// @brief Tolerance for float sums of `terms` products of U[−1, 1) values, CPU order vs GPU order.
///
/// Partial sums grow to about √terms/3; each addition rounds by up to 2⁻²⁴ of that, and
/// the roundings add like a random walk over `terms` steps: ≈ terms·2e-8 on each side.
/// Allow ten times that, plus 1e-5 relative for the final rounding and FMA contraction.
inline Tolerance float_sum_tolerance(std::int64_t terms) { return Tolerance{2e-7 * static_cast<double>(terms), 1e-5}; }

/// @brief Random x [batch, inputs], W [outputs, inputs], b and grad_y: both forward kernels and the backward vs the CPU.
inline void check_linear_against_cpu(std::int64_t batch, std::int64_t inputs, std::int64_t outputs) {
  const TensorF x = random_tensor_float({batch, inputs}, 21), weight = random_tensor_float({outputs, inputs}, 22);
  const TensorF bias = random_tensor_float({outputs}, 23), grad_y = random_tensor_float({batch, outputs}, 24);
  DeviceTensorF x_dev(x), weight_dev(weight), bias_dev(bias), grad_y_dev(grad_y), y_dev({batch, outputs});

  const TensorF expected = cpu::linear_forward(x, weight, bias);
  cuda::linear_forward(x_dev, weight_dev, bias_dev, y_dev, cuda::LinearVersion::Naive);
  CHECK_TENSORS_CLOSE("linear forward, naive kernel", expected, y_dev.to_host(), float_sum_tolerance(inputs));
  cuda::linear_forward(x_dev, weight_dev, bias_dev, y_dev, cuda::LinearVersion::Tiled);
  CHECK_TENSORS_CLOSE("linear forward, tiled kernel", expected, y_dev.to_host(), float_sum_tolerance(inputs));

  const cpu::LinearGradients<float> grad = cpu::linear_backward(x, weight, grad_y);
  DeviceTensorF grad_x_dev(x.shape()), grad_weight_dev(weight.shape()), grad_bias_dev(bias.shape());
  cuda::linear_backward(x_dev, weight_dev, grad_y_dev, grad_x_dev, grad_weight_dev, grad_bias_dev);
  CHECK_TENSORS_CLOSE("linear grad_x", grad.input, grad_x_dev.to_host(), float_sum_tolerance(outputs));
  CHECK_TENSORS_CLOSE("linear grad_W", grad.weight, grad_weight_dev.to_host(), float_sum_tolerance(batch));
  CHECK_TENSORS_CLOSE("linear grad_b", grad.bias, grad_bias_dev.to_host(), float_sum_tolerance(batch));
}

}  // namespace alexnet::testing
