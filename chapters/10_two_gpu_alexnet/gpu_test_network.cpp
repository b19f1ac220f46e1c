// Chapter 10 on the GPU: the two-tower executor against the CPU reference on the paper's
// whole network (batch 2, 227×227, fixed seed): logits, ∂L/∂x and every parameter's
// gradient; two towers against the one-device grouped form; the bytes that cross.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "cuda/gpu.cuh"
#include "network/cpu_network.hpp"
#include "network/cuda_network.cuh"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "tests/support/gradient_check.hpp"
#include "tests/support/tolerance.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// The paper's network, its initial parameters, a batch and one CPU forward/backward, made once.
struct PaperRun {
  Plan plan = make_plan(alexnet_two_tower());
  Parameters<float> parameters = initial_parameters(plan, 2012);
  TensorF x = random_tensor_float({2, 3, 227, 227}, 5, -100.0, 100.0);  // 0..255 pixels minus their mean
  RunOptions options{true, 42, 3};  // training: dropout on, so the masks are compared too
  TensorF grad_logits = random_tensor_float({2, 1000}, 6);
  Activations<float> forward = reference_forward(plan, parameters, x, options);
  Gradients<float> gradients = reference_backward(plan, parameters, forward, grad_logits, options);
};

const PaperRun& paper_run() {
  static const PaperRun run;
  return run;
}

void check_against_cpu(CudaNetwork& gpu, const PaperRun& cpu) {
  const TensorF logits = gpu.forward(cpu.x, cpu.options);
  CHECK_TENSORS_CLOSE("logits", cpu.forward.logits(), logits, whole_network_tolerance(cpu.forward.logits()));
  gpu.backward(cpu.grad_logits, cpu.options);
  const Gradients<float> grads = gpu.gradients();
  CHECK_TENSORS_CLOSE("grad input", cpu.gradients.input, grads.input, whole_network_tolerance(cpu.gradients.input));
  REQUIRE(grads.parameters.size() == cpu.gradients.parameters.size());
  for (std::size_t i = 0; i < grads.parameters.size(); ++i) {
    const LayerTensors<float>& expected = cpu.gradients.parameters[i];
    CHECK_TENSORS_CLOSE(expected.name + ".weight grad", expected.weight, grads.parameters[i].weight,
                        whole_network_tolerance(expected.weight));
    CHECK_TENSORS_CLOSE(expected.name + ".bias grad", expected.bias, grads.parameters[i].bias,
                        whole_network_tolerance(expected.bias));
  }
}


}  // namespace

TEST_CASE("two towers on one GPU compute what the CPU reference computes", "[gpu][network]") {
  CudaNetwork gpu(paper_run().plan, paper_run().parameters, {0, 0});
  check_against_cpu(gpu, paper_run());
}

TEST_CASE("the towers exchange 234,496 bytes per image in the forward pass", "[gpu][network]") {
  // Each way: CONV3 86,528 (128@13×13 floats), FC6 18,432 (128@6×6), FC7 8,192 (2048);
  // FC8 runs on tower 0, which receives tower 1's 8,192: 2·(86,528 + 18,432 + 8,192) + 8,192.
  CudaNetwork gpu(paper_run().plan, paper_run().parameters, {0, 0});
  gpu.forward(paper_run().x, RunOptions{});
  CHECK(gpu.forward_bytes_crossed_per_image() == 234496);
}

TEST_CASE("two towers equal the one-device grouped form", "[gpu][network]") {
  const PaperRun& run = paper_run();
  CudaNetwork towers(run.plan, run.parameters, {0, 0});
  CudaNetwork grouped(run.plan, run.parameters, {0});
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

TEST_CASE("the towers on devices 0 and 1, as in the paper", "[gpu][network][multigpu]") {
  if (gpu_count() < 2) {
    WARN("one device: the two-GPU run needs two (the emulated build has two)");
    return;
  }
  CudaNetwork gpu(paper_run().plan, paper_run().parameters, {0, 1});
  check_against_cpu(gpu, paper_run());
}

TEST_CASE("a wrong number of devices is refused", "[gpu][network]") {
  CHECK_THROWS_WITH(CudaNetwork(paper_run().plan, paper_run().parameters, {0, 0, 0}),
                    Catch::Contains("give one device per tower, or one device for the grouped form; got 3 devices"));
}
