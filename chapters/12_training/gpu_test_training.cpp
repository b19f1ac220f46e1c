// Chapter 12 on the GPU: the SGD kernel against the reference at real layer shapes, and a whole
// training step of the mini network on the two-tower executor against the CPU reference.
#include <catch2/catch.hpp>

#include "cuda/sgd.cuh"
#include "network/cuda_network.cuh"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "tests/support/check.hpp"
#include "tests/support/gpu_checks.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/network_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

TEST_CASE("cuda sgd_update equals the reference at the weight shapes of CONV2 and FC8", "[gpu][sgd]") {
  for (const Shape& shape : {Shape{256, 48, 5, 5}, Shape{1000, 4096}}) {
    const TensorF grad = random_tensor_float(shape, 1);
    TensorF weight = random_tensor_float(shape, 2), velocity = random_tensor_float(shape, 3);
    DeviceTensorF gpu_weight(weight), gpu_velocity(velocity);
    cuda::sgd_update(cuda::Context{}, DeviceTensorF(grad), 0.01, SgdParams{}, gpu_weight, gpu_velocity);
    cpu::sgd_update(grad, 0.01, SgdParams{}, weight, velocity);
    // Three products and two sums per value: nvcc may fuse them into FMAs, rounding once instead of twice.
    const Tolerance fused{1e-6, 1e-6};
    CHECK_TENSORS_CLOSE("weight", weight, gpu_weight.to_host(), fused);
    CHECK_TENSORS_CLOSE("velocity", velocity, gpu_velocity.to_host(), fused);
  }
  DeviceTensorF grad({4}), weight({4}), wrong({5});
  CHECK_THROWS_WITH(cuda::sgd_update(cuda::Context{}, grad, 0.01, SgdParams{}, weight, wrong),
                    Catch::Contains("cuda::sgd_update") && Catch::Contains("velocity"));
}

TEST_CASE("two training steps of the mini network on two towers equal the CPU reference's", "[gpu][training]") {
  // Like with like (network_gpu_checks.hpp): each step's forward checked step by step, the CPU's backward run on
  // the GPU's activations and from the GPU's logits, so that both sides take the same decisions; the CPU's SGD
  // then updates its own weights with its own gradients, which stay within rounding of the GPU's.
  const Plan plan = make_plan(alexnet_mini());
  const TensorF x = random_tensor_float({4, 3, 32, 32}, 4, -0.5, 0.5);
  const std::vector<std::int64_t> labels{1, 7, 3, 0};
  const auto grad_logits = [&](const TensorF& logits) {
    return cpu::softmax_cross_entropy_backward(cpu::softmax_forward(logits), labels);
  };
  Parameters<float> cpu = initial_parameters(plan, 3), cpu_velocity = allocate_parameters(plan);
  CudaNetwork gpu(plan, cpu, {0, 0}, chapter_kernels());
  for (std::uint64_t step = 0; step < 2; ++step) {  // the second step uses the first one's velocity
    const RunOptions options{true, 9, step};
    const Activations<float> on_gpu =
        check_forward_like_with_like(gpu, plan, cpu, reference_forward(plan, cpu, x, options), options);
    const Gradients<float> grads =
        check_backward_like_with_like(gpu, plan, cpu, on_gpu, grad_logits(on_gpu.logits()), options);
    for (std::size_t k = 0; k < cpu.size(); ++k) {
      cpu::sgd_update(grads.parameters[k].weight, 0.01, SgdParams{}, cpu[k].weight, cpu_velocity[k].weight);
      cpu::sgd_update(grads.parameters[k].bias, 0.01, SgdParams{}, cpu[k].bias, cpu_velocity[k].bias);
    }
    gpu.sgd_step(0.01, SgdParams{});
  }
  const Parameters<float> after = gpu.parameters(), velocity = gpu.velocity();
  for (std::size_t k = 0; k < cpu.size(); ++k) {
    CHECK_TENSORS_CLOSE(cpu[k].name + ".weight", cpu[k].weight, after[k].weight, whole_network_tolerance(cpu[k].weight));
    CHECK_TENSORS_CLOSE(cpu[k].name + ".bias", cpu[k].bias, after[k].bias, whole_network_tolerance(cpu[k].bias));
    CHECK_TENSORS_CLOSE(cpu[k].name + " velocity", cpu_velocity[k].weight, velocity[k].weight,
                        whole_network_tolerance(cpu_velocity[k].weight));
  }
}

TEST_CASE("the executor's velocity goes out and back in unchanged (resuming on a GPU)", "[gpu][training]") {
  const Plan plan = make_plan(alexnet_mini());
  const Parameters<float> velocity = initial_parameters(plan, 8);  // any values of the right shapes
  CudaNetwork network(plan, initial_parameters(plan, 7), {0, 0}, chapter_kernels());
  network.set_velocity(velocity);
  const Parameters<float> back = network.velocity();
  for (std::size_t k = 0; k < velocity.size(); ++k) {
    CHECK(back[k].weight.values() == velocity[k].weight.values());
    CHECK(back[k].bias.values() == velocity[k].bias.values());
  }
}
