// conv_block_demo: one convolution block of AlexNet — the convolution, its ReLU
// and whatever the layer table puts after it (LRN, max-pool) — built from the
// layer table as a plan of steps (network/plan.hpp) with the paper's initialisation
// and run on random input:
//   - on the CPU reference as one device (grouped convolution) and as two towers;
//   - on the GPU, when there is one, with both convolution kernels.
// It prints the shapes, the parameter arithmetic, what crosses between the towers,
// the time of every step and the largest GPU-vs-CPU difference.
//
//   conv_block_demo [--layer conv1|conv2|conv3|conv4|conv5] [--batch N] [--seed S]
#include <CLI/CLI.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "network/cpu_network.hpp"
#include "network/plan.hpp"
#include "network/summary.hpp"
#include "reference_cpu/channels.hpp"
#include "reference_cpu/compare.hpp"
#include "reference_cpu/format.hpp"
#include "reference_cpu/random.hpp"

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

// A convolution row of the two-tower table and the rows that follow it, as a plan of steps.
struct Block {
  NetworkSpec network = alexnet_two_tower();
  LayerSummary conv;           // the convolution row, with its shapes and counts in the whole network
  Plan plan;                   // the convolution, its ReLU and the LRN / pool rows after it: conv1 relu1 lrn1 pool1
  Parameters<float> weights;   // the convolution's weight and bias
  bool first = false;          // CONV1 reads the image, which both towers hold whole

  const ConvolutionSpec& spec() const { return std::get<ConvolutionSpec>(conv.spec.op); }
};

Block make_block(const std::string& name, std::uint64_t seed) {
  Block block;
  block.conv = summarize_layer(block.network, name);
  block.plan = make_plan(layer_block(block.network, name));
  block.weights = initial_parameters(block.plan, seed);  // keyed by the layer's name: the whole network's weights
  block.first = block.network.layers.front().name == name;
  return block;
}

// The rows of the table that are convolutions: what --layer accepts.
std::vector<std::string> convolution_names(const NetworkSpec& network) {
  std::vector<std::string> names;
  for (const LayerSpec& layer : network.layers) {
    if (std::holds_alternative<ConvolutionSpec>(layer.op)) names.push_back(layer.name);
  }
  return names;
}

// One step of the forward pass on one device: its output and its time.
struct StepRun {
  std::string name;  // "conv2", "relu2", "lrn2", "pool2"
  TensorF output;    // copied to the host
  double ms;         // wall-clock (CPU) or median CUDA-event (GPU) time
};

// The block's plan on the CPU reference, run twice: a warm-up (page faults, caches), then the timed run.
std::vector<StepRun> run_on_cpu(const Block& block, const TensorF& x) {
  reference_forward(block.plan, block.weights, x, RunOptions{});
  Activations<float> forward = reference_forward(block.plan, block.weights, x, RunOptions{});
  std::vector<StepRun> steps;
  for (std::size_t i = 0; i < block.plan.steps.size(); ++i) {
    steps.push_back(StepRun{block.plan.steps[i].name, std::move(forward.outputs[i]), forward.step_ms[i]});
  }
  return steps;
}

// The convolution as two towers: tower t holds half the kernels and reads its own half
// of the input (groups = 2) or, at a join, both halves; the outputs are concatenated.
TensorF run_as_towers(const Block& block, const TensorF& x) {
  const int towers = block.network.towers;
  const std::int64_t kernels = block.spec().out_channels / towers;
  const Conv2dParams& grouped = block.spec().params;
  const Conv2dParams own{grouped.stride, grouped.pad, 1};
  const LayerTensors<float>& conv = block.weights[0];
  std::vector<TensorF> outputs;
  for (int t = 0; t < towers; ++t) {
    const TensorF seen = grouped.groups == towers ? cpu::tower_slice(x, t, towers) : x;
    outputs.push_back(cpu::conv2d_forward(seen, cpu::slice_rows(conv.weight, t * kernels, kernels),
                                          cpu::slice_rows(conv.bias, t * kernels, kernels), own));
  }
  return cpu::concat_channels(outputs);
}

#if ALEXNET_WITH_CUDA
// The block's steps as CUDA kernels; the convolution runs both kernel versions, the tiled one
// feeds the next step.
std::vector<StepRun> run_on_gpu(const Block& block, const TensorF& x_host) {
  const cuda::Context context{};  // device 0, its default stream
  DeviceTensorF x(x_host);
  std::vector<StepRun> steps;
  const auto run = [&](const std::string& name, const DeviceTensorF& output, auto work) {
    const double ms = median_gpu_time_ms(work, 5);
    steps.push_back(StepRun{name, output.to_host(), ms});
  };
  for (const Step& step : block.plan.steps) {
    Shape shape = step.output;
    shape.insert(shape.begin(), x_host.dim(0));
    DeviceTensorF y(shape);
    std::visit(Overloaded{
                   [&](const ConvolutionStep& c) {
                     const LayerTensors<float>& conv = block.weights[static_cast<std::size_t>(c.parameters)];
                     const DeviceTensorF weight(conv.weight), bias(conv.bias);
                     DeviceTensorF naive(shape);
                     run(step.name + " (naive)", naive, [&] {
                       cuda::conv2d_forward(context, x, weight, bias, c.params, naive, cuda::ConvVersion::Naive);
                     });
                     run(step.name + " (tiled)", y, [&] {
                       cuda::conv2d_forward(context, x, weight, bias, c.params, y, cuda::ConvVersion::Tiled);
                     });
                   },
                   [&](const ReluStep&) { run(step.name, y, [&] { cuda::relu_forward(context, x, y); }); },
                   [&](const LrnStep& l) { run(step.name, y, [&] { cuda::lrn_forward(context, x, l.params, y); }); },
                   [&](const MaxPoolStep& m) {
                     run(step.name, y, [&] { cuda::maxpool2d_forward(context, x, m.params, y); });
                   },
                   [&](const auto&) {
                     throw std::logic_error("conv_block_demo: " + step.name + " is not a step of a convolution block");
                   },
               },
               step.op);
    x = std::move(y);
  }
  return steps;
}
#endif

