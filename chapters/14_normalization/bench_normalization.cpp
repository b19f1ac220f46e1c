// bench_normalization: times each normalization op of chapter 14 on the GPU at CONV1's output shape,
// batch 128 ([128, 96, 55, 55], fp32), against its memory-bandwidth bound: the bytes the op must read
// and write at least (each tensor once) moved at the rate of a device-to-device copy of x, measured in
// the same run. Prints ms, GB/s and the fraction of that bound. Without a GPU it says so and stops.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "network/plan.hpp"
#include "reference_cpu/batchnorm2d.hpp"
#include "reference_cpu/groupnorm.hpp"
#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/lrn.hpp"
#include "reference_cpu/random.hpp"

#if ALEXNET_WITH_CUDA
#include "cuda/batchnorm2d.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/gpu.cuh"
#include "cuda/gpu_timer.cuh"
#include "cuda/groupnorm.cuh"
#include "cuda/lrn.cuh"
#endif

using namespace alexnet;

int main() {
  const LayerSummary conv1 = summarize_layer(alexnet_two_tower(), "conv1");
  const Shape x_shape{128, conv1.output[0], conv1.output[1], conv1.output[2]};
  std::printf("bench_normalization: fp32, x %s (CONV1's output at batch 128)\n", to_string(x_shape).c_str());
#if ALEXNET_WITH_CUDA
  if (!gpu_available()) {
    std::printf("GPU: not available (%s): nothing to time\n", gpu_unavailable_reason().c_str());
    return 0;
  }
  std::printf("GPU: %s\n", gpu_description().c_str());
  const std::int64_t channels = x_shape[1];
  TensorF x(x_shape), gamma({channels}, 1.0f), beta({channels});
  fill_uniform(x, 1, 0, -1.0, 1.0);
  DeviceTensorF x_dev(x), g_dev(x), y_dev(x_shape), gx_dev(x_shape);
  DeviceTensorF gamma_dev(gamma), beta_dev(beta), dgamma(Shape{channels}), dbeta(Shape{channels});
  DeviceTensorF mean(Shape{channels}), variance(Shape{channels}), running_mean(Shape{channels});
  DeviceTensorF running_var(TensorF({channels}, 1.0f));
  const cuda::Context context{};
  const BatchNormParams bn;
  const GroupNormParams layer_norm{1}, group_norm{32}, instance_norm{static_cast<int>(channels)};
  const LrnParams lrn = lrn_params(find_layer(alexnet_two_tower(), "lrn1"));
  struct GroupStatistics {  // what a group normalization's forward hands to its backward: [N, G] each
    DeviceTensorF mean, variance;
  };
  const auto statistics_for = [&](const GroupNormParams& params) {
    const Shape shape{x_shape[0], params.groups};
    return GroupStatistics{DeviceTensorF(shape), DeviceTensorF(shape)};
  };
  GroupStatistics layer_stats = statistics_for(layer_norm), group_stats = statistics_for(group_norm),
                  instance_stats = statistics_for(instance_norm);

  const double tensor_bytes = static_cast<double>(x.size()) * sizeof(float);
  const double copy_ms = median_gpu_time_ms(
      [&] { CUDA_CHECK(cudaMemcpyAsync(y_dev.data(), x_dev.data(), x_dev.bytes(), cudaMemcpyDeviceToDevice, 0)); }, 20);
  const double copy_gbs = 2.0 * tensor_bytes / (copy_ms * 1e6);  // a copy reads x and writes y
  std::printf("device-to-device copy of x: %.3f ms, %.0f GB/s (the bound's rate)\n\n", copy_ms, copy_gbs);

  struct Op {
    std::string name;
    int tensors;  // x-sized tensors it must read or write at least once
    std::function<void()> run;
  };
  const std::vector<Op> ops = {
      {"batchnorm forward (training)", 2,
       [&] { cuda::batchnorm2d_forward_training(context, x_dev, gamma_dev, beta_dev, bn, y_dev, mean, variance); }},
      {"batchnorm forward (eval)", 2,
       [&] {
         cuda::batchnorm2d_forward_inference(context, x_dev, gamma_dev, beta_dev, running_mean, running_var, bn, y_dev);
       }},
      {"batchnorm backward", 3,
       [&] {
         cuda::batchnorm2d_backward(context, x_dev, gamma_dev, mean, variance, g_dev, bn, gx_dev, dgamma, dbeta);
       }},
      {"layernorm forward (G=1)", 2,
       [&] {
         cuda::groupnorm_forward(context, x_dev, gamma_dev, beta_dev, layer_norm, y_dev, layer_stats.mean,
                                 layer_stats.variance);
       }},
      {"groupnorm forward (G=32)", 2,
       [&] {
         cuda::groupnorm_forward(context, x_dev, gamma_dev, beta_dev, group_norm, y_dev, group_stats.mean,
                                 group_stats.variance);
       }},
      {"instancenorm forward (G=C)", 2,
       [&] {
         cuda::groupnorm_forward(context, x_dev, gamma_dev, beta_dev, instance_norm, y_dev, instance_stats.mean,
                                 instance_stats.variance);
       }},
      {"groupnorm backward (G=32)", 3,
       [&] {
         cuda::groupnorm_backward(context, x_dev, gamma_dev, group_stats.mean, group_stats.variance, g_dev,
                                  group_norm, gx_dev, dgamma, dbeta);
       }},
      {"lrn forward (paper)", 2, [&] { cuda::lrn_forward(context, x_dev, lrn, y_dev); }},
      {"lrn backward (paper)", 3, [&] { cuda::lrn_backward(context, x_dev, g_dev, lrn, gx_dev); }},
      {"lrn forward, by column (fast)", 2, [&] { cuda::lrn_forward_by_column(context, x_dev, lrn, y_dev); }},
      {"lrn backward, by column (fast)", 3,
       [&] { cuda::lrn_backward_by_column(context, x_dev, g_dev, lrn, gx_dev); }},
  };
  std::printf("%-30s %10s %10s %12s\n", "op", "ms", "GB/s", "of the bound");
  for (const Op& op : ops) {
    const double ms = median_gpu_time_ms(op.run, 20);
    const double gbs = op.tensors * tensor_bytes / (ms * 1e6);
    std::printf("%-30s %10.3f %10.0f %11.0f%%\n", op.name.c_str(), ms, gbs, 100.0 * gbs / copy_gbs);
  }
#else
  std::printf("GPU: not built (no CUDA compiler when this program was configured)\n");
#endif
  return 0;
}
