// ReLU on the CPU: hand-computed values and a gradient check in double.
#include <catch2/catch.hpp>

#include "reference_cpu/relu.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("relu keeps positives and zeroes the rest", "[relu]") {
  const TensorF x({1, 1, 1, 5}, {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f});
  CHECK(cpu::relu_forward(x).values() == std::vector<float>{0, 0, 0, 0.5f, 3.0f});
  // The gradient passes only where x > 0 (at x = 0 it is 0).
  const TensorF g({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  CHECK(cpu::relu_backward(x, g).values() == std::vector<float>{0, 0, 0, 4, 5});
}

TEST_CASE("relu backward matches central differences in double", "[relu][gradient]") {
  // Values kept at least 0.1 away from the kink at 0, where the derivative jumps.
  TensorD x = random_tensor({2, 3, 4, 4}, 1, 0.1, 1.0);
  for (std::int64_t i = 0; i < x.size(); i += 2) x[i] = -x[i];
  const TensorD g = random_tensor(x.shape(), 2);
  const TensorD numerical = numerical_gradient([&] { return cpu::relu_forward(x); }, x, g);
  CHECK_TENSORS_CLOSE("relu grad_x", numerical, cpu::relu_backward(x, g), gradient_tolerance());
}

TEST_CASE("relu backward refuses a gradient of another shape", "[relu]") {
  CHECK_THROWS_WITH(cpu::relu_backward(TensorF({2, 3}), TensorF({3, 2})),
                    "relu_backward: expected grad_y of shape [2, 3], got [3, 2]");
}
