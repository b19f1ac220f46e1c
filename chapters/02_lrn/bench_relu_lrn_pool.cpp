// bench_relu_lrn_pool: times ReLU1, LRN1 and POOL1, forward and backward, at the CONV1 block's
// real shapes (batch 2, 96@55×55 -> 96@27×27): the CPU reference (one core, naive
// loops) and the CUDA kernels, in fp32. Prints ms, the speed-up CPU ms / GPU ms
// measured in this run and, on a GPU, the effective bandwidth: the bytes an op must
// read and write at least (each tensor once), divided by its time.
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "chapters/02_lrn/conv1_block.hpp"
#include "network/plan.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/maxpool2d.hpp"
#include "reference_cpu/relu.hpp"
#include "reference_cpu/timer.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "cuda/lrn.cuh"
#include "cuda/maxpool2d.cuh"
#include "cuda/relu.cuh"
#endif

using namespace alexnet;

namespace {

// One line of the table: an op, the tensors it must read and write, and how to run it.
struct Benchmark {
  std::string name;
  std::int64_t bytes_moved;
  std::function<void()> cpu;
  std::function<void()> gpu;  // empty without a GPU
  double cpu_ms = NAN, gpu_ms = NAN;
};

std::int64_t bytes_of(std::initializer_list<Shape> tensors) {
  std::int64_t bytes = 0;
  for (const Shape& shape : tensors) bytes += element_count(shape) * static_cast<std::int64_t>(sizeof(float));
  return bytes;
}

void print_table(const std::vector<Benchmark>& benchmarks) {
  std::printf("%-16s %10s %10s %16s %10s\n", "op", "CPU ms", "GPU ms", "CPU ms / GPU ms", "GPU GB/s");
  for (const Benchmark& b : benchmarks) {
    if (std::isnan(b.gpu_ms)) {
      std::printf("%-16s %10.3f %10s %16s %10s\n", b.name.c_str(), b.cpu_ms, "-", "-", "-");
    } else {
      std::printf("%-16s %10.3f %10.4f %16.0f %10.1f\n", b.name.c_str(), b.cpu_ms, b.gpu_ms, b.cpu_ms / b.gpu_ms,
                  static_cast<double>(b.bytes_moved) / (b.gpu_ms * 1e6));
    }
  }
}

}  // namespace

int main() {
  const NetworkSpec network = alexnet_two_tower();
  const LrnParams lrn = lrn_params(find_layer(network, "lrn1"));
  const Pool2dParams pool = pool2d_params(find_layer(network, "pool1"));
  const Shape x_shape = lrn1_input_shape();
  const Shape y_shape = maxpool2d_output_shape("bench_relu_lrn_pool", x_shape, pool);
  const TensorF x = random_activations(x_shape, 1);
  const TensorF grad = random_gradient(x_shape, 2), grad_pooled = random_gradient(y_shape, 3);
  std::printf("bench_relu_lrn_pool: fp32, ReLU1 and LRN1 (n = %d, towers = %d) on %s, POOL1 (%dx%d, stride %d) to %s\n", lrn.size,
              lrn.towers, to_string(x_shape).c_str(), pool.kernel, pool.kernel, pool.stride,
              to_string(y_shape).c_str());

  std::vector<Benchmark> benchmarks = {
      {"relu forward", bytes_of({x_shape, x_shape}), [&] { cpu::relu_forward(x); }, {}},
      {"relu backward", bytes_of({x_shape, x_shape, x_shape}), [&] { cpu::relu_backward(x, grad); }, {}},
      {"lrn forward", bytes_of({x_shape, x_shape}), [&] { cpu::lrn_forward(x, lrn); }, {}},
      {"lrn backward", bytes_of({x_shape, x_shape, x_shape}), [&] { cpu::lrn_backward(x, grad, lrn); }, {}},
      {"maxpool forward", bytes_of({x_shape, y_shape}), [&] { cpu::maxpool2d_forward(x, pool); }, {}},
      {"maxpool backward", bytes_of({x_shape, y_shape, x_shape}),
       [&] { cpu::maxpool2d_backward(x, grad_pooled, pool); }, {}}};
  for (Benchmark& b : benchmarks) b.cpu_ms = median_time_ms(b.cpu);

#if ALEXNET_WITH_CUDA
  if (gpu_available()) {
    std::printf("GPU: %s\n", gpu_description().c_str());
    DeviceTensorF x_dev(x), grad_dev(grad), grad_pooled_dev(grad_pooled);
    DeviceTensorF y_dev(x_shape), grad_x_dev(x_shape), pooled_dev(y_shape);
    const cuda::Context context{};  // device 0, its default stream
    benchmarks[0].gpu = [&] { cuda::relu_forward(context, x_dev, y_dev); };
    benchmarks[1].gpu = [&] { cuda::relu_backward(context, x_dev, grad_dev, grad_x_dev); };
    benchmarks[2].gpu = [&] { cuda::lrn_forward(context, x_dev, lrn, y_dev); };
    benchmarks[3].gpu = [&] { cuda::lrn_backward(context, x_dev, grad_dev, lrn, grad_x_dev); };
    benchmarks[4].gpu = [&] { cuda::maxpool2d_forward(context, x_dev, pool, pooled_dev); };
    benchmarks[5].gpu = [&] { cuda::maxpool2d_backward(context, x_dev, grad_pooled_dev, pool, grad_x_dev); };
    for (Benchmark& b : benchmarks) b.gpu_ms = median_gpu_time_ms(b.gpu, 50);
  } else {
    std::printf("GPU: not available (%s)\n", gpu_unavailable_reason().c_str());
  }
#else
  std::printf("GPU: not built (no CUDA compiler when this program was configured)\n");
#endif
  print_table(benchmarks);
  return 0;
}
