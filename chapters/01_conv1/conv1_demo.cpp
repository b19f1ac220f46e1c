// conv1_demo: AlexNet's first layer built from the layer table with its real
// hyper-parameters, run on a random image on the CPU and, when there is a GPU,
// on the GPU; prints the shapes, the parameter count, the time of every step and
// the largest difference between the GPU and the CPU.
//
//   conv1_demo [--batch N] [--seed S]
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference_cpu/compare.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/relu.hpp"
#include "reference_cpu/timer.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/conv2d.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "cuda/lrn.cuh"
#include "cuda/maxpool2d.cuh"
#include "cuda/relu.cuh"
#endif

using namespace alexnet;

namespace {

// The CONV1 block as the layer table describes it — conv1, ReLU, lrn1, pool1 —
// with the paper's initialisation (bias 0).
struct Conv1 {
  NetworkSpec network = alexnet_two_tower();
  LayerSummary summary = summarize_layer(network, "conv1");
  Conv2dParams params = conv2d_params(summary.spec);
  LrnParams lrn = lrn_params(find_layer(network, "lrn1"));
  Pool2dParams pool = pool2d_params(find_layer(network, "pool1"));
  LayerParameters weights;
};

// One step of the forward pass on one device: its output and its time.
struct Step {
  std::string name;  // "conv1", "relu1"
  TensorF output;    // copied to the host
  double ms;         // median wall-clock (CPU) or CUDA-event (GPU) time
};

// The CPU reference, step by step.
std::vector<Step> run_on_cpu(const Conv1& conv1, const TensorF& image) {
  std::vector<Step> steps;
  const auto run = [&](const std::string& name, auto work) {
    TensorF output;
    const double ms = median_time_ms([&] { output = work(); }, 1);
    steps.push_back(Step{name, std::move(output), ms});
  };
  run("conv1", [&] { return cpu::conv2d_forward(image, conv1.weights.weight, conv1.weights.bias, conv1.params); });
  run("relu1", [&] { return cpu::relu_forward(steps.back().output); });
  run("lrn1", [&] { return cpu::lrn_forward(steps.back().output, conv1.lrn); });
  run("pool1", [&] { return cpu::maxpool2d_forward(steps.back().output, conv1.pool); });
  return steps;
}

#if ALEXNET_WITH_CUDA
// The same steps as CUDA kernels, each writing into an output of the CPU step's shape;
// conv1 runs both kernel versions, the tiled one feeds the next step.
std::vector<Step> run_on_gpu(const Conv1& conv1, const TensorF& image, const std::vector<Step>& cpu_steps) {
  const DeviceTensorF x(image), weight(conv1.weights.weight), bias(conv1.weights.bias);
  DeviceTensorF conv_naive(cpu_steps[0].output.shape()), conv(cpu_steps[0].output.shape());
  DeviceTensorF relu(cpu_steps[1].output.shape()), lrn(cpu_steps[2].output.shape());
  DeviceTensorF pool(cpu_steps[3].output.shape());
  std::vector<Step> steps;
  const auto run = [&](const std::string& name, DeviceTensorF& output, auto work) {
    const double ms = median_gpu_time_ms(work, 5);
    steps.push_back(Step{name, output.to_host(), ms});
  };
  run("conv1 (naive)", conv_naive,
      [&] { cuda::conv2d_forward(x, weight, bias, conv_naive, conv1.params, cuda::ConvVersion::Naive); });
  run("conv1 (tiled)", conv,
      [&] { cuda::conv2d_forward(x, weight, bias, conv, conv1.params, cuda::ConvVersion::Tiled); });
  run("relu1", relu, [&] { cuda::relu_forward(conv, relu); });
  run("lrn1", lrn, [&] { cuda::lrn_forward(relu, lrn, conv1.lrn); });
  run("pool1", pool, [&] { cuda::maxpool2d_forward(lrn, pool, conv1.pool); });
  return steps;
}
#endif

// The CPU step a GPU step is checked against: "conv1 (tiled)" -> "conv1".
const Step& reference_for(const Step& gpu_step, const std::vector<Step>& cpu_steps) {
  const std::string layer = gpu_step.name.substr(0, gpu_step.name.find(' '));
  for (const Step& step : cpu_steps) {
    if (step.name == layer) return step;
  }
  throw std::logic_error("conv1_demo: no CPU step named " + layer);
}

void print_layer(const Conv1& conv1, const TensorF& image) {
  const LayerSpec& layer = conv1.summary.spec;
  const std::int64_t kernels = layer.out_channels, towers = conv1.network.towers;
  const std::int64_t channels = conv1.summary.input[0], side = conv1.summary.input[1];
  std::printf("%s, layer conv1: %lld kernels (%lld per tower x %lld towers) of %dx%dx%lld, stride %d, pad %d, then ReLU, LRN, max-pool\n",
              conv1.network.name.c_str(), static_cast<long long>(kernels), static_cast<long long>(kernels / towers),
              static_cast<long long>(towers), layer.kernel, layer.kernel, static_cast<long long>(channels),
              layer.stride, layer.pad);
  std::printf("input %s: a random image, U[-1, 1)\n", to_string(image.shape()).c_str());
  std::printf("output side: (%lld - %d + 2*%d)/%d + 1 = %lld\n", static_cast<long long>(side), layer.kernel,
              layer.pad, layer.stride, static_cast<long long>(conv1.summary.output[1]));
  const std::int64_t held = conv1.weights.weight.size() + conv1.weights.bias.size();
  std::printf("parameters: (%dx%dx%lld + 1) x %lld = %s (tensors hold %s)\n\n", layer.kernel, layer.kernel,
              static_cast<long long>(channels), static_cast<long long>(kernels),
              with_commas(conv1.summary.parameters).c_str(), with_commas(held).c_str());
}

void print_steps(const std::string& device, const std::vector<Step>& steps, const std::vector<Step>* cpu_steps) {
  std::printf("%s\n", device.c_str());
  for (const Step& step : steps) {
    std::printf("  %-14s %-18s %10.3f ms", step.name.c_str(), to_string(step.output.shape()).c_str(), step.ms);
    if (cpu_steps != nullptr) {
      const Step& reference = reference_for(step, *cpu_steps);
      std::printf("   max |GPU - CPU| %.3g", compare(reference.output, step.output, Tolerance{}).max_abs_error);
    }
    std::printf("\n");
  }
}

int usage(const std::string& problem) {
  std::cerr << "conv1_demo: " << problem << "\nusage: conv1_demo [--batch N] [--seed S]\n";
  return 2;
}

}  // namespace

