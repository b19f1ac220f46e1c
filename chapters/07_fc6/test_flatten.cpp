// Flatten on the CPU: the C·H·W order by hand, pool5 -> FC6 at the real shape.
#include <catch2/catch.hpp>

#include "reference_cpu/flatten.hpp"
#include "reference_cpu/layer_table.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("flatten reads channel, then row, then column (PyTorch's order)", "[flatten]") {
  // x[n, c, h, w] = 1000n + 100c + 10h + w for N = 2, C = 2, H = 2, W = 3:
  // y[n, (c·2 + h)·3 + w], so x[1, 1, 0, 2] = 1102 lands at y[1, (1·2 + 0)·3 + 2] = y[1, 8].
  TensorF x({2, 2, 2, 3});
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 3; ++w) x.at(n, c, h, w) = static_cast<float>(1000 * n + 100 * c + 10 * h + w);
  const TensorF y = cpu::flatten_forward(x);
  REQUIRE(y.shape() == Shape{2, 12});
  CHECK(y.at(1, 8) == 1102.0f);
  CHECK(std::vector<float>(y.values().begin(), y.values().begin() + 12) ==
        std::vector<float>{0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112});
  // The order is the storage order: flatten is a reshape, and backward undoes it.
  CHECK(y.values() == x.values());
  CHECK(cpu::flatten_backward(y, x.shape()).values() == x.values());
}

TEST_CASE("flatten turns pool5's 256@6x6 into FC6's 9216 inputs", "[flatten]") {
  const LayerSummary pool5 = summarize_layer(alexnet_two_tower(), "pool5");
  REQUIRE(pool5.output == Shape{256, 6, 6});
  Shape batch_shape{2};
  batch_shape.insert(batch_shape.end(), pool5.output.begin(), pool5.output.end());
  const TensorF y = cpu::flatten_forward(random_tensor_float(batch_shape, 1));
  CHECK(y.shape() == Shape{2, 9216});
  CHECK(element_count(summarize_layer(alexnet_two_tower(), "fc6").input) == 9216);
}

TEST_CASE("flatten refuses inputs that are not [N, C, H, W]", "[flatten]") {
  CHECK_THROWS_WITH(cpu::flatten_forward(TensorF({2, 9216})),
                    "flatten_forward: expected an input [N, C, H, W], got [2, 9216]");
  CHECK_THROWS_WITH(cpu::flatten_backward(TensorF({2, 10}), {2, 3, 2, 2}),
                    "flatten_backward: expected grad_y of shape [2, 12], got [2, 10]");
}
