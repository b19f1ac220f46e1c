// CONV2 on the GPU against the CPU reference at its real shapes, batch 2.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda conv2d equals the CPU at CONV2's real shapes, batch 2", "[gpu][conv2d][conv2]") {
  // 2×96@27×27 -> 2×256@27×27, weights {256, 48, 5, 5}, from the layer table.
  const LayerSummary layer = summarize_layer(alexnet_two_tower(), "conv2");
  check_conv2d_against_cpu({2, layer.input[0], layer.input[1], layer.input[2]}, weight_shape(layer.spec, layer.input),
                           conv2d_params(layer.spec));
}
