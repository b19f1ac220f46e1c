// FC7 on the GPU against the CPU at the real shape (batch 4, 4096 -> 4096): the
// linear layer alone, and the block linear -> ReLU -> dropout with the same mask, as
// the plan of steps runs it on both sides.
#include <catch2/catch.hpp>

#include <cmath>

#include "network/cpu_network.hpp"
#include "network/cuda_network.cuh"
#include "tests/support/network_gpu_checks.hpp"
#include "network/plan.hpp"
#include "tests/support/linear_gpu_checks.hpp"

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
  check_linear_against_cpu(4, element_count(fc7.input), fc7.output[0]);
}

TEST_CASE("the FC7 block dropout(relu(W x + b)) on the GPU equals the CPU, forward and backward", "[gpu][fc7]") {
  // FC7's block of the layer table, fc7 -> relu7 -> drop7, run by the CPU reference and by the CUDA
  // executor on one device (the layer whole), with the same dropout mask.
  const Plan plan = make_plan(layer_block(alexnet_two_tower(), "fc7"));
  const LayerSummary& fc7 = plan.layers[0];
  const std::int64_t batch = 4;
  const TensorF x = random_quarters({batch, fc7.input[0]}, 1), grad_y = random_quarters({batch, fc7.output[0]}, 4);
  const Parameters<float> parameters{
      {"fc7", random_quarters(weight_shape(fc7.spec, fc7.input), 2), random_quarters({fc7.output[0]}, 3)}};
  const RunOptions training{true, 2012, 17};

  const Activations<float> cpu_forward = reference_forward(plan, parameters, x, training);
  const Gradients<float> cpu_grad = reference_backward(plan, parameters, cpu_forward, grad_y, training);
  CudaNetwork gpu(plan, parameters, {0}, chapter_kernels());
  const TensorF gpu_y = gpu.forward(x, training);
  gpu.backward(grad_y, training);
  const Gradients<float> gpu_grad = gpu.gradients();

  // Exact arithmetic on both sides (see random_quarters): identical bits.
  CHECK_TENSORS_CLOSE("FC7 block output", cpu_forward.logits(), gpu_y, (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("FC7 block grad_x", cpu_grad.input, gpu_grad.input, (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("FC7 block grad_W", cpu_grad.parameters[0].weight, gpu_grad.parameters[0].weight,
                      (Tolerance{0, 0}));
  CHECK_TENSORS_CLOSE("FC7 block grad_b", cpu_grad.parameters[0].bias, gpu_grad.parameters[0].bias, (Tolerance{0, 0}));
}
