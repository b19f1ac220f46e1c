// Chapter 14's variants on the two-tower executor against the CPU reference: each tower normalizes its own
// channels (batch normalization) or its own groups (group normalization), so the towers need no new join.
// Logits, ∂L/∂x, every parameter's gradient and the running statistics after one training forward; test mode
// on the running statistics; the groups that would cross the towers refused.
#include <catch2/catch.hpp>

#include "chapters/14_normalization/normalization_checks.hpp"
#include "cuda/gpu.cuh"
#include "network/cpu_network.hpp"
#include "network/cuda_network.cuh"
#include "tests/support/network_gpu_checks.hpp"

using namespace alexnet;
using namespace alexnet::testing;

namespace {

// A mini variant, random parameters and a batch, and the CPU reference's training forward on them.
struct NormalizedRun {
  explicit NormalizedRun(Normalization normalization) : plan(make_plan(alexnet_mini(normalization))) {
    randomize_parameters(plan, parameters, 21);
    forward = reference_forward(plan, parameters, x, options);
    updated = parameters;
    update_running_statistics(plan, forward, updated);
  }
  Plan plan;
  Parameters<float> parameters = initial_parameters(plan, 2012);
  TensorF x = random_tensor_float({8, 3, 32, 32}, 5, -0.5, 0.5);  // pixels − mean, scaled by 1/255
  RunOptions options{true, 42, 3};                                 // training: batch statistics, dropout on
  TensorF grad_logits = random_tensor_float({8, 10}, 6);
  Activations<float> forward;
  Parameters<float> updated;  // the running statistics after the CPU's update
};

// The device sets: the one-device grouped form, both towers on device 0, and devices 0 and 1 when there are two.
std::vector<std::vector<int>> device_sets() {
  std::vector<std::vector<int>> sets{{0}, {0, 0}};
  if (gpu_count() >= 2) sets.push_back({0, 1});
  return sets;
}

std::string devices_text(const std::vector<int>& gpus) {
  std::string text;
  for (const int gpu : gpus) text += (text.empty() ? "{" : ", ") + std::to_string(gpu);
  return text + "}";
}

}  // namespace

TEST_CASE("the towers normalize their own channels: mini-batchnorm and mini-groupnorm equal the CPU reference",
          "[gpu][network][batchnorm][groupnorm]") {
  for (const Normalization normalization : {Normalization::BatchNorm, Normalization::GroupNorm}) {
    const NormalizedRun cpu(normalization);
    for (const std::vector<int>& gpus : device_sets()) {
      INFO(cpu.plan.spec.name << ", devices " << devices_text(gpus));
      CudaNetwork gpu(cpu.plan, cpu.parameters, gpus, chapter_kernels());
      // Like with like (network_gpu_checks.hpp); γ and β are the weight and bias.
      check_pass_like_with_like(gpu, cpu.plan, cpu.parameters, cpu.forward, cpu.grad_logits, cpu.options);
      // The training forward moved the running statistics on the GPUs; parameters() brings them back.
      const Parameters<float> after = gpu.parameters();
      for (std::size_t i = 0; i < after.size(); ++i) {
        const LayerTensors<float>& expected = cpu.updated[i];
        CHECK(after[i].weight.values() == expected.weight.values());  // no SGD step: the weights as uploaded
        REQUIRE(after[i].running_mean.size() == expected.running_mean.size());
        if (expected.running_mean.size() == 0) continue;
        CHECK_TENSORS_CLOSE(expected.name + ".running_mean", expected.running_mean, after[i].running_mean,
                            whole_network_tolerance(expected.running_mean));
        CHECK_TENSORS_CLOSE(expected.name + ".running_var", expected.running_var, after[i].running_var,
                            whole_network_tolerance(expected.running_var));
      }
    }
  }
}

TEST_CASE("test mode on the GPU normalizes with the running statistics and leaves them", "[gpu][network][batchnorm]") {
  const NormalizedRun cpu(Normalization::BatchNorm);
  const RunOptions test_mode{false, 42, 3};
  const TensorF expected = reference_forward(cpu.plan, cpu.updated, cpu.x, test_mode).logits();
  for (const std::vector<int>& gpus : device_sets()) {
    INFO("devices " << devices_text(gpus));
    CudaNetwork gpu(cpu.plan, cpu.updated, gpus, chapter_kernels());  // running statistics other than 0 and 1, uploaded
    CHECK_TENSORS_CLOSE("test-mode logits", expected, gpu.forward(cpu.x, test_mode), whole_network_tolerance(expected));
    const Parameters<float> after = gpu.parameters();
    for (std::size_t i = 0; i < after.size(); ++i) {
      CHECK(after[i].running_mean.values() == cpu.updated[i].running_mean.values());
      CHECK(after[i].running_var.values() == cpu.updated[i].running_var.values());
    }
    // Running statistics have no velocity; they come as allocate_parameters makes them (mean 0, variance 1).
    const Parameters<float> velocity = gpu.velocity();
    CHECK(velocity[1].running_mean.values() == std::vector<float>(24, 0.0f));
    CHECK(velocity[1].running_var.values() == std::vector<float>(24, 1.0f));
    CHECK_THROWS_WITH(gpu.backward(cpu.grad_logits, test_mode),
                      Catch::Contains("bn5: the backward of batch normalization runs after a training-mode forward"));
  }
}

TEST_CASE("group normalization whose groups would cross the towers is refused", "[gpu][network][groupnorm]") {
  // 6 maps in 3 groups of 2: the towers hold maps 0-2 and 3-5, and group 1 (maps 2, 3) would span both.
  NetworkSpec spec{"odd groups", 2, {3, 8, 8}, {conv("conv1", 6, 3, 1, 1, 1, 0), group_norm("gn1", 3)}};
  spec.layers.push_back(fully_connected("fc2", 4, false));
  std::swap(spec.layers[0].relu, spec.layers[1].relu);  // conv → norm → ReLU
  const Plan plan = make_plan(spec);
  const Parameters<float> parameters = initial_parameters(plan, 1);
  CHECK_THROWS_WITH(CudaNetwork(plan, parameters, {0, 0}),
                    "gn1: group normalization of 3 groups cannot run on 2 towers (a group would cross them)");
  CudaNetwork grouped(plan, parameters, {0}, chapter_kernels());  // one device: the whole layer, 3 groups
  const TensorF x = random_tensor_float({2, 3, 8, 8}, 1);
  const TensorF expected = reference_forward(plan, parameters, x, RunOptions{}).logits();
  CHECK_TENSORS_CLOSE("logits", expected, grouped.forward(x, RunOptions{}), whole_network_tolerance(expected));
}
