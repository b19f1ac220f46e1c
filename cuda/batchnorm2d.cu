#include "cuda/batchnorm2d.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// x [N, C, H, W] as the kernels index it.
struct BatchNormGeometry {
  std::int64_t elements, plane, count;  // N·C·H·W, H·W, m = N·H·W values per channel
  int channels;
  float epsilon;
};

BatchNormGeometry geometry(const Shape& x, BatchNormParams params) {
  return BatchNormGeometry{element_count(x), x[2] * x[3], x[0] * x[2] * x[3], static_cast<int>(x[1]),
                           static_cast<float>(params.epsilon)};
}

// The flat index of the j-th value of channel c (j < m): image j / plane, position j % plane.
// Consecutive j are consecutive addresses within a plane, so a block's reads coalesce.
__device__ std::int64_t channel_value(const BatchNormGeometry& g, int c, std::int64_t j) {
  return (j / g.plane * g.channels + c) * g.plane + j % g.plane;
}

// The sum of every thread's `value`, returned to all threads of the block: a tree of pairwise
// additions in `partial`, the kernel's __shared__ float[kThreadsPerBlock] (blockDim.x = kThreadsPerBlock).
__device__ float block_sum(float value, float* partial) {
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int half = kThreadsPerBlock / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  const float sum = partial[0];
  __syncthreads();  // before the next call overwrites partial
  return sum;
}

struct Moments {
  float mean, variance;  // the biased variance
};

// Mean and biased variance of channel c over (N, H, W), by the whole block, in two passes.
__device__ Moments channel_moments(const float* x, int c, const BatchNormGeometry& g, float* partial) {
  const auto m = static_cast<float>(g.count);
  float sum = 0.0f;
  for (std::int64_t j = threadIdx.x; j < g.count; j += blockDim.x) sum += x[channel_value(g, c, j)];
  const float mean = block_sum(sum, partial) / m;
  float squares = 0.0f;
  for (std::int64_t j = threadIdx.x; j < g.count; j += blockDim.x) {
    const float deviation = x[channel_value(g, c, j)] - mean;
    squares += deviation * deviation;
  }
  return Moments{mean, block_sum(squares, partial) / m};
}

// One block per channel: its batch mean and biased variance.
__global__ void batchnorm_statistics_kernel(const float* x, float* mean, float* variance, BatchNormGeometry g) {
  __shared__ float partial[kThreadsPerBlock];
  const int c = blockIdx.x;
  const Moments moments = channel_moments(x, c, g, partial);
  if (threadIdx.x == 0) {
    mean[c] = moments.mean;
    variance[c] = moments.variance;
  }
}

// One thread per element: y = γ_c·(x − mean_c)/√(variance_c + ε) + β_c, with the batch's statistics
// (training) or the running ones (evaluation).
__global__ void batchnorm_normalize_kernel(const float* x, const float* gamma, const float* beta, const float* mean,
                                           const float* variance, float* y, BatchNormGeometry g) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= g.elements) return;
  const auto c = static_cast<int>(index / g.plane % g.channels);
  y[index] = gamma[c] * (x[index] - mean[c]) / sqrtf(variance[c] + g.epsilon) + beta[c];
}

// One thread per channel.
__global__ void update_running_statistics_kernel(float* running_mean, float* running_var, const float* batch_mean,
                                                 const float* batch_variance, int channels, float momentum,
                                                 float unbias) {
  const int c = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (c >= channels) return;
  running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * batch_mean[c];
  running_var[c] = (1.0f - momentum) * running_var[c] + momentum * batch_variance[c] * unbias;
}

// One block per channel: the statistics again, Σ g and Σ g·x̂ (∂β and ∂γ), then
// ∂x = γ/σ̂·(g − Σg/m − x̂·Σg·x̂/m) for the channel's m values.
__global__ void batchnorm_backward_kernel(const float* x, const float* gamma, const float* grad_y, float* grad_x,
                                          float* grad_gamma, float* grad_beta, BatchNormGeometry g) {
  __shared__ float partial[kThreadsPerBlock];
  const int c = blockIdx.x;
  const Moments moments = channel_moments(x, c, g, partial);
  const float inv_std = 1.0f / sqrtf(moments.variance + g.epsilon);
  float sum_g = 0.0f, sum_g_xhat = 0.0f;
  for (std::int64_t j = threadIdx.x; j < g.count; j += blockDim.x) {
    const std::int64_t at = channel_value(g, c, j);
    sum_g += grad_y[at];
    sum_g_xhat += grad_y[at] * (x[at] - moments.mean) * inv_std;
  }
  sum_g = block_sum(sum_g, partial);
  sum_g_xhat = block_sum(sum_g_xhat, partial);
  if (threadIdx.x == 0) {
    grad_beta[c] = sum_g;
    grad_gamma[c] = sum_g_xhat;
  }
  const auto m = static_cast<float>(g.count);
  for (std::int64_t j = threadIdx.x; j < g.count; j += blockDim.x) {
    const std::int64_t at = channel_value(g, c, j);
    const float x_hat = (x[at] - moments.mean) * inv_std;
    grad_x[at] = gamma[c] * inv_std * (grad_y[at] - sum_g / m - x_hat * sum_g_xhat / m);
  }
}

}  // namespace

