// CONV5 on the CPU: the layer built from the table, its two-tower form against the
// one-device grouped convolution, and gradients in double.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("CONV5 from the layer table: 384@13x13 -> 256@13x13, 442,624 parameters", "[conv5]") {
  // (3·3·192 + 1)·256 = 442,624
  check_conv_layer_from_table("conv5", Shape{256, 192, 3, 3}, Shape{256, 13, 13}, 442624);
  // Then ReLU and overlapping max-pooling: (13 - 3)/2 + 1 = 6 for pool5, (27 - 3)/2 + 1 = 13 for pool2.
  CHECK(summarize_layer(alexnet_two_tower(), "pool5").output == Shape{256, 6, 6});
}

TEST_CASE("CONV5: two towers equal the one-device grouped convolution, forward and backward", "[conv5][towers]") {
  check_towers_equal_grouped("conv5", 1);
}

TEST_CASE("CONV5's kind of convolution: gradients match central differences in double", "[conv5][gradient]") {
  // 3×3 kernels, pad 1, groups 2, 3 kernels per group (CONV5 in miniature)
  check_conv2d_gradients({2, 4, 6, 6}, {6, 2, 3, 3}, Conv2dParams{1, 1, 2});
}
