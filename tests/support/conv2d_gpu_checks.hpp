/// @file conv2d_gpu_checks.hpp
/// @brief conv2d on the GPU against the CPU reference: both forward kernels and the
/// backward, on random data of any shape (used by chapters 01 and 03–06 at their real shapes),
/// within sum_tolerance() of gpu_checks.hpp for the number of terms in each sum.
#pragma once

#include <cuda_runtime.h>

#include <functional>

#include "cuda/conv2d.cuh"
#include "network/plan.hpp"
#include "reference_cpu/conv2d.hpp"
#include "tests/support/gpu_checks.hpp"
#include "tests/support/gradient_check.hpp"

namespace alexnet::testing {

/// @brief Random x, weight, bias, grad_y in U[-1, 1), the CPU's results on them, and the terms in each GPU sum.
struct ConvCase {
  TensorF x, weight, bias, y, grad_y;   ///< inputs and the CPU's forward
  cpu::Conv2dGradients<float> expected;  ///< the CPU's backward
  std::int64_t output_terms;            ///< C_in/g·K·K products and the bias
  std::int64_t input_terms;             ///< an input lies in at most ceil(K/S)² windows of each of C_out/g channels
  std::int64_t positions;               ///< a weight and a bias see N·H_out·W_out outputs
};

/// @brief The ConvCase of the given shapes.
inline ConvCase conv_case(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params) {
  ConvCase c;
  c.x = random_tensor_float(x_shape, 21);
  c.weight = random_tensor_float(weight_shape, 22);
  c.bias = random_tensor_float({weight_shape[0]}, 23);
  c.y = cpu::conv2d_forward(c.x, c.weight, c.bias, params);
  c.grad_y = random_tensor_float(c.y.shape(), 24);
  c.expected = cpu::conv2d_backward(c.x, c.weight, c.grad_y, params);
  const std::int64_t kernel = weight_shape[2], windows_per_side = (kernel + params.stride - 1) / params.stride;
  c.output_terms = weight_shape[1] * kernel * kernel + 1;
  c.input_terms = weight_shape[0] / params.groups * windows_per_side * windows_per_side;
  c.positions = c.y.dim(0) * c.y.dim(2) * c.y.dim(3);
  return c;
}

/// @brief Both forward versions and the backward on context.device (tensors allocated there) vs the CPU.
inline void check_conv2d_against_cpu(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params,
                                     const cuda::Context& context = {}) {
  const ConvCase c = conv_case(x_shape, weight_shape, params);
  const int device = context.device;
  const DeviceTensorF x(c.x, device), weight(c.weight, device), bias(c.bias, device), grad_y(c.grad_y, device);
  for (const auto& [version, name] : {std::pair{cuda::ConvVersion::Naive, "forward (naive)"},
                                      std::pair{cuda::ConvVersion::Tiled, "forward (tiled)"}}) {
    DeviceTensorF y = nan_tensor(c.y.shape(), device);
    cuda::conv2d_forward(context, x, weight, bias, params, y, version);
    cuda::synchronize(context);
    CHECK_TENSORS_CLOSE(name, c.y, y.to_host(), sum_tolerance(c.output_terms));
  }
  DeviceTensorF grad_x = nan_tensor(c.x.shape(), device), grad_weight = nan_tensor(c.weight.shape(), device);
  DeviceTensorF grad_bias = nan_tensor(c.bias.shape(), device);
  cuda::conv2d_backward(context, x, weight, grad_y, params, grad_x, grad_weight, grad_bias);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("grad input", c.expected.input, grad_x.to_host(), sum_tolerance(c.input_terms));
  CHECK_TENSORS_CLOSE("grad weight", c.expected.weight, grad_weight.to_host(), sum_tolerance(c.positions));
  CHECK_TENSORS_CLOSE("grad bias", c.expected.bias, grad_bias.to_host(), sum_tolerance(c.positions));
}

/// @brief A convolution backward under test, on the x, weight and grad_y of a ConvCase (uploaded by the caller):
/// grad_x (nullptr: not computed, where the backward allows it), grad_weight, grad_bias, and how grad_x is written.
using ConvBackward = std::function<void(DeviceTensorF* grad_x, DeviceTensorF& grad_weight, DeviceTensorF& grad_bias,
                                        cuda::GradientMode mode)>;

/// @brief `backward` with GradientMode::Accumulate, twice into a zeroed grad_x: grad_x must be twice the CPU's,
/// while grad_weight and grad_bias (NaN before) are overwritten each time: once the CPU's. With
/// `can_leave_out_input`, a third call without grad_x must give the same parameter gradients, bit for bit.
inline void check_backward_accumulates(const ConvCase& c, const ConvBackward& backward, bool can_leave_out_input) {
  DeviceTensorF grad_x(c.x.shape());  // zeros
  DeviceTensorF grad_weight = nan_tensor(c.weight.shape()), grad_bias = nan_tensor(c.bias.shape());
  for (int pass = 0; pass < 2; ++pass) backward(&grad_x, grad_weight, grad_bias, cuda::GradientMode::Accumulate);
  CHECK_TENSORS_CLOSE("grad input, accumulated twice", twice(c.expected.input), grad_x.to_host(),
                      twice(sum_tolerance(c.input_terms)));
  CHECK_TENSORS_CLOSE("grad weight, overwritten", c.expected.weight, grad_weight.to_host(),
                      sum_tolerance(c.positions));
  CHECK_TENSORS_CLOSE("grad bias, overwritten", c.expected.bias, grad_bias.to_host(), sum_tolerance(c.positions));
  if (!can_leave_out_input) return;
  // Without ∂x (the first layer): the same parameter gradients.
  DeviceTensorF grad_weight_only = nan_tensor(c.weight.shape()), grad_bias_only = nan_tensor(c.bias.shape());
  backward(nullptr, grad_weight_only, grad_bias_only, cuda::GradientMode::Overwrite);
  CHECK(grad_weight_only.to_host().values() == grad_weight.to_host().values());
  CHECK(grad_bias_only.to_host().values() == grad_bias.to_host().values());
}

/// @brief The course's conv2d_backward (chapter 01) through check_backward_accumulates; it always computes ∂x.
inline void check_conv2d_backward_accumulates(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params) {
  const ConvCase c = conv_case(x_shape, weight_shape, params);
  const DeviceTensorF x(c.x), weight(c.weight), grad_y(c.grad_y);
  check_backward_accumulates(
      c,
      [&](DeviceTensorF* grad_x, DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) {
        cuda::conv2d_backward(cuda::Context{}, x, weight, grad_y, params, *grad_x, grad_weight, grad_bias, mode);
      },
      false);
}

// The convolution `name` of the two-tower table at its real shapes with `batch` images.
inline void check_table_conv_against_cpu(const std::string& name, std::int64_t batch) {
  const LayerSummary layer = summarize_layer(alexnet_two_tower(), name);
  check_conv2d_against_cpu({batch, layer.input[0], layer.input[1], layer.input[2]},
                           weight_shape(layer.spec, layer.input), conv2d_params(layer.spec));
}

}  // namespace alexnet::testing
