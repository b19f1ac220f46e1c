/// @file linear_gpu_checks.hpp
/// @brief Shared by the GPU tests of chapters 07–09: a linear layer's forward (both
/// kernels) and backward on the GPU against the CPU reference, within sum_tolerance() of
/// gpu_checks.hpp for the number of terms in each sum.
#pragma once

#include <cmath>

#include "cuda/linear.cuh"
#include "reference_cpu/linear.hpp"
#include "tests/support/gpu_checks.hpp"
#include "tests/support/gradient_check.hpp"

namespace alexnet::testing {

/// @brief Random x [batch, inputs], W [outputs, inputs], b [outputs] and grad_y [batch, outputs] in U[−1, 1).
struct LinearCase {
  TensorF x, weight, bias, grad_y;  ///< the inputs of forward and backward
};

/// @brief The LinearCase of the given extents.
inline LinearCase linear_case(std::int64_t batch, std::int64_t inputs, std::int64_t outputs) {
  return LinearCase{random_tensor_float({batch, inputs}, 21), random_tensor_float({outputs, inputs}, 22),
                    random_tensor_float({outputs}, 23), random_tensor_float({batch, outputs}, 24)};
}

/// @brief Both forward kernels and the backward on context.device (tensors allocated there) vs the CPU.
inline void check_linear_against_cpu(std::int64_t batch, std::int64_t inputs, std::int64_t outputs,
                                     const cuda::Context& context = {}) {
  const LinearCase c = linear_case(batch, inputs, outputs);
  const int device = context.device;
  DeviceTensorF x(c.x, device), weight(c.weight, device), bias(c.bias, device), grad_y(c.grad_y, device);
  DeviceTensorF y({batch, outputs}, device);

  const TensorF expected = cpu::linear_forward(c.x, c.weight, c.bias);
  cuda::linear_forward(context, x, weight, bias, y, cuda::LinearVersion::Naive);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("linear forward, naive kernel", expected, y.to_host(), sum_tolerance(inputs));
  cuda::linear_forward(context, x, weight, bias, y, cuda::LinearVersion::Tiled);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("linear forward, tiled kernel", expected, y.to_host(), sum_tolerance(inputs));

  const cpu::LinearGradients<float> grad = cpu::linear_backward(c.x, c.weight, c.grad_y);
  DeviceTensorF grad_x = nan_tensor(c.x.shape(), device), grad_weight = nan_tensor(c.weight.shape(), device);
  DeviceTensorF grad_bias = nan_tensor(c.bias.shape(), device);
  cuda::linear_backward(context, x, weight, grad_y, grad_x, grad_weight, grad_bias);
  cuda::synchronize(context);
  CHECK_TENSORS_CLOSE("linear grad_x", grad.input, grad_x.to_host(), sum_tolerance(outputs));
  CHECK_TENSORS_CLOSE("linear grad_W", grad.weight, grad_weight.to_host(), sum_tolerance(batch));
  CHECK_TENSORS_CLOSE("linear grad_b", grad.bias, grad_bias.to_host(), sum_tolerance(batch));
}

/// @brief linear_backward with GradientMode::Accumulate, twice into a zeroed grad_x: grad_x must be twice
/// the CPU's, while grad_W and grad_b (NaN before) are overwritten each time: once the CPU's.
inline void check_linear_backward_accumulates(std::int64_t batch, std::int64_t inputs, std::int64_t outputs) {
  const LinearCase c = linear_case(batch, inputs, outputs);
  const cuda::Context context{};
  const DeviceTensorF x(c.x), weight(c.weight), grad_y(c.grad_y);
  DeviceTensorF grad_x(c.x.shape());  // zeros
  DeviceTensorF grad_weight = nan_tensor(c.weight.shape()), grad_bias = nan_tensor(c.bias.shape());
  for (int pass = 0; pass < 2; ++pass) {
    cuda::linear_backward(context, x, weight, grad_y, grad_x, grad_weight, grad_bias, cuda::GradientMode::Accumulate);
  }
  const cpu::LinearGradients<float> grad = cpu::linear_backward(c.x, c.weight, c.grad_y);
  CHECK_TENSORS_CLOSE("linear grad_x, accumulated twice", twice(grad.input), grad_x.to_host(),
                      twice(sum_tolerance(outputs)));
  CHECK_TENSORS_CLOSE("linear grad_W, overwritten", grad.weight, grad_weight.to_host(), sum_tolerance(batch));
  CHECK_TENSORS_CLOSE("linear grad_b, overwritten", grad.bias, grad_bias.to_host(), sum_tolerance(batch));
}

}  // namespace alexnet::testing
