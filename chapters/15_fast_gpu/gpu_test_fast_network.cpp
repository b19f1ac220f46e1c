// Chapter 15 on the GPU: the whole network on the fast kernels against the CPU reference, like with like (each
// step on the GPU's own input, the decisions that differ counted, the CPU's backward on the GPU's activations),
// on two towers and in the one-device grouped form; the three kernel sets against each other; the
// first layer's ∂x left out without changing any parameter gradient; buffers kept from one step to the next; the
// timeline of a pass (CUDA events around each step on each tower).
#include <catch2/catch.hpp>
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "network/cuda_network.cuh"
#include "tests/support/gradient_check.hpp"
#include "tests/support/network_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// A network, its initial parameters, a batch and the CPU's training forward on it.
struct Run {
  Run(NetworkSpec spec, const Shape& batch)
      : plan(make_plan(std::move(spec))),
        parameters(initial_parameters(plan, 2012)),
        cpu(reference_forward(plan, parameters, random_tensor_float(batch, 5, -1.0, 1.0), options)),
        grad_logits(random_tensor_float(cpu.logits().shape(), 6)) {}
  Plan plan;
  Parameters<float> parameters;
  RunOptions options{true, 42, 3};  // training: dropout on
  Activations<float> cpu;
  TensorF grad_logits;
};

}  // namespace

TEST_CASE("the mini networks on the fast kernels compute what the CPU reference computes", "[gpu][fast][network]") {
  for (const Normalization normalization : {Normalization::Lrn, Normalization::BatchNorm, Normalization::GroupNorm}) {
    const Run run(alexnet_mini(normalization), {4, 3, 32, 32});
    for (const std::vector<int>& gpus : {std::vector<int>{0, 0}, std::vector<int>{0}}) {
      INFO(run.plan.spec.name << ", devices: " << gpus.size());
      CudaNetwork gpu(run.plan, run.parameters, gpus, fast_kernels());
      check_pass_like_with_like(gpu, run.plan, run.parameters, run.cpu, run.grad_logits, run.options);
    }
  }
}

TEST_CASE("the paper's network on the fast kernels computes what the CPU reference computes",
          "[gpu][fast][network][slow]") {
  const Run run(alexnet_two_tower(), {2, 3, 227, 227});
  CudaNetwork gpu(run.plan, run.parameters, {0, 0}, fast_kernels());
  check_pass_like_with_like(gpu, run.plan, run.parameters, run.cpu, run.grad_logits, run.options);
}

TEST_CASE("the three kernel sets agree, and the first layer's ∂x can be left out", "[gpu][fast][network]") {
  // 3 images, and a workspace for two of conv1's: its columns come in chunks of 2 and 1.
  const Run run(alexnet_mini(), {3, 3, 32, 32});
  const std::int64_t two_images = 2 * (27 + 24 + 1) * 32 * 32 * static_cast<std::int64_t>(sizeof(float));
  CudaNetwork fast(run.plan, run.parameters, {0, 0}, GpuOptions{GpuKernels::Fast, GpuPrecision::Fp32, two_images});
  const TensorF& x = run.cpu.input;
  const TensorF logits = fast.forward(x, run.options);
  fast.backward(run.grad_logits, run.options);
  const Gradients<float> with_input = fast.gradients();
  for (const GpuOptions& options : {course_kernels(), chapter_kernels()}) {
    INFO(to_string(options.kernels) << " kernels against the fast ones");
    CudaNetwork other(run.plan, run.parameters, {0, 0}, options);
    CHECK_TENSORS_CLOSE("logits", other.forward(x, run.options), logits, whole_network_tolerance(logits));
    other.backward(run.grad_logits, run.options);
    check_network_gradients(run.plan, other.gradients(), with_input);
  }

  // A second step on the same batch size reuses every buffer: the same results, bit for bit.
  fast.set_input_gradient(false);
  CHECK(fast.forward(x, run.options).values() == logits.values());
  fast.backward(run.grad_logits, run.options);
  const Gradients<float> without_input = fast.gradients();
  for (std::size_t k = 0; k < with_input.parameters.size(); ++k) {
    CHECK(without_input.parameters[k].weight.values() == with_input.parameters[k].weight.values());
    CHECK(without_input.parameters[k].bias.values() == with_input.parameters[k].bias.values());
  }
  CHECK(without_input.input.values() == std::vector<float>(static_cast<std::size_t>(x.size()), 0.0f));
}

