/// @file conv2d_gpu_checks.hpp
/// @brief conv2d on the GPU against the CPU reference: both forward kernels and the
/// backward, on random data of any shape (used by chapters 01 and 03–06 at their real shapes).
#pragma once

#include <cuda_runtime.h>

#include "cuda/conv2d.cuh"
#include "reference_cpu/conv2d.hpp"
#include "tests/support/gradient_check.hpp"

namespace alexnet::testing {

// Tolerance for an fp32 sum of `terms` products of U[-1, 1) values that the GPU adds in
// another order (and with fused multiply-adds). The partial sums grow like sqrt(terms)/3
// and each addition rounds by up to 2^-24 of them: a random walk of `terms` steps gives
// errors of about 2^-24 · sqrt(terms) · sqrt(terms)/3 ≈ 2e-8 · terms. We allow 50 times
// that, 1e-6 · terms (3.6e-4 for CONV1's 363-term outputs, 6e-3 for its 6050-term weight
// gradients). A wrong index gives errors the size of the values, about sqrt(terms)/3,
// far above it. Absolute, not relative: some sums cancel to nearly 0.
inline Tolerance sum_tolerance(std::int64_t terms) { return Tolerance{1e-6 * static_cast<double>(terms), 0.0}; }

// A device tensor of NaNs (all bits set), so an element a kernel forgets to write fails the check.
inline DeviceTensorF nan_tensor(const Shape& shape) {
  DeviceTensorF t(shape);
  CUDA_CHECK(cudaMemset(t.data(), 0xFF, t.bytes()));
  return t;
}

// Random x, weight, bias, grad_y in U[-1, 1); both forward versions and the backward vs the CPU.
inline void check_conv2d_against_cpu(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params) {
  const TensorF x = random_tensor_float(x_shape, 21), weight = random_tensor_float(weight_shape, 22);
  const TensorF bias = random_tensor_float({weight_shape[0]}, 23);
  const TensorF y = cpu::conv2d_forward(x, weight, bias, params);
  const TensorF grad_y = random_tensor_float(y.shape(), 24);
  const cpu::Conv2dGradients<float> expected = cpu::conv2d_backward(x, weight, grad_y, params);

  // Terms in each sum: an output adds C_in/g·K·K products and the bias; an input lies in at
  // most ceil(K/S)² windows of each of C_out/g channels; a weight and a bias see N·H_out·W_out outputs.
  const std::int64_t kernel = weight_shape[2], windows_per_side = (kernel + params.stride - 1) / params.stride;
  const std::int64_t output_terms = weight_shape[1] * kernel * kernel + 1;
  const std::int64_t input_terms = weight_shape[0] / params.groups * windows_per_side * windows_per_side;
  const std::int64_t positions = y.dim(0) * y.dim(2) * y.dim(3);

  const DeviceTensorF x_dev(x), weight_dev(weight), bias_dev(bias), grad_y_dev(grad_y);
  for (const auto& [version, name] : {std::pair{cuda::ConvVersion::Naive, "forward (naive)"},
                                      std::pair{cuda::ConvVersion::Tiled, "forward (tiled)"}}) {
    DeviceTensorF y_dev = nan_tensor(y.shape());
    cuda::conv2d_forward(x_dev, weight_dev, bias_dev, y_dev, params, version);
    CHECK_TENSORS_CLOSE(name, y, y_dev.to_host(), sum_tolerance(output_terms));
  }
  DeviceTensorF grad_x = nan_tensor(x.shape()), grad_weight = nan_tensor(weight.shape());
  DeviceTensorF grad_bias = nan_tensor(bias.shape());
  cuda::conv2d_backward(x_dev, weight_dev, grad_y_dev, grad_x, grad_weight, grad_bias, params);
  CHECK_TENSORS_CLOSE("grad input", expected.input, grad_x.to_host(), sum_tolerance(input_terms));
  CHECK_TENSORS_CLOSE("grad weight", expected.weight, grad_weight.to_host(), sum_tolerance(positions));
  CHECK_TENSORS_CLOSE("grad bias", expected.bias, grad_bias.to_host(), sum_tolerance(positions));
}


// The convolution `name` of the two-tower table at its real shapes with `batch` images.
inline void check_table_conv_against_cpu(const std::string& name, std::int64_t batch) {
  const LayerSummary layer = summarize_layer(alexnet_two_tower(), name);
  check_conv2d_against_cpu({batch, layer.input[0], layer.input[1], layer.input[2]},
                           weight_shape(layer.spec, layer.input), conv2d_params(layer.spec));
}

}  // namespace alexnet::testing
