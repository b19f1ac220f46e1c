#include "cuda/relu.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

__global__ void relu_forward_kernel(const float* x, float* y, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void relu_backward_kernel(const float* x, const float* grad_y, float* grad_x, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) grad_x[i] = x[i] > 0.0f ? grad_y[i] : 0.0f;
}

}  // namespace

void relu_forward(const Context& context, const DeviceTensorF& x, DeviceTensorF& y) {
  const ScopedDevice device = use_device(context, "cuda::relu_forward", {{"x", x}, {"y", y}});
  require_shape("cuda::relu_forward", "y", x.shape(), y.shape());
  if (x.size() == 0) return;
  launch(relu_forward_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(), y.data(),
         x.size());
  CUDA_CHECK_LAUNCH();
}

void relu_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y, DeviceTensorF& grad_x) {
  const ScopedDevice device =
      use_device(context, "cuda::relu_backward", {{"x", x}, {"grad_y", grad_y}, {"grad_x", grad_x}});
  require_shape("cuda::relu_backward", "grad_y", x.shape(), grad_y.shape());
  require_shape("cuda::relu_backward", "grad_x", x.shape(), grad_x.shape());
  if (x.size() == 0) return;
  launch(relu_backward_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(), grad_y.data(),
         grad_x.data(), x.size());
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
