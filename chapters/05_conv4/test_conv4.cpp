// CONV4 on the CPU: the layer built from the table, its two-tower form against the
// one-device grouped convolution, and gradients in double.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("CONV4 from the layer table: 384@13x13 -> 384@13x13, 663,936 parameters", "[conv4]") {
  // (3·3·192 + 1)·384 = 663,936
  check_conv_layer_from_table("conv4", Shape{384, 192, 3, 3}, Shape{384, 13, 13}, 663936);
}

TEST_CASE("CONV4: two towers equal the one-device grouped convolution, forward and backward", "[conv4][towers]") {
  check_towers_equal_grouped("conv4", 1);
}

TEST_CASE("CONV4's kind of convolution: gradients match central differences in double", "[conv4][gradient]") {
  // 3×3 kernels, pad 1, groups 2 (CONV4 in miniature)
  check_conv2d_gradients({2, 4, 6, 6}, {4, 2, 3, 3}, Conv2dParams{1, 1, 2});
}
