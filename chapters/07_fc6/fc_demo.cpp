// fc_demo: builds one fully connected layer of AlexNet from the layer table with
// the paper's initialisation, runs a random batch through it on the CPU and, when
// there is one, on the GPU, and prints shapes, parameters, the largest CPU–GPU
// difference and the times.
//
//   fc_demo --layer fc6   flatten -> FC6 -> ReLU -> dropout    (chapter 07)
//   fc_demo --layer fc7   FC7 -> ReLU -> dropout              (chapter 08)
//   fc_demo --layer fc8   FC8 -> softmax -> cross-entropy     (chapter 09)
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "reference_cpu/compare.hpp"
#include "reference_cpu/dropout.hpp"
#include "reference_cpu/flatten.hpp"
#include "reference_cpu/linear.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/relu.hpp"
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

// One layer, built, and a batch for it.
struct Experiment {
  LayerSummary layer;
  LayerParameters parameters;
  TensorF input;                     // [N, C, H, W] before FC6, else [N, in]
  std::vector<std::int64_t> labels;  // FC8's targets
  DropoutParams dropout{0.5, kSeed, 0, true};
};

Experiment build(const std::string& name) {
  const LayerSummary layer = summarize_layer(alexnet_two_tower(), name);
  Shape input_shape{kBatch};
  input_shape.insert(input_shape.end(), layer.input.begin(), layer.input.end());
  Experiment e{layer, initial_parameters(layer.spec, layer.input, kSeed, 0), TensorF(input_shape), {}};
  fill_uniform(e.input, kSeed, 1, 0.0, 1.0);  // after a ReLU, activations are >= 0
  RandomStream classes(kSeed, 2);
  for (std::int64_t n = 0; n < kBatch; ++n) e.labels.push_back(classes.below(layer.spec.out_channels));
  return e;
}

// The layer's output on the CPU: dropout(relu(W·x + b)) for FC6, FC7; the logits for FC8.
TensorF cpu_forward(const Experiment& e) {
  const TensorF x = e.input.rank() == 4 ? cpu::flatten_forward(e.input) : e.input;
  const TensorF y = cpu::linear_forward(x, e.parameters.weight, e.parameters.bias);
  return e.layer.spec.relu ? cpu::dropout_forward(cpu::relu_forward(y), e.dropout) : y;
}

void print_layer(const Experiment& e) {
  const LayerSpec& spec = e.layer.spec;
  const std::int64_t parameters = e.parameters.weight.size() + e.parameters.bias.size();
  const std::int64_t total = total_parameters(alexnet_two_tower());
  std::printf("%s: input %s per image -> %lld outputs%s\n", spec.name.c_str(), to_string(e.layer.input).c_str(),
              static_cast<long long>(spec.out_channels),
              spec.split_in_towers ? " (two towers of half each, every neuron reads both towers)" : " (one layer)");
  std::printf("weight %s + bias %s\n", to_string(e.parameters.weight.shape()).c_str(),
              to_string(e.parameters.bias.shape()).c_str());
  std::printf("parameters: %lld = (%lld + 1) x %d, %.1f%% of the network's %lld\n",
              static_cast<long long>(parameters), static_cast<long long>(e.parameters.weight.dim(1)),
              spec.out_channels, 100.0 * static_cast<double>(parameters) / static_cast<double>(total),
              static_cast<long long>(total));
  std::printf("multiply-adds per image: %lld\n", static_cast<long long>(e.layer.multiply_adds));
}

void print_cpu_results(const Experiment& e, const TensorF& output, double ms) {
  std::printf("\nCPU, batch %lld: output %s in %.1f ms\n", static_cast<long long>(kBatch),
              to_string(output.shape()).c_str(), ms);
  if (e.layer.spec.relu) {
    std::int64_t zeros = 0;
    for (float v : output.values()) zeros += v == 0.0f ? 1 : 0;
    std::printf("zeros after ReLU and dropout (p = %.1f): %.1f%%\n", e.dropout.p,
                100.0 * static_cast<double>(zeros) / static_cast<double>(output.size()));
    return;
  }
  std::printf("cross-entropy %.4f (a uniform guess over %lld classes gives ln %lld = %.4f), top-1 %.2f, top-5 %.2f\n",
              cpu::softmax_cross_entropy_forward(output, e.labels), static_cast<long long>(output.dim(1)),
              static_cast<long long>(output.dim(1)), std::log(static_cast<double>(output.dim(1))),
              cpu::top_k_accuracy(output, e.labels, 1), cpu::top_k_accuracy(output, e.labels, 5));
}

#if ALEXNET_WITH_CUDA
// The same layer on the GPU; prints the largest difference from the CPU and the times.
void run_on_gpu(const Experiment& e, const TensorF& cpu_output) {
  const std::int64_t inputs = e.parameters.weight.dim(1), outputs = e.parameters.weight.dim(0);
  DeviceTensorF input(e.input), weight(e.parameters.weight), bias(e.parameters.bias);
  DeviceTensorF x = e.input.rank() == 4 ? DeviceTensorF({kBatch, inputs}) : DeviceTensorF(e.input);
  DeviceTensorF y({kBatch, outputs}), activated({kBatch, outputs}), output({kBatch, outputs});
  const cuda::Context context{};  // device 0, its default stream
  const auto forward = [&](cuda::LinearVersion version) {
    if (e.input.rank() == 4) cuda::flatten_forward(context, input, x);
    cuda::linear_forward(context, x, weight, bias, y, version);
    if (!e.layer.spec.relu) return;
    cuda::relu_forward(context, y, activated);
    cuda::dropout_forward(context, activated, e.dropout, output);
  };
  std::printf("\nGPU: %s\n", gpu_description().c_str());
  for (cuda::LinearVersion version : {cuda::LinearVersion::Naive, cuda::LinearVersion::Tiled}) {
    const double ms = median_gpu_time_ms([&] { forward(version); });
    const TensorF result = (e.layer.spec.relu ? output : y).to_host();
    const Comparison diff = compare(cpu_output, result, Tolerance{1e-4, 1e-4});
    std::printf("%-5s kernel: %.3f ms, max |GPU - CPU| = %.2e\n",
                version == cuda::LinearVersion::Naive ? "naive" : "tiled", ms, diff.max_abs_error);
  }
  if (!e.layer.spec.relu) {
    const DeviceTensor<std::int64_t> labels = cuda::upload_labels(context, e.labels, outputs);
    DeviceTensorF probabilities(y.shape()), loss({1});
    cuda::softmax_cross_entropy_forward(context, y, labels, probabilities, loss);
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

int usage(const std::string& problem) {
  std::cerr << "fc_demo: " << problem << "\n"
            << "usage: fc_demo [--layer fc6|fc7|fc8]\n";
  return 2;
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string name = "fc6";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage("runs one fully connected layer of AlexNet on a random batch");
      return 0;
    }
    if (arg != "--layer") return usage("unknown argument '" + arg + "'");
    if (i + 1 == argc) return usage("--layer needs a value");
    name = argv[++i];
  }
  if (name != "fc6" && name != "fc7" && name != "fc8") {
    return usage("unknown layer '" + name + "' (expected fc6, fc7 or fc8)");
  }
  const Experiment e = build(name);
  print_layer(e);
  TensorF output;
  const double ms = median_time_ms([&] { output = cpu_forward(e); }, 1);
  print_cpu_results(e, output, ms);
  run_on_gpu_if_present(e, output);
  return 0;
}
