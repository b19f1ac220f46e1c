// conv2d on the GPU against the CPU reference: both forward kernels and the backward,
// at CONV1's real shapes and on an awkward small case (chapters 03–06 check CONV2–CONV5).
#include <catch2/catch.hpp>

#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;


TEST_CASE("cuda conv2d equals the CPU at CONV1's real shapes, batch 2", "[gpu][conv2d][conv1]") {
  // 2×3@227×227 -> 2×96@55×55, 11×11 kernels, stride 4, from the layer table.
  check_table_conv_against_cpu("conv1", 2);
}

TEST_CASE("cuda conv2d equals the CPU on an awkward case", "[gpu][conv2d]") {
  // Non-square input, even kernel, stride 3 with leftover rows, pad 2, and 5 output
  // channels per group: fewer than the tiled kernel's 8 per block.
  check_conv2d_against_cpu({3, 6, 13, 17}, {10, 3, 4, 4}, Conv2dParams{3, 2, 2});
}

TEST_CASE("cuda conv2d_backward adds into grad_x with GradientMode::Accumulate", "[gpu][conv2d][accumulate]") {
  // The awkward case again: grad_x twice the CPU's after two passes; grad_weight and grad_bias once.
  check_conv2d_backward_accumulates({3, 6, 13, 17}, {10, 3, 4, 4}, Conv2dParams{3, 2, 2});
}

TEST_CASE("cuda conv2d refuses a wrong output shape and a tile too large for shared memory", "[gpu][conv2d]") {
  const DeviceTensorF x(Shape{1, 1, 227, 227}), weight(Shape{1, 1, 11, 11}), bias(Shape{1});
  DeviceTensorF y(Shape{1, 1, 55, 54});
  const cuda::Context context{};
  CHECK_THROWS_WITH(cuda::conv2d_forward(context, x, weight, bias, Conv2dParams{4, 0, 1}, y),
                    "cuda::conv2d_forward: expected y of shape [1, 1, 55, 55], got [1, 1, 55, 54]");
  // Stride 16: a 16×16 tile reads (16 − 1)·16 + 11 = 251 input rows and columns: 256 KB of shared memory.
  DeviceTensorF y_strided(Shape{1, 1, 14, 14});
  CHECK_THROWS_WITH(cuda::conv2d_forward(context, x, weight, bias, Conv2dParams{16, 0, 1}, y_strided),
                    Catch::Contains("use ConvVersion::Naive"));
}
