// FC7 on the CPU: its parameters from the built tensors, and the whole block
// linear -> ReLU -> dropout checked against central differences in double.
#include <catch2/catch.hpp>

#include "reference_cpu/dropout.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/relu.hpp"
#include "tests/support/gradient_check.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("FC7 built from the layer table: 4096 -> 4096, 16,781,312 parameters", "[linear][fc7]") {
  const LayerSummary fc7 = summarize_layer(alexnet_two_tower(), "fc7");
  CHECK(fc7.input == Shape{4096});  // FC6's output: both towers' 2048 neurons
  CHECK(fc7.spec.relu);
  CHECK(fc7.spec.dropout);
  const LayerParameters layer = initial_parameters(fc7.spec, fc7.input, 7, 7);
  CHECK(layer.weight.shape() == Shape{4096, 4096});
  CHECK(layer.weight.size() + layer.bias.size() == 16781312);
  CHECK(layer.bias.values() == std::vector<float>(4096, 1.0f));  // a hidden layer: biases 1
}

TEST_CASE("the FC7 block dropout(relu(W x + b)) backpropagates correctly in double", "[fc7][gradient]") {
  // A small stand-in for 4096 -> 4096 (the chain is the same at any size).
  TensorD x = random_tensor({3, 12}, 1), weight = random_tensor({10, 12}, 2), bias = random_tensor({10}, 3);
  const DropoutParams dropout{0.5, 7, 1, true};
  const auto forward = [&] {
    return cpu::dropout_forward(cpu::relu_forward(cpu::linear_forward(x, weight, bias)), dropout);
  };
  const TensorD grad_y = random_tensor({3, 10}, 4);
  // Backward, in the reverse order of the forward pass.
  const TensorD pre_activation = cpu::linear_forward(x, weight, bias);
  const TensorD grad_pre = cpu::relu_backward(pre_activation, cpu::dropout_backward(grad_y, dropout));
  const cpu::LinearGradients<double> grad = cpu::linear_backward(x, weight, grad_pre);
  // The ReLU's kink: no pre-activation may lie within h = 1e-6 of 0 (the seeds above keep them away).
  for (double v : pre_activation.values()) REQUIRE(std::abs(v) > 1e-4);
  CHECK_TENSORS_CLOSE("FC7 block grad_x", numerical_gradient(forward, x, grad_y), grad.input, gradient_tolerance());
  CHECK_TENSORS_CLOSE("FC7 block grad_W", numerical_gradient(forward, weight, grad_y), grad.weight,
                      gradient_tolerance());
  CHECK_TENSORS_CLOSE("FC7 block grad_b", numerical_gradient(forward, bias, grad_y), grad.bias,
                      gradient_tolerance());
}