int main(int argc, char* argv[]) {
  long long batch = 1, seed = 2012;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag != "--batch" && flag != "--seed") return usage("unknown argument '" + flag + "'");
    if (i + 1 == argc) return usage(flag + " needs a value");
    const std::string value = argv[++i];
    std::size_t used = 0;
    long long number = -1;
    try {
      number = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || number < (flag == "--batch" ? 1 : 0)) {
      return usage(flag + " expects a " + (flag == "--batch" ? "positive" : "non-negative") + " integer, got '" +
                   value + "'");
    }
    (flag == "--batch" ? batch : seed) = number;
  }

  Conv1 conv1;
  conv1.weights = initial_parameters(conv1.summary.spec, conv1.summary.input, static_cast<std::uint64_t>(seed), 0);
  Shape image_shape = conv1.summary.input;
  image_shape.insert(image_shape.begin(), batch);
  TensorF image(image_shape);
  fill_uniform(image, static_cast<std::uint64_t>(seed), 1, -1.0, 1.0);

  print_layer(conv1, image);
  const std::vector<Step> cpu_steps = run_on_cpu(conv1, image);
  print_steps("CPU reference (fp32):", cpu_steps, nullptr);
#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
    return 0;
  }
  print_steps("GPU " + gpu_description() + " (fp32):", run_on_gpu(conv1, image, cpu_steps), &cpu_steps);
#else
  std::printf("GPU: not built (this build has no CUDA)\n");
#endif
  return 0;
}
