// CONV3 on the CPU: the layer built from the table, its two-tower form against the
// one-device grouped convolution, and gradients in double.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("CONV3 from the layer table: 256@13x13 -> 384@13x13, 885,120 parameters", "[conv3]") {
  // (3·3·256 + 1)·384 = 885,120
  check_conv_layer_from_table("conv3", Shape{384, 256, 3, 3}, Shape{384, 13, 13}, 885120);
}

TEST_CASE("CONV3: two towers equal the one-device grouped convolution, forward and backward", "[conv3][towers]") {
  check_towers_equal_grouped("conv3", 1);
}

TEST_CASE("CONV3's kind of convolution: gradients match central differences in double", "[conv3][gradient]") {
  // 3×3 kernels, pad 1, no groups (the join in miniature)
  check_conv2d_gradients({2, 4, 6, 6}, {4, 4, 3, 3}, Conv2dParams{1, 1, 1});
}
