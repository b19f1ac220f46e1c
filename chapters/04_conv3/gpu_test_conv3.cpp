// CONV3 on the GPU against the CPU reference at its real shapes, batch 2.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda conv2d equals the CPU at CONV3's real shapes, batch 2", "[gpu][conv2d][conv3]") {
  // 2×256@13×13 -> 2×384@13×13, weights {384, 256, 3, 3}, from the layer table.
  check_table_conv_against_cpu("conv3", 2);
}