TEST_CASE("a training step after the first of its batch size allocates no device memory", "[gpu][fast][network]") {
#if ALEXNET_EMULATED_GPU
  // cudaMalloc and cudaFree synchronise the device: the executor keeps every buffer from one step to the next,
  // the statistics a normalization's forward hands to its backward included.
  for (const Normalization normalization : {Normalization::Lrn, Normalization::BatchNorm, Normalization::GroupNorm}) {
    const Run run(alexnet_mini(normalization), {4, 3, 32, 32});
    for (const GpuOptions& options : {fast_kernels(), course_kernels(), chapter_kernels()}) {
      INFO(run.plan.spec.name << ", " << to_string(options.kernels) << " kernels");
      CudaNetwork gpu(run.plan, run.parameters, {0, 0}, options);
      gpu.set_input_gradient(false);
      const auto step = [&](std::uint64_t number) {
        const RunOptions training{true, 42, number};
        gpu.forward(run.cpu.input, training);
        gpu.backward(run.grad_logits, training);
        gpu.sgd_step(0.01, SgdParams{});
      };
      const std::uint64_t constructed = alexnet::emulator::allocation_count();
      step(0);  // the first step of a batch size allocates its buffers: the count sees them
      const std::uint64_t before = alexnet::emulator::allocation_count();
      REQUIRE(before > constructed);
      step(1);
      step(2);
      CHECK(alexnet::emulator::allocation_count() == before);
    }
  }
#else
  WARN("counting allocations needs the emulated device; run this program on it (the emulated preset)");
#endif
}

TEST_CASE("TF32 needs the fast kernels", "[gpu][fast][tf32]") {
  const Plan plan = make_plan(alexnet_mini());
  const GpuOptions course_tf32{GpuKernels::Course, GpuPrecision::Tf32, 0};
  CHECK_THROWS_WITH(CudaNetwork(plan, initial_parameters(plan, 1), {0}, course_tf32),
                    Catch::Contains("TF32 needs --kernels fast"));
}

TEST_CASE("the timeline holds every step of both passes, in stream order on each tower", "[gpu][fast][network]") {
  const Run run(alexnet_mini(), {4, 3, 32, 32});
  CudaNetwork gpu(run.plan, run.parameters, {0, 0}, fast_kernels());
  gpu.set_timeline(true);
  gpu.forward(run.cpu.input, run.options);
  gpu.backward(run.grad_logits, run.options);
  const std::vector<CudaNetwork::TimelineSpan>& spans = gpu.timeline();
  for (const bool backward : {false, true}) {
    std::vector<std::string> tower_0_steps;
    for (int tower = 0; tower < 2; ++tower) {
      double previous_end = 0.0;
      for (const CudaNetwork::TimelineSpan& span : spans) {
        if (span.backward != backward || span.tower != tower) continue;
        INFO((backward ? "backward " : "forward ") << span.step << " on tower " << tower);
        CHECK(span.start_ms >= previous_end);  // a stream runs its steps one after another
        CHECK(span.end_ms >= span.start_ms);
        previous_end = span.end_ms;
        if (tower == 0) tower_0_steps.push_back(span.step);
      }
    }
    // Tower 0 runs every step (FC8 and the dropout before it only there), forward in order, backward reversed.
    std::vector<std::string> expected;
    for (const Step& step : run.plan.steps) expected.push_back(step.name);
    if (backward) std::reverse(expected.begin(), expected.end());
    CHECK(tower_0_steps == expected);
  }
  const auto on_tower_1 = [&](const std::string& step) {
    return std::any_of(spans.begin(), spans.end(),
                       [&](const CudaNetwork::TimelineSpan& s) { return s.tower == 1 && s.step == step; });
  };
  CHECK(on_tower_1("conv1"));
  CHECK_FALSE(on_tower_1("fc8"));
}
