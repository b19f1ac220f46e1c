#include "cuda/sgd.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// The factors arrive as floats computed on the host, as the CPU backends compute them.
__global__ void sgd_update_kernel(const float* grad, float momentum, float decay, float epsilon, float* weight,
                                  float* velocity, std::int64_t n) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float v = momentum * velocity[i] - decay * weight[i] - epsilon * grad[i];
  velocity[i] = v;
  weight[i] += v;
}

}  // namespace

void sgd_update(const Context& context, const DeviceTensorF& grad, double learning_rate, SgdParams params,
                DeviceTensorF& weight, DeviceTensorF& velocity) {
  const ScopedDevice device =
      use_device(context, "cuda::sgd_update", {{"grad", grad}, {"weight", weight}, {"velocity", velocity}});
  require_sgd_shapes("cuda::sgd_update", grad.shape(), weight.shape(), velocity.shape());
  if (grad.size() == 0) return;
  launch(sgd_update_kernel, blocks_for(grad.size()), kThreadsPerBlock, 0, context.stream, grad.data(),
         static_cast<float>(params.momentum), static_cast<float>(params.weight_decay * learning_rate),
         static_cast<float>(learning_rate), weight.data(), velocity.data(), grad.size());
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
