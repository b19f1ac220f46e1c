// bench_conv2d: CONV1's convolution (3@227x227 -> 96@55x55, 11x11, stride 4) timed on
// the CPU reference and on each CUDA version, forward and backward, in fp32.
// Prints milliseconds, GFLOP/s (2 FLOP per multiply-add) and the speed-up over the
// CPU reference measured in the same run. A benchmark, never a test.
#include <cstdio>
#include <string>

#include "network/plan.hpp"
#include "reference_cpu/conv2d.hpp"
#include "reference_cpu/random.hpp"
#include "reference_cpu/timer.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/conv2d.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#endif

using namespace alexnet;

namespace {

constexpr std::int64_t kCpuBatch = 2;    // the CPU reference is slow: a few seconds per pass
constexpr std::int64_t kGpuBatch = 128;  // the paper's batch, GPU only

// CONV1 from the layer table, with the paper's initialisation.
struct Conv1 {
  NetworkSpec network = alexnet_two_tower();
  LayerSpec layer = find_layer(network, "conv1");
  LayerSummary summary = summarize_layer(network, "conv1");
  Conv2dParams params = conv2d_params(layer);
  LayerParameters weights = initial_parameters(layer, network.input, 1, 0);

  TensorF random_input(std::int64_t batch) const {
    TensorF x({batch, network.input[0], network.input[1], network.input[2]});
    fill_uniform(x, 2012, 1, -1.0, 1.0);
    return x;
  }
};

// The backward does two convolutions' worth of multiply-adds (grad_x and grad_weight).
double gflop(const Conv1& conv1, std::int64_t batch, bool backward) {
  return 2.0 * static_cast<double>(conv1.summary.multiply_adds * batch) * (backward ? 2 : 1) / 1e9;
}

void print_row(const std::string& version, std::int64_t batch, double ms, double gflops, double cpu_ms) {
  std::printf("%-26s %6lld %11.3f %10.1f", version.c_str(), static_cast<long long>(batch), ms, gflops / (ms / 1e3));
  if (cpu_ms > 0) std::printf(" %13.1fx", cpu_ms / ms);
  std::printf("\n");
}

#if ALEXNET_WITH_CUDA
// Times the CUDA forward versions and the backward at `batch`; speed-ups against the CPU
// times when they were measured at the same batch (0 = not measured).
void bench_gpu(const Conv1& conv1, std::int64_t batch, double cpu_forward_ms, double cpu_backward_ms) {
  const TensorF x = conv1.random_input(batch);
  const Shape y_shape = cpu::conv2d_output_shape(x.shape(), conv1.weights.weight.shape(),
                                                 conv1.weights.bias.shape(), conv1.params);
  TensorF grad_y_host(y_shape);
  fill_uniform(grad_y_host, 2012, 2, -1.0, 1.0);
  const DeviceTensorF x_dev(x), weight(conv1.weights.weight), bias(conv1.weights.bias), grad_y(grad_y_host);
  DeviceTensorF y(y_shape), grad_x(x.shape()), grad_weight(weight.shape()), grad_bias(bias.shape());
  const cuda::Context context{};  // device 0, its default stream: what median_gpu_time_ms's events time
  for (const auto& [version, name] : {std::pair{cuda::ConvVersion::Naive, "cuda forward naive"},
                                      std::pair{cuda::ConvVersion::Tiled, "cuda forward tiled"}}) {
    const double ms =
        median_gpu_time_ms([&] { cuda::conv2d_forward(context, x_dev, weight, bias, conv1.params, y, version); });
    print_row(name, batch, ms, gflop(conv1, batch, false), cpu_forward_ms);
  }
  const double ms = median_gpu_time_ms(
      [&] { cuda::conv2d_backward(context, x_dev, weight, grad_y, conv1.params, grad_x, grad_weight, grad_bias); });
  print_row("cuda backward", batch, ms, gflop(conv1, batch, true), cpu_backward_ms);
}
#endif

}  // namespace

int main() {
  const Conv1 conv1;
  std::printf("conv2d at CONV1's shapes: per image %s -> %s, weight %s, stride %d, pad %d\n",
              to_string(conv1.summary.input).c_str(), to_string(conv1.summary.output).c_str(),
              to_string(conv1.weights.weight.shape()).c_str(), conv1.params.stride, conv1.params.pad);
  std::printf("precision: fp32; %.3f GFLOP per image forward, twice that backward\n\n", gflop(conv1, 1, false));
  std::printf("%-26s %6s %11s %10s %14s\n", "version", "batch", "ms", "GFLOP/s", "speed-up/CPU");

  const TensorF x = conv1.random_input(kCpuBatch);
  const LayerParameters& w = conv1.weights;
  const TensorF y = cpu::conv2d_forward(x, w.weight, w.bias, conv1.params);
  // One timed run after the warm-up: the reference takes seconds at batch 2.
  const double cpu_forward_ms = median_time_ms([&] { cpu::conv2d_forward(x, w.weight, w.bias, conv1.params); }, 1);
  print_row("cpu reference forward", kCpuBatch, cpu_forward_ms, gflop(conv1, kCpuBatch, false), 0);
  const double cpu_backward_ms =
      median_time_ms([&] { cpu::conv2d_backward(x, w.weight, y, conv1.params); }, 1);  // y stands in for grad_y
  print_row("cpu reference backward", kCpuBatch, cpu_backward_ms, gflop(conv1, kCpuBatch, true), 0);

#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::printf("\nGPU: not available (%s)\n", gpu_unavailable_reason().c_str());
    return 0;
  }
  bench_gpu(conv1, kCpuBatch, cpu_forward_ms, cpu_backward_ms);
  bench_gpu(conv1, kGpuBatch, 0, 0);
  std::printf("\nGPU: %s\n", gpu_description().c_str());
#else
  std::printf("\nGPU: not built (this build has no CUDA)\n");
#endif
  return 0;
}
