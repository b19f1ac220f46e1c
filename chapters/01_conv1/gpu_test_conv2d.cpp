// conv2d on the GPU against the CPU reference: both forward kernels and the backward,
// at CONV1's real shapes, at CONV2's (groups 2, pad 2) and on an awkward small case.
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include "cuda/conv2d.cuh"
#include "reference_cpu/conv2d.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// Tolerance for an fp32 sum of `terms` products of U[-1, 1) values that the GPU adds in
// another order (and with fused multiply-adds). The partial sums grow like sqrt(terms)/3
// and each addition rounds by up to 2^-24 of them: a random walk of `terms` steps gives
// errors of about 2^-24 · sqrt(terms) · sqrt(terms)/3 ≈ 2e-8 · terms. We allow 50 times
// that, 1e-6 · terms (3.6e-4 for CONV1's 363-term outputs, 6e-3 for its 6050-term weight
// gradients). A wrong index gives errors the size of the values, about sqrt(terms)/3,
// far above it. Absolute, not relative: some sums cancel to nearly 0.
Tolerance sum_tolerance(std::int64_t terms) { return Tolerance{1e-6 * static_cast<double>(terms), 0.0}; }

// A device tensor of NaNs (all bits set), so an element a kernel forgets to write fails the check.
DeviceTensorF nan_tensor(const Shape& shape) {
  DeviceTensorF t(shape);
  CUDA_CHECK(cudaMemset(t.data(), 0xFF, t.bytes()));
  return t;
}

// Random x, weight, bias, grad_y in U[-1, 1); both forward versions and the backward vs the CPU.
void check_conv2d_against_cpu(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params) {
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

}  // namespace

TEST_CASE("cuda conv2d equals the CPU at CONV1's real shapes, batch 2", "[gpu][conv2d][conv1]") {
  // 2×3@227×227 -> 2×96@55×55, 11×11 kernels, stride 4, from the layer table.
  const LayerSpec& conv1 = find_layer(alexnet_two_tower(), "conv1");
  check_conv2d_against_cpu({2, 3, 227, 227}, {conv1.out_channels, 3, conv1.kernel, conv1.kernel},
                           conv2d_params(conv1));
}

TEST_CASE("cuda conv2d equals the CPU at CONV2's shapes (groups 2, pad 2), batch 1", "[gpu][conv2d]") {
  // 96@27×27 -> 256@27×27, 5×5 kernels over the 48 channels of the own tower.
  const LayerSpec& conv2 = find_layer(alexnet_two_tower(), "conv2");
  check_conv2d_against_cpu({1, 96, 27, 27}, {conv2.out_channels, 96 / conv2.groups, conv2.kernel, conv2.kernel},
                           conv2d_params(conv2));
}

TEST_CASE("cuda conv2d equals the CPU on an awkward case", "[gpu][conv2d]") {
  // Non-square input, even kernel, stride 3 with leftover rows, pad 2, and 5 output
  // channels per group: fewer than the tiled kernel's 8 per block.
  check_conv2d_against_cpu({3, 6, 13, 17}, {10, 3, 4, 4}, Conv2dParams{3, 2, 2});
}

TEST_CASE("cuda conv2d refuses a wrong output shape and a tile too large for shared memory", "[gpu][conv2d]") {
  const DeviceTensorF x(Shape{1, 1, 227, 227}), weight(Shape{1, 1, 11, 11}), bias(Shape{1});
  DeviceTensorF y(Shape{1, 1, 55, 54});
  CHECK_THROWS_WITH(cuda::conv2d_forward(x, weight, bias, y, Conv2dParams{4, 0, 1}),
                    "cuda::conv2d_forward: expected y of shape [1, 1, 55, 55], got [1, 1, 55, 54]");
  // Stride 16: a 16×16 tile reads (16 − 1)·16 + 11 = 251 input rows and columns: 256 KB of shared memory.
  DeviceTensorF y_strided(Shape{1, 1, 14, 14});
  CHECK_THROWS_WITH(cuda::conv2d_forward(x, weight, bias, y_strided, Conv2dParams{16, 0, 1}),
                    Catch::Contains("use ConvVersion::Naive"));
}