// The CPU step a GPU step is checked against: "conv2 (tiled)" -> "conv2".
const StepRun& reference_for(const StepRun& gpu_step, const std::vector<StepRun>& cpu_steps) {
  const std::string name = gpu_step.name.substr(0, gpu_step.name.find(' '));
  for (const StepRun& step : cpu_steps) {
    if (step.name == name) return step;
  }
  throw std::logic_error("conv_block_demo: no CPU step named " + name);
}

void print_layer(const Block& block) {
  const ConvolutionSpec& conv = block.spec();
  const Conv2dParams& p = conv.params;
  const int towers = block.network.towers;
  const std::int64_t seen = block.conv.input[0] / p.groups;  // channels one kernel sees
  std::string rows;
  for (std::size_t i = 1; i < block.plan.layers.size(); ++i) rows += ", " + block.plan.layers[i].spec.name;
  std::printf("%s\nlayer %s: %d kernels (%d per tower x %d towers) of %dx%dx%lld, stride %d, pad %d, groups %d; "
              "then ReLU%s\n",
              block.network.name.c_str(), block.conv.spec.name.c_str(), conv.out_channels, conv.out_channels / towers,
              towers, conv.kernel, conv.kernel, static_cast<long long>(seen), p.stride, p.pad, p.groups, rows.c_str());
  const char* source = block.first ? "the whole image, held by both towers"
                       : p.groups == towers ? "its own tower's maps only"
                                            : "both towers' maps: a join";
  std::printf("input %s; a kernel sees %lld channels: %s\n", maps_text(block.conv.input).c_str(),
              static_cast<long long>(seen), source);
  std::printf("output side: (%lld - %d + 2*%d)/%d + 1 = %lld\n", static_cast<long long>(block.conv.input[1]),
              conv.kernel, p.pad, p.stride, static_cast<long long>(block.conv.output[1]));
  const std::int64_t held = count_parameters(block.weights);
  std::printf("parameters: (%dx%dx%lld + 1) x %d = %s (tensors hold %s)\n", conv.kernel, conv.kernel,
              static_cast<long long>(seen), conv.out_channels, with_commas(block.conv.parameters).c_str(),
              with_commas(held).c_str());
  if (!block.first && p.groups == 1) {
    // Each tower holds half the input maps and must receive the other half.
    const std::int64_t bytes = element_count(block.conv.input) / towers * static_cast<std::int64_t>(sizeof(float));
    std::printf("communication: each tower receives the other's %lld@%lldx%lld maps: %s bytes per image, "
                "%.1f MB per batch of 128 (and as many gradient bytes back)\n",
                static_cast<long long>(block.conv.input[0] / towers), static_cast<long long>(block.conv.input[1]),
                static_cast<long long>(block.conv.input[2]), with_commas(bytes).c_str(), 128.0 * bytes / 1e6);
  }
  std::printf("\n");
}

void print_steps(const std::string& device, const std::vector<StepRun>& steps, const std::vector<StepRun>* cpu_steps) {
  std::printf("%s\n", device.c_str());
  for (const StepRun& step : steps) {
    std::printf("  %-14s %-18s %10.3f ms", step.name.c_str(), to_string(step.output.shape()).c_str(), step.ms);
    if (cpu_steps != nullptr) {
      const StepRun& reference = reference_for(step, *cpu_steps);
      std::printf("   max |GPU - CPU| %.3g", compare(reference.output, step.output, Tolerance{}).max_abs_error);
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const NetworkSpec network = alexnet_two_tower();
  CLI::App app{"Runs one convolution block of AlexNet (the convolution, its ReLU, and the LRN and max-pooling "
               "after it), built from the layer table, on random input: on the CPU as one device and as two "
               "towers, and on the GPU when there is one"};
  std::string layer = "conv1";
  std::int64_t batch = 1;
  std::uint64_t seed = 2012;
  app.add_option("--layer", layer, "the convolution whose block runs")
      ->check(CLI::IsMember(convolution_names(network)))
      ->capture_default_str();
  app.add_option("--batch", batch, "images in the random input")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", seed, "seed of the weights and of the input")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const Block block = make_block(layer, seed);
  Shape input_shape = block.conv.input;
  input_shape.insert(input_shape.begin(), batch);
  TensorF x(input_shape);
  fill_uniform(x, seed, 1, -1.0, 1.0);

  print_layer(block);
  const std::vector<StepRun> cpu_steps = run_on_cpu(block, x);
  print_steps("CPU reference (fp32), input " + to_string(x.shape()) + " U[-1, 1):", cpu_steps, nullptr);
  if (!block.first) {
    const double difference = compare(cpu_steps[0].output, run_as_towers(block, x), Tolerance{}).max_abs_error;
    std::printf("  two towers, outputs concatenated: max |towers - one device| = %.3g\n", difference);
  }
#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
    return 0;
  }
  print_steps("GPU " + gpu_description() + " (fp32):", run_on_gpu(block, x), &cpu_steps);
#else
  std::printf("GPU: not built (this build has no CUDA)\n");
#endif
  return 0;
}
