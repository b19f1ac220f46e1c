// CONV4 on the GPU against the CPU reference at its real shapes, batch 2.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda conv2d equals the CPU at CONV4's real shapes, batch 2", "[gpu][conv2d][conv4]") {
  // 2×384@13×13 -> 2×384@13×13, weights {384, 192, 3, 3}, from the layer table.
  const LayerSummary layer = summarize_layer(alexnet_two_tower(), "conv4");
  check_conv2d_against_cpu({2, layer.input[0], layer.input[1], layer.input[2]}, weight_shape(layer.spec, layer.input),
                           conv2d_params(layer.spec));
}
