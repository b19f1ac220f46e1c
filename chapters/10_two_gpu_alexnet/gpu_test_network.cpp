// Chapter 10 on the GPU: the two-tower executor against the CPU reference on the paper's
// whole network (batch 2, 227×227, fixed seed), like with like: every step on the same input,
// the decisions that differ counted, every gradient of a CPU backward on the GPU's own
// activations; two towers against the one-device grouped form; the bytes that cross. And the
// naive comparison with the CPU's own forward, which a real GPU fails (hidden: [.naive]).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "cuda/gpu.cuh"
#include "network/cpu_network.hpp"
#include "network/cuda_network.cuh"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/network_gpu_checks.hpp"
#include "tests/support/tolerance.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// The paper's network, its initial parameters, a batch (drawn with `input_seed`) and the CPU's forward.
struct PaperRun {
  explicit PaperRun(std::uint64_t input_seed)
      : x(random_tensor_float({2, 3, 227, 227}, input_seed, -100.0, 100.0)) {}  // 0..255 pixels minus their mean
  Plan plan = make_plan(alexnet_two_tower());
  Parameters<float> parameters = initial_parameters(plan, 2012);
  TensorF x;
  RunOptions options{true, 42, 3};  // training: dropout on, so the masks are compared too
  TensorF grad_logits = random_tensor_float({2, 1000}, 6);
  Activations<float> forward = reference_forward(plan, parameters, x, options);
};

const PaperRun& paper_run() {
  static const PaperRun run(5);
  return run;
}

void check_against_cpu(CudaNetwork& gpu, const PaperRun& cpu) {
  check_pass_like_with_like(gpu, cpu.plan, cpu.parameters, cpu.forward, cpu.grad_logits, cpu.options);
}

}  // namespace

TEST_CASE("two towers on one GPU compute what the CPU reference computes", "[gpu][network][slow]") {
  CudaNetwork gpu(paper_run().plan, paper_run().parameters, {0, 0}, chapter_kernels());
  check_against_cpu(gpu, paper_run());
}

// The same check on the mini network (32×32 input, two towers, the same kinds of steps): small enough for
// compute-sanitizer's memcheck and racecheck, which scripts/gpu_check.sh runs on the cases not tagged [slow].
TEST_CASE("the mini network's two towers on one GPU compute what the CPU reference computes", "[gpu][network]") {
  const Plan plan = make_plan(alexnet_mini());
  const Parameters<float> parameters = initial_parameters(plan, 2012);
  const RunOptions options{true, 42, 3};
  const Activations<float> cpu =
      reference_forward(plan, parameters, random_tensor_float({4, 3, 32, 32}, 5, -0.5, 0.5), options);
  CudaNetwork gpu(plan, parameters, {0, 0}, chapter_kernels());
  check_pass_like_with_like(gpu, plan, parameters, cpu, random_tensor_float({4, 10}, 6), options);
}

// The comparison this chapter first made: the GPU's logits and gradients against the CPU's own forward and
// backward. Where a max-pooling window holds a near-tie or a ReLU input is near 0, the GPU's rounding can decide
// it the other way and a gradient goes to another element: on an H200 its first version failed 9 of 31
// assertions (conv1–conv5 weight gradients, ∂x). Kept, hidden, to show it: the emulated device, which rounds like a GPU,
// fails it too (ctest's naive_whole_network_comparison_fails).
TEST_CASE("naive: the GPU's gradients equal those of the CPU's own forward", "[.naive][gpu][network][slow]") {
  // A near-tie that rounding tips over is rare (on the H200, one of 244,928 pooling windows): on the emulated
  // device the batches of input seeds 5 and 6 hold none, the batch of seed 7 holds one.
  static const PaperRun cpu(7);
  CudaNetwork gpu(cpu.plan, cpu.parameters, {0, 0}, chapter_kernels());
  const TensorF logits = gpu.forward(cpu.x, cpu.options);
  CHECK_TENSORS_CLOSE("logits", cpu.forward.logits(), logits, whole_network_tolerance(cpu.forward.logits()));
  gpu.backward(cpu.grad_logits, cpu.options);
  check_network_gradients(cpu.plan,
                          reference_backward(cpu.plan, cpu.parameters, cpu.forward, cpu.grad_logits, cpu.options),
                          gpu.gradients());
}

TEST_CASE("the towers exchange 234,496 bytes per image in the forward pass", "[gpu][network][slow]") {
  // Each way: CONV3 86,528 (128@13×13 floats), FC6 18,432 (128@6×6), FC7 8,192 (2048);
  // FC8 runs on tower 0, which receives tower 1's 8,192: 2·(86,528 + 18,432 + 8,192) + 8,192.
  CudaNetwork gpu(paper_run().plan, paper_run().parameters, {0, 0}, chapter_kernels());
  gpu.forward(paper_run().x, RunOptions{});
  CHECK(gpu.forward_bytes_crossed_per_image() == 234496);
}

TEST_CASE("two towers equal the one-device grouped form", "[gpu][network][slow]") {
  const PaperRun& run = paper_run();
  CudaNetwork towers(run.plan, run.parameters, {0, 0}, chapter_kernels());
  CudaNetwork grouped(run.plan, run.parameters, {0}, chapter_kernels());
  const TensorF logits = towers.forward(run.x, run.options);
  // Each output is summed in the same order by both forms: only the backward's joins add in another order.
  CHECK_TENSORS_CLOSE("logits", grouped.forward(run.x, run.options), logits, (Tolerance{0.0, 0.0}));
  towers.backward(run.grad_logits, run.options);
  grouped.backward(run.grad_logits, run.options);
  const Gradients<float> a = towers.gradients();
  const Gradients<float> b = grouped.gradients();
  CHECK_TENSORS_CLOSE("grad input", b.input, a.input, whole_network_tolerance(b.input));
  for (std::size_t i = 0; i < a.parameters.size(); ++i) {
    CHECK_TENSORS_CLOSE(a.parameters[i].name + ".weight grad", b.parameters[i].weight, a.parameters[i].weight,
                        whole_network_tolerance(b.parameters[i].weight));
  }
}

TEST_CASE("the towers on devices 0 and 1, as in the paper", "[gpu][network][multigpu][slow]") {
  if (gpu_count() < 2) {
    WARN("one device: the two-GPU run needs two (the emulated build has two)");
    return;
  }
  CudaNetwork gpu(paper_run().plan, paper_run().parameters, {0, 1}, chapter_kernels());
  check_against_cpu(gpu, paper_run());
}

TEST_CASE("a wrong number of devices is refused", "[gpu][network]") {
  CHECK_THROWS_WITH(CudaNetwork(paper_run().plan, paper_run().parameters, {0, 0, 0}),
                    Catch::Contains("give one device per tower, or one device for the grouped form; got 3 devices"));
}