void batchnorm2d_forward_training(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                                  const DeviceTensorF& beta, BatchNormParams params, DeviceTensorF& y,
                                  DeviceTensorF& batch_mean, DeviceTensorF& batch_variance) {
  const std::string op = "cuda::batchnorm2d_forward_training";
  const ScopedDevice device = use_device(context, op,
                                         {{"x", x}, {"gamma", gamma}, {"beta", beta}, {"y", y},
                                          {"batch_mean", batch_mean}, {"batch_variance", batch_variance}});
  require_batchnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "y", x.shape(), y.shape());
  require_shape(op, "batch_mean", gamma.shape(), batch_mean.shape());
  require_shape(op, "batch_variance", gamma.shape(), batch_variance.shape());
  if (x.size() == 0) return;  // C = 0
  const BatchNormGeometry g = geometry(x.shape(), params);
  launch(batchnorm_statistics_kernel, g.channels, kThreadsPerBlock, 0, context.stream, x.data(), batch_mean.data(),
         batch_variance.data(), g);
  CUDA_CHECK_LAUNCH();
  launch(batchnorm_normalize_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(),
         gamma.data(), beta.data(), batch_mean.data(), batch_variance.data(), y.data(), g);
  CUDA_CHECK_LAUNCH();
}

void batchnorm2d_forward_inference(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                                   const DeviceTensorF& beta, const DeviceTensorF& running_mean,
                                   const DeviceTensorF& running_var, BatchNormParams params, DeviceTensorF& y) {
  const std::string op = "cuda::batchnorm2d_forward_inference";
  const ScopedDevice device = use_device(context, op,
                                         {{"x", x}, {"gamma", gamma}, {"beta", beta}, {"running_mean", running_mean},
                                          {"running_var", running_var}, {"y", y}});
  require_batchnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "running_mean", gamma.shape(), running_mean.shape());
  require_shape(op, "running_var", gamma.shape(), running_var.shape());
  require_shape(op, "y", x.shape(), y.shape());
  if (x.size() == 0) return;
  launch(batchnorm_normalize_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(),
         gamma.data(), beta.data(), running_mean.data(), running_var.data(), y.data(), geometry(x.shape(), params));
  CUDA_CHECK_LAUNCH();
}

void update_running_statistics(const Context& context, DeviceTensorF& running_mean, DeviceTensorF& running_var,
                               const DeviceTensorF& batch_mean, const DeviceTensorF& batch_variance,
                               std::int64_t count_per_channel, BatchNormParams params) {
  const std::string op = "cuda::update_running_statistics";
  const ScopedDevice device = use_device(context, op,
                                         {{"running_mean", running_mean}, {"running_var", running_var},
                                          {"batch_mean", batch_mean}, {"batch_variance", batch_variance}});
  require_running_statistics(op, running_mean.shape(), running_var.shape(), batch_mean.shape(),
                             batch_variance.shape(), count_per_channel, params);
  if (running_mean.size() == 0) return;
  const double unbias = static_cast<double>(count_per_channel) / static_cast<double>(count_per_channel - 1);
  launch(update_running_statistics_kernel, blocks_for(running_mean.size()), kThreadsPerBlock, 0, context.stream,
         running_mean.data(), running_var.data(), batch_mean.data(), batch_variance.data(),
         static_cast<int>(running_mean.size()), static_cast<float>(params.momentum), static_cast<float>(unbias));
  CUDA_CHECK_LAUNCH();
}

void batchnorm2d_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                          const DeviceTensorF& grad_y, BatchNormParams params, DeviceTensorF& grad_x,
                          DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta) {
  const std::string op = "cuda::batchnorm2d_backward";
  const ScopedDevice device = use_device(context, op,
                                         {{"x", x}, {"gamma", gamma}, {"grad_y", grad_y}, {"grad_x", grad_x},
                                          {"grad_gamma", grad_gamma}, {"grad_beta", grad_beta}});
  require_batchnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_gamma", gamma.shape(), grad_gamma.shape());
  require_shape(op, "grad_beta", gamma.shape(), grad_beta.shape());
  if (x.size() == 0) return;
  const BatchNormGeometry g = geometry(x.shape(), params);
  launch(batchnorm_backward_kernel, g.channels, kThreadsPerBlock, 0, context.stream, x.data(), gamma.data(),
         grad_y.data(), grad_x.data(), grad_gamma.data(), grad_beta.data(), g);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
