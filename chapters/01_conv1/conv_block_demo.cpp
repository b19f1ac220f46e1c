// conv_block_demo: one convolution block of AlexNet — the convolution, its ReLU
// and whatever the layer table puts after it (LRN, max-pool) — built from the
// layer table with the paper's initialisation and run on random input:
//   - on the CPU as one device (grouped convolution) and as two towers;
//   - on the GPU, when there is one, with both convolution kernels.
// It prints the shapes, the parameter arithmetic, what crosses between the towers,
// the time of every step and the largest GPU-vs-CPU difference.
//
//   conv_block_demo [--layer conv1|conv2|conv3|conv4|conv5] [--batch N] [--seed S]
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference_cpu/channels.hpp"
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

// A convolution row of the two-tower table and the LRN / pool rows that follow it.
struct Block {
  NetworkSpec network = alexnet_two_tower();
  LayerSummary conv;
  Conv2dParams params;
  LayerParameters weights;
  std::vector<LayerSpec> after;  // e.g. lrn1, pool1 after conv1
  bool first = false;            // CONV1 reads the image, which both towers hold whole
};

Block make_block(const std::string& name, std::uint64_t seed) {
  Block block;
  block.conv = summarize_layer(block.network, name);
  if (block.conv.spec.kind != LayerKind::Convolution) {
    throw std::invalid_argument("'" + name + "' is not a convolution (expected conv1 ... conv5)");
  }
  block.params = conv2d_params(block.conv.spec);
  block.weights = initial_parameters(block.conv.spec, block.conv.input, seed, 0);
  const std::vector<LayerSpec>& rows = block.network.layers;
  std::size_t i = 0;
  while (rows[i].name != name) ++i;
  block.first = i == 0;
  for (++i; i < rows.size() && (rows[i].kind == LayerKind::LocalResponseNorm || rows[i].kind == LayerKind::MaxPool); ++i) {
    block.after.push_back(rows[i]);
  }
  return block;
}

// One step of the forward pass on one device: its output and its time.
struct Step {
  std::string name;  // "conv2", "relu", "lrn2", "pool2"
  TensorF output;    // copied to the host
  double ms;         // median wall-clock (CPU) or CUDA-event (GPU) time
};

std::vector<Step> run_on_cpu(const Block& block, const TensorF& x) {
  std::vector<Step> steps;
  const auto run = [&](const std::string& name, auto work) {
    TensorF output;
    const double ms = median_time_ms([&] { output = work(); }, 1);
    steps.push_back(Step{name, std::move(output), ms});
  };
  run(block.conv.spec.name, [&] { return cpu::conv2d_forward(x, block.weights.weight, block.weights.bias, block.params); });
  run("relu", [&] { return cpu::relu_forward(steps.back().output); });
  for (const LayerSpec& row : block.after) {
    if (row.kind == LayerKind::LocalResponseNorm) {
      run(row.name, [&] { return cpu::lrn_forward(steps.back().output, lrn_params(row)); });
    } else {
      run(row.name, [&] { return cpu::maxpool2d_forward(steps.back().output, pool2d_params(row)); });
    }
  }
  return steps;
}

// The convolution as two towers: tower t holds half the kernels and reads its own half
// of the input (groups = 2) or, at a join, both halves; the outputs are concatenated.
TensorF run_as_towers(const Block& block, const TensorF& x) {
  const int towers = block.network.towers;
  const std::int64_t kernels = block.conv.spec.out_channels / towers;
  const Conv2dParams own{block.params.stride, block.params.pad, 1};
  std::vector<TensorF> outputs;
  for (int t = 0; t < towers; ++t) {
    const TensorF seen = block.params.groups == towers ? cpu::tower_slice(x, t, towers) : x;
    outputs.push_back(cpu::conv2d_forward(seen, cpu::slice_rows(block.weights.weight, t * kernels, kernels),
                                          cpu::slice_rows(block.weights.bias, t * kernels, kernels), own));
  }
  return cpu::concat_channels(outputs);
}

#if ALEXNET_WITH_CUDA
// The same steps as CUDA kernels, each writing into an output of the CPU step's shape;
// the convolution runs both kernel versions, the tiled one feeds the next step.
std::vector<Step> run_on_gpu(const Block& block, const TensorF& x_host, const std::vector<Step>& cpu_steps) {
  const DeviceTensorF x(x_host), weight(block.weights.weight), bias(block.weights.bias);
  std::vector<DeviceTensorF> outputs;  // one per CPU step, plus the naive convolution's
  outputs.emplace_back(cpu_steps[0].output.shape());
  for (const Step& step : cpu_steps) outputs.emplace_back(step.output.shape());
  std::vector<Step> steps;
  const auto run = [&](const std::string& name, DeviceTensorF& output, auto work) {
    steps.push_back(Step{name, output.to_host(), 0.0});
    steps.back().ms = median_gpu_time_ms(work, 5);
    steps.back().output = output.to_host();
  };
  const std::string& conv = block.conv.spec.name;
  const cuda::Context context{};  // device 0, its default stream
  run(conv + " (naive)", outputs[0],
      [&] { cuda::conv2d_forward(context, x, weight, bias, block.params, outputs[0], cuda::ConvVersion::Naive); });
  run(conv + " (tiled)", outputs[1],
      [&] { cuda::conv2d_forward(context, x, weight, bias, block.params, outputs[1], cuda::ConvVersion::Tiled); });
  run("relu", outputs[2], [&] { cuda::relu_forward(context, outputs[1], outputs[2]); });
  for (std::size_t i = 0; i < block.after.size(); ++i) {
    const LayerSpec& row = block.after[i];
    DeviceTensorF &in = outputs[i + 2], &out = outputs[i + 3];
    if (row.kind == LayerKind::LocalResponseNorm) {
      run(row.name, out, [&] { cuda::lrn_forward(context, in, lrn_params(row), out); });
    } else {
      run(row.name, out, [&] { cuda::maxpool2d_forward(context, in, pool2d_params(row), out); });
    }
  }
  return steps;
}
#endif

