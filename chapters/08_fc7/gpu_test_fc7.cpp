// FC7 on the GPU against the CPU at the real shape (batch 4, 4096 -> 4096): the
// linear layer alone, and the block linear -> ReLU -> dropout with the same mask.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/support/linear_gpu_checks.hpp"
#include "cuda/dropout.cuh"
#include "cuda/relu.cuh"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/relu.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// Uniform multiples of 1/4 in [−1, 1]. Products are multiples of 1/16 and sums of
// 4096 of them stay below 2^16 such steps, far inside float's 24 bits: every sum
// is exact in any order, so CPU and GPU agree bit for bit — and the ReLU sees the
// same signs on both (no pre-activation can round across 0 on one side only).
TensorF random_quarters(const Shape& shape, std::uint64_t stream) {
  TensorF t = random_tensor_float(shape, stream);
  for (std::int64_t i = 0; i < t.size(); ++i) t[i] = std::round(t[i] * 4.0f) / 4.0f;
  return t;
}

}  // namespace

TEST_CASE("cuda linear equals the CPU at FC7's shape: batch 4, 4096 -> 4096", "[gpu][linear][fc7]") {
  const LayerSummary fc7 = summarize_layer(alexnet_two_tower(), "fc7");
  check_linear_against_cpu(4, element_count(fc7.input), fc7.spec.out_channels);
}

TEST_CASE("the FC7 block dropout(relu(W x + b)) on the GPU equals the CPU, forward and backward", "[gpu][fc7]") {
  const std::int64_t batch = 4, width = 4096;
  const TensorF x = random_quarters({batch, width}, 1), weight = random_quarters({width, width}, 2);
  const TensorF bias = random_quarters({width}, 3), grad_y = random_quarters({batch, width}, 4);
  const DropoutParams dropout{0.5, 2012, 17, true};

  // CPU: forward, then backward in reverse order.
  const TensorF pre = cpu::linear_forward(x, weight, bias);
  const TensorF y = cpu::dropout_forward(cpu::relu_forward(pre), dropout);
  const TensorF grad_pre = cpu::relu_backward(pre, cpu::dropout_backward(grad_y, dropout));
  const cpu::LinearGradients<float> grad = cpu::linear_backward(x, weight, grad_pre);

  DeviceTensorF x_d(x), weight_d(weight), bias_d(bias), grad_y_d(grad_y);
  DeviceTensorF pre_d(pre.shape()), relu_d(pre.shape()), y_d(pre.shape()), grad_relu_d(pre.shape()),
      grad_pre_d(pre.shape()), grad_x_d(x.shape()), grad_weight_d(weight.shape()), grad_bias_d(bias.shape());
  const cuda::Context context{};
  cuda::linear_forward(context, x_d, weight_d, bias_d, pre_d);
  cuda::relu_forward(context, pre_d, relu_d);
  cuda::dropout_forward(context, relu_d, dropout, y_d);
  cuda::dropout_backward(context, grad_y_d, dropout, grad_relu_d);
  cuda::relu_backward(context, pre_d, grad_relu_d, grad_pre_d);
  cuda::linear_backward(context, x_d, weight_d, grad_pre_d, grad_x_d, grad_weight_d, grad_bias_d);

  // Exact arithmetic on both sides (see random_quarters): identical bits.
  CHECK_TENSORS_CLOSE("FC7 block output", y, y_d.to_host(), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("FC7 block grad_x", grad.input, grad_x_d.to_host(), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("FC7 block grad_W", grad.weight, grad_weight_d.to_host(), (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("FC7 block grad_b", grad.bias, grad_bias_d.to_host(), (Tolerance{0, 0}));
}
