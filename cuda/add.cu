#include "cuda/add.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

__global__ void add_into_kernel(const float* x, float* y, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}

}  // namespace

void add_into(const Context& context, const DeviceTensorF& x, DeviceTensorF& y) {
  const ScopedDevice device = use_device(context, "cuda::add_into", {{"x", x}, {"y", y}});
  require_shape("cuda::add_into", "y", x.shape(), y.shape());
  if (x.size() == 0) return;
  launch(add_into_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(), y.data(), x.size());
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
