// CONV5 on the GPU against the CPU reference at its real shapes, batch 2.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda conv2d equals the CPU at CONV5's real shapes, batch 2", "[gpu][conv2d][conv5]") {
  // 2×384@13×13 -> 2×256@13×13, weights {256, 192, 3, 3}, from the layer table.
  check_table_conv_against_cpu("conv5", 2);
}
