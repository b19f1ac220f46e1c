// CONV2 on the CPU: the layer built from the table, its two-tower form against the
// one-device grouped convolution, and gradients in double.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("CONV2 from the layer table: 96@27x27 -> 256@27x27, 307,456 parameters", "[conv2]") {
  // (5·5·48 + 1)·256 = 307,456
  check_conv_layer_from_table("conv2", Shape{256, 48, 5, 5}, Shape{256, 27, 27}, 307456);
  // Then ReLU, LRN inside each tower and overlapping max-pooling: (13 - 3)/2 + 1 = 6 for pool5, (27 - 3)/2 + 1 = 13 for pool2.
  CHECK(summarize_layer(alexnet_two_tower(), "pool2").output == Shape{256, 13, 13});
}

TEST_CASE("CONV2: two towers equal the one-device grouped convolution, forward and backward", "[conv2][towers]") {
  check_towers_equal_grouped("conv2", 1);
}

TEST_CASE("CONV2's kind of convolution: gradients match central differences in double", "[conv2][gradient]") {
  // 5×5 kernels, pad 2, groups 2 (CONV2 in miniature)
  check_conv2d_gradients({2, 4, 9, 8}, {4, 2, 5, 5}, Conv2dParams{1, 2, 2});
}
