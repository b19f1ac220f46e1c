// CONV2 on the GPU against the CPU reference at its real shapes, batch 2.
#include <catch2/catch.hpp>

#include "tests/support/conv2d_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda conv2d equals the CPU at CONV2's real shapes, batch 2", "[gpu][conv2d][conv2]") {
  // 2×96@27×27 -> 2×256@27×27, weights {256, 48, 5, 5}, from the layer table.
  check_table_conv_against_cpu("conv2", 2);
}