// The CPU step a GPU step is checked against: "conv2 (tiled)" -> "conv2".
const Step& reference_for(const Step& gpu_step, const std::vector<Step>& cpu_steps) {
  const std::string name = gpu_step.name.substr(0, gpu_step.name.find(' '));
  for (const Step& step : cpu_steps) {
    if (step.name == name) return step;
  }
  throw std::logic_error("conv_block_demo: no CPU step named " + name);
}

std::string maps(const Shape& s) {  // [256, 13, 13] -> "256@13x13"
  return std::to_string(s[0]) + "@" + std::to_string(s[1]) + "x" + std::to_string(s[2]);
}

void print_layer(const Block& block) {
  const LayerSpec& layer = block.conv.spec;
  const int towers = block.network.towers;
  const std::int64_t seen = block.conv.input[0] / layer.groups;  // channels one kernel sees
  std::string rows;
  for (const LayerSpec& row : block.after) rows += ", " + row.name;
  std::printf("%s\nlayer %s: %d kernels (%d per tower x %d towers) of %dx%dx%lld, stride %d, pad %d, groups %d; then ReLU%s\n",
              block.network.name.c_str(), layer.name.c_str(), layer.out_channels, layer.out_channels / towers, towers,
              layer.kernel, layer.kernel, static_cast<long long>(seen), layer.stride, layer.pad, layer.groups,
              rows.c_str());
  const char* source = block.first ? "the whole image, held by both towers"
                       : layer.groups == towers ? "its own tower's maps only"
                                                : "both towers' maps: a join";
  std::printf("input %s; a kernel sees %lld channels: %s\n", maps(block.conv.input).c_str(),
              static_cast<long long>(seen), source);
  std::printf("output side: (%lld - %d + 2*%d)/%d + 1 = %lld\n", static_cast<long long>(block.conv.input[1]),
              layer.kernel, layer.pad, layer.stride, static_cast<long long>(block.conv.output[1]));
  const std::int64_t held = block.weights.weight.size() + block.weights.bias.size();
  std::printf("parameters: (%dx%dx%lld + 1) x %d = %s (tensors hold %s)\n", layer.kernel, layer.kernel,
              static_cast<long long>(seen), layer.out_channels, with_commas(block.conv.parameters).c_str(),
              with_commas(held).c_str());
  if (!block.first && layer.groups == 1) {
    // Each tower holds half the input maps and must receive the other half.
    const std::int64_t bytes = element_count(block.conv.input) / towers * static_cast<std::int64_t>(sizeof(float));
    std::printf("communication: each tower receives the other's %lld@%lldx%lld maps: %s bytes per image, "
                "%.1f MB per batch of 128 (and as many gradient bytes back)\n",
                static_cast<long long>(block.conv.input[0] / towers), static_cast<long long>(block.conv.input[1]),
                static_cast<long long>(block.conv.input[2]), with_commas(bytes).c_str(), 128.0 * bytes / 1e6);
  }
  std::printf("\n");
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
  std::cerr << "conv_block_demo: " << problem
            << "\nusage: conv_block_demo [--layer conv1|conv2|conv3|conv4|conv5] [--batch N] [--seed S]\n";
  return 2;
}

// Parses a whole non-negative integer at least `minimum`; returns false otherwise.
bool parse_count(const std::string& text, long long minimum, long long& value) {
  std::size_t used = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size() && value >= minimum;
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string layer = "conv1";
  long long batch = 1, seed = 2012;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag != "--layer" && flag != "--batch" && flag != "--seed") return usage("unknown argument '" + flag + "'");
    if (i + 1 == argc) return usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--layer") {
      layer = value;
    } else if (!parse_count(value, flag == "--batch" ? 1 : 0, flag == "--batch" ? batch : seed)) {
      return usage(flag + " expects a " + (flag == "--batch" ? "positive" : "non-negative") + " integer, got '" +
                   value + "'");
    }
  }
  Block block;
  try {
    block = make_block(layer, static_cast<std::uint64_t>(seed));
  } catch (const std::invalid_argument& error) {
    return usage(error.what());
  }
  Shape input_shape = block.conv.input;
  input_shape.insert(input_shape.begin(), batch);
  TensorF x(input_shape);
  fill_uniform(x, static_cast<std::uint64_t>(seed), 1, -1.0, 1.0);

  print_layer(block);
  const std::vector<Step> cpu_steps = run_on_cpu(block, x);
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
  print_steps("GPU " + gpu_description() + " (fp32):", run_on_gpu(block, x, cpu_steps), &cpu_steps);
#else
  std::printf("GPU: not built (this build has no CUDA)\n");
#endif
  return 0;
}
