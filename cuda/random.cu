#include "cuda/random.cuh"

#include "cuda/launch.cuh"
#include "reference_cpu/random.hpp"

namespace alexnet::cuda {
namespace {

// One thread per element: thread i computes exactly what the CPU loop computes for i.
__global__ void fill_uniform_kernel(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream,
                                    float low, float high) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<float>(low + (high - low) * static_cast<double>(random_uniform(seed, stream, i)));
}

__global__ void fill_normal_kernel(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t stream,
                                   float mean, float stddev) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = static_cast<float>(mean + stddev * random_normal(seed, stream, i));
}

}  // namespace

void fill_uniform(const Context& context, DeviceTensorF& t, std::uint64_t seed, std::uint64_t stream, float low,
                  float high) {
  const ScopedDevice device = use_device(context, "cuda::fill_uniform", {{"t", t}});
  if (t.size() == 0) return;
  launch(fill_uniform_kernel, blocks_for(t.size()), kThreadsPerBlock, 0, context.stream, t.data(), t.size(), seed,
         stream, low, high);
  CUDA_CHECK_LAUNCH();
}

void fill_normal(const Context& context, DeviceTensorF& t, std::uint64_t seed, std::uint64_t stream, float mean,
                 float stddev) {
  const ScopedDevice device = use_device(context, "cuda::fill_normal", {{"t", t}});
  if (t.size() == 0) return;
  launch(fill_normal_kernel, blocks_for(t.size()), kThreadsPerBlock, 0, context.stream, t.data(), t.size(), seed,
         stream, mean, stddev);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
