// The fully connected layer on the CPU: a 2×3 layer by hand, gradient checks in
// double, FC6's parameters from its built tensors, and the two towers' halves.
#include <catch2/catch.hpp>

#include <cmath>

#include "reference_cpu/channels.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/linear.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("a 2x3 linear layer by hand", "[linear]") {
  // W = [[1, 2, 3], [4, 5, 6]], b = [0.5, −1]
  const TensorF weight({2, 3}, {1, 2, 3, 4, 5, 6});
  const TensorF bias({2}, {0.5f, -1.0f});
  const TensorF x({2, 3}, {1, 0, -1,   // image 0
                           2, 1, 0});  // image 1
  // y[0] = [1 − 3 + 0.5, 4 − 6 − 1] = [−1.5, −3]; y[1] = [2 + 2 + 0.5, 8 + 5 − 1] = [4.5, 12]
  CHECK(cpu::linear_forward(x, weight, bias).values() == std::vector<float>{-1.5f, -3, 4.5f, 12});

  const TensorF grad_y({2, 2}, {1, 2,    // image 0
                                0, -1});  // image 1
  const cpu::LinearGradients<float> grad = cpu::linear_backward(x, weight, grad_y);
  // grad_x[0] = 1·W[0] + 2·W[1] = [9, 12, 15]; grad_x[1] = −1·W[1] = [−4, −5, −6]
  CHECK(grad.input.values() == std::vector<float>{9, 12, 15, -4, -5, -6});
  // grad_W[0] = 1·x[0] + 0·x[1] = [1, 0, −1]; grad_W[1] = 2·x[0] − 1·x[1] = [0, −1, −2]
  CHECK(grad.weight.values() == std::vector<float>{1, 0, -1, 0, -1, -2});
  // grad_b = column sums of grad_y = [1 + 0, 2 − 1]
  CHECK(grad.bias.values() == std::vector<float>{1, 1});
}

TEST_CASE("linear backward matches central differences in double", "[linear][gradient]") {
  TensorD x = random_tensor({3, 5}, 1), weight = random_tensor({4, 5}, 2), bias = random_tensor({4}, 3);
  const TensorD grad_y = random_tensor({3, 4}, 4);
  const auto forward = [&] { return cpu::linear_forward(x, weight, bias); };
  const cpu::LinearGradients<double> grad = cpu::linear_backward(x, weight, grad_y);
  CHECK_TENSORS_CLOSE("linear grad_x", numerical_gradient(forward, x, grad_y), grad.input, gradient_tolerance());
  CHECK_TENSORS_CLOSE("linear grad_W", numerical_gradient(forward, weight, grad_y), grad.weight,
                      gradient_tolerance());
  CHECK_TENSORS_CLOSE("linear grad_b", numerical_gradient(forward, bias, grad_y), grad.bias, gradient_tolerance());
}

TEST_CASE("linear refuses mismatched shapes, naming what it expected", "[linear]") {
  CHECK_THROWS_WITH(cpu::linear_forward(TensorF({3, 5}), TensorF({4, 6}), TensorF({4})),
                    "linear_forward: expected weight of shape [4, 5], got [4, 6]");
  CHECK_THROWS_WITH(cpu::linear_forward(TensorF({3, 5}), TensorF({4, 5}), TensorF({5})),
                    "linear_forward: expected bias of shape [4], got [5]");
  CHECK_THROWS_WITH(cpu::linear_backward(TensorF({3, 5}), TensorF({4, 5}), TensorF({3, 5})),
                    "linear_backward: expected grad_y of shape [3, 4], got [3, 5]");
}

TEST_CASE("FC6 built from the layer table: 9216 -> 4096, 37,752,832 parameters, 62% of AlexNet", "[linear][fc6]") {
  const NetworkSpec network = alexnet_two_tower();
  const LayerSummary fc6 = summarize_layer(network, "fc6");
  const LayerParameters layer = initial_parameters(fc6.spec, fc6.input, 7, 6);
  CHECK(layer.weight.shape() == Shape{4096, 9216});
  CHECK(layer.bias.shape() == Shape{4096});
  const std::int64_t parameters = layer.weight.size() + layer.bias.size();
  CHECK(parameters == 37752832);
  CHECK(std::lround(100.0 * static_cast<double>(parameters) / static_cast<double>(total_parameters(network))) == 62);

  // The paper's initialisation: W ~ N(0, 0.01²), biases 1 (a hidden layer).
  double sum = 0, sum_of_squares = 0;
  for (float w : layer.weight.values()) {
    sum += w;
    sum_of_squares += static_cast<double>(w) * w;
  }
  const double count = static_cast<double>(layer.weight.size());
  // 37.7M draws: the sample mean's standard error is 0.01/√count ≈ 1.6e-6.
  CHECK(std::abs(sum / count) < 1e-5);
  CHECK(std::sqrt(sum_of_squares / count) == Approx(0.01).epsilon(0.001));
  CHECK(layer.bias.values() == std::vector<float>(4096, 1.0f));
}

TEST_CASE("FC6's two towers: each half of the rows reads all 9216 inputs; together they are the whole layer",
          "[linear][fc6][towers]") {
  const LayerSummary fc6 = summarize_layer(alexnet_two_tower(), "fc6");
  const LayerParameters layer = initial_parameters(fc6.spec, fc6.input, 7, 6);
  const TensorF x = random_tensor_float({2, 9216}, 5);
  const std::int64_t half = fc6.output[0] / 2;  // 2048 neurons per GPU
  const TensorF gpu0 = cpu::linear_forward(x, cpu::slice_rows(layer.weight, 0, half), cpu::slice_rows(layer.bias, 0, half));
  const TensorF gpu1 = cpu::linear_forward(x, cpu::slice_rows(layer.weight, half, half), cpu::slice_rows(layer.bias, half, half));
  // Each output is the same loop over the same numbers either way: equal bit for bit.
  CHECK_TENSORS_CLOSE("two halves vs whole FC6", cpu::linear_forward(x, layer.weight, layer.bias),
                      cpu::concat_channels<float>({gpu0, gpu1}), (Tolerance{0, 0}));
}

