// fc_demo: builds one fully connected layer of AlexNet from the layer table, as a
// plan of steps (network/plan.hpp) with the paper's initialisation, runs a random
// batch through it on the CPU and, when there is one, on the GPU, and prints
// shapes, parameters, the largest CPU–GPU difference and the times.
//
//   fc_demo --layer fc6   flatten -> FC6 -> ReLU -> dropout    (chapter 07)
//   fc_demo --layer fc7   FC7 -> ReLU -> dropout              (chapter 08)
//   fc_demo --layer fc8   FC8 -> softmax -> cross-entropy     (chapter 09)
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "network/cpu_network.hpp"
#include "network/plan.hpp"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/softmax_cross_entropy.hpp"
#include "reference_cpu/timer.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/device_tensor.cuh"
#include "cuda/dropout.cuh"
#include "cuda/flatten.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "cuda/linear.cuh"
#include "cuda/relu.cuh"
#include "cuda/softmax_cross_entropy.cuh"
#endif

using namespace alexnet;

namespace {

constexpr std::int64_t kBatch = 4;
constexpr std::uint64_t kSeed = 2012;

// One layer as a plan of steps, built, and a batch for it.
struct Experiment {
  LayerSummary layer;                // the row, with its shapes and counts in the whole network
  Plan plan;                         // flatten (before FC6), the layer, its ReLU and dropout
  Parameters<float> parameters;      // the layer's weight and bias
  TensorF input;                     // [N, C, H, W] before FC6, else [N, in]
  std::vector<std::int64_t> labels;  // FC8's targets
  RunOptions options{true, kSeed, 0};  // training: dropout on
};

Experiment build(const std::string& name) {
  const NetworkSpec network = alexnet_two_tower();
  const LayerSummary layer = summarize_layer(network, name);
  const Plan plan = make_plan(layer_block(network, name));
  Shape input_shape{kBatch};
  input_shape.insert(input_shape.end(), layer.input.begin(), layer.input.end());
  // Weights and dropout masks come from streams keyed by the layer's name: those of the whole network.
  Experiment e{layer, plan, initial_parameters(plan, kSeed), TensorF(input_shape), {}};
  fill_uniform(e.input, kSeed, 1, 0.0, 1.0);  // after a ReLU, activations are >= 0
  RandomStream classes(kSeed, 2);
  for (std::int64_t n = 0; n < kBatch; ++n) e.labels.push_back(classes.below(layer.output[0]));
  return e;
}

// The probability of the plan's dropout step (0 without one).
double dropout_probability(const Plan& plan) {
  for (const Step& step : plan.steps) {
    if (const auto* dropout = std::get_if<DropoutStep>(&step.op)) return dropout->p;
  }
  return 0.0;
}

// The layer's output on the CPU: dropout(relu(W·x + b)) for FC6, FC7; the logits for FC8.
TensorF cpu_forward(const Experiment& e) {
  return reference_forward(e.plan, e.parameters, e.input, e.options).logits();
}

void print_layer(const Experiment& e) {
  const LayerSpec& spec = e.layer.spec;
  const LayerTensors<float>& layer = e.parameters[0];
  const std::int64_t parameters = count_parameters(e.parameters);
  const std::int64_t total = total_parameters(alexnet_two_tower());
  std::printf("%s: input %s per image -> %lld outputs%s\n", spec.name.c_str(), to_string(e.layer.input).c_str(),
              static_cast<long long>(e.layer.output[0]),
              spec.split_in_towers ? " (two towers of half each, every neuron reads both towers)" : " (one layer)");
  std::printf("weight %s + bias %s\n", to_string(layer.weight.shape()).c_str(), to_string(layer.bias.shape()).c_str());
  std::printf("parameters: %lld = (%lld + 1) x %lld, %.1f%% of the network's %lld\n",
              static_cast<long long>(parameters), static_cast<long long>(layer.weight.dim(1)),
              static_cast<long long>(e.layer.output[0]),
              100.0 * static_cast<double>(parameters) / static_cast<double>(total), static_cast<long long>(total));
  std::printf("multiply-adds per image: %lld\n", static_cast<long long>(e.layer.multiply_adds));
}

void print_cpu_results(const Experiment& e, const TensorF& output, double ms) {
  std::printf("\nCPU, batch %lld: output %s in %.1f ms\n", static_cast<long long>(kBatch),
              to_string(output.shape()).c_str(), ms);
  if (e.layer.spec.relu) {
    std::int64_t zeros = 0;
    for (float v : output.values()) zeros += v == 0.0f ? 1 : 0;
    std::printf("zeros after ReLU and dropout (p = %.1f): %.1f%%\n", dropout_probability(e.plan),
                100.0 * static_cast<double>(zeros) / static_cast<double>(output.size()));
    return;
  }
  std::printf("cross-entropy %.4f (a uniform guess over %lld classes gives ln %lld = %.4f), top-1 %.2f, top-5 %.2f\n",
              cpu::softmax_cross_entropy_forward(output, e.labels), static_cast<long long>(output.dim(1)),
              static_cast<long long>(output.dim(1)), std::log(static_cast<double>(output.dim(1))),
              cpu::top_k_accuracy(output, e.labels, 1), cpu::top_k_accuracy(output, e.labels, 5));
}

#if ALEXNET_WITH_CUDA
// The experiment on the GPU: the batch, the layer's weight and bias, and one output per step of the plan.
struct GpuTensors {
  DeviceTensorF input, weight, bias;
  std::vector<DeviceTensorF> outputs;
};

GpuTensors upload(const Experiment& e) {
  GpuTensors g{DeviceTensorF(e.input), DeviceTensorF(e.parameters[0].weight), DeviceTensorF(e.parameters[0].bias), {}};
  for (const Step& step : e.plan.steps) g.outputs.emplace_back(Shape{kBatch, step.output.at(0)});
  return g;
}

// Every step of the plan as a CUDA kernel, the linear layer with kernel `version`.
void gpu_forward(const Experiment& e, const cuda::Context& context, cuda::LinearVersion version, GpuTensors& g) {
  const RunOptions& o = e.options;
  for (std::size_t i = 0; i < e.plan.steps.size(); ++i) {
    const Step& step = e.plan.steps[i];
    const DeviceTensorF& x = i == 0 ? g.input : g.outputs[i - 1];
    DeviceTensorF& y = g.outputs[i];
    std::visit(Overloaded{
                   [&](const FlattenStep&) { cuda::flatten_forward(context, x, y); },
                   [&](const LinearStep&) { cuda::linear_forward(context, x, g.weight, g.bias, y, version); },
                   [&](const ReluStep&) { cuda::relu_forward(context, x, y); },
                   [&](const DropoutStep& d) {
                     cuda::dropout_forward(context, x, dropout_params(d, o.seed, o.step, o.training), y);
                   },
                   [&](const auto&) {
                     throw std::logic_error("fc_demo: " + step.name + " is not a step of a fully connected block");
                   },
               },
               step.op);
  }
}

// The same layer on the GPU; prints the largest difference from the CPU and the times.
void run_on_gpu(const Experiment& e, const TensorF& cpu_output) {
  const cuda::Context context{};  // device 0, its default stream
  GpuTensors g = upload(e);
  std::printf("\nGPU: %s\n", gpu_description().c_str());
  for (cuda::LinearVersion version : {cuda::LinearVersion::Naive, cuda::LinearVersion::Tiled}) {
    const double ms = median_gpu_time_ms([&] { gpu_forward(e, context, version, g); });
    const Comparison diff = compare(cpu_output, g.outputs.back().to_host(), Tolerance{1e-4, 1e-4});
    std::printf("%-5s kernel: %.3f ms, max |GPU - CPU| = %.2e\n",
                version == cuda::LinearVersion::Naive ? "naive" : "tiled", ms, diff.max_abs_error);
  }
  if (!e.layer.spec.relu) {
    const DeviceTensorF& logits = g.outputs.back();
    const DeviceTensor<std::int64_t> labels = cuda::upload_labels(context, e.labels, logits.shape()[1]);
    DeviceTensorF probabilities(logits.shape()), loss({1});
    cuda::softmax_cross_entropy_forward(context, logits, labels, probabilities, loss);
    std::printf("cross-entropy on the GPU %.4f\n", static_cast<double>(loss.to_host()[0]));
  }
}
#endif

void run_on_gpu_if_present(const Experiment& e, const TensorF& cpu_output) {
#if ALEXNET_WITH_CUDA
  if (gpu_available()) return run_on_gpu(e, cpu_output);
  std::printf("\nGPU: not available (%s)\n", gpu_unavailable_reason().c_str());
#else
  (void)e;
  (void)cpu_output;
  std::printf("\nGPU: not built (configure with CUDA to run the kernels)\n");
#endif
}

}  // namespace

int main(int argc, char* argv[]) {
  CLI::App app{"Runs one fully connected layer of AlexNet, built from the layer table, on a random batch"};
  std::string name = "fc6";
  app.add_option("--layer", name, "the fully connected layer")
      ->check(CLI::IsMember({"fc6", "fc7", "fc8"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const Experiment e = build(name);
  print_layer(e);
  TensorF output;
  const double ms = median_time_ms([&] { output = cpu_forward(e); }, 1);
  print_cpu_results(e, output, ms);
  run_on_gpu_if_present(e, output);
  return 0;
}
