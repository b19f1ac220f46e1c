#include "cuda/batchnorm2d.cuh"

#include <stdexcept>
#include <string>

#include "cuda/launch.cuh"
#include "cuda/set_reduction.cuh"

namespace alexnet::cuda {
namespace {

// x [N, C, H, W] as the kernels index it.
struct BatchNormGeometry {
  std::int64_t planes, plane, count;  // N·C, H·W, m = N·H·W values per channel
  int channels;
  float epsilon;
};

BatchNormGeometry geometry(const Shape& x, BatchNormParams params) {
  return BatchNormGeometry{x[0] * x[1], x[2] * x[3], x[0] * x[2] * x[3], static_cast<int>(x[1]),
                           static_cast<float>(params.epsilon)};
}

// Channel c is a set of N runs (its planes) of H·W values, run n at (n·C + c)·H·W.
SetLayout channel_sets(const BatchNormGeometry& g) {
  return SetLayout{g.channels, g.plane, g.planes / g.channels, g.channels * g.plane, g.plane};
}

// The elementwise kernels cover plane p = n·C + c.
dim3 normalize_grid(const BatchNormGeometry& g) {
  return plane_grid("cuda batch normalization", g.planes, g.plane);
}

// Forward statistics: Welford's moments of each channel (AddValue, StoreMeanAndVariance).

// Backward sums with the forward's mean: Σ g and Σ g·(x − μ_c); ∂β = Σ g, ∂γ = Σ g·x̂ = Σ g·(x − μ_c)/σ̂_c.
struct AddGradientTerms {
  const float *x, *grad_y, *mean;
  __device__ void operator()(GradientSums& sums, std::int64_t c, std::int64_t, std::int64_t at) const {
    sums.g += grad_y[at];
    sums.g_centered += grad_y[at] * (x[at] - mean[c]);
  }
};
struct StoreParameterGradients {
  const float* variance;
  float epsilon;
  float *grad_gamma, *grad_beta;
  __device__ void operator()(std::int64_t c, const GradientSums& sums) const {
    grad_beta[c] = sums.g;
    grad_gamma[c] = sums.g_centered / sqrtf(variance[c] + epsilon);
  }
};

// y = γ_c·(x − mean_c)/√(variance_c + ε) + β_c, with the batch's statistics (training) or the running ones
// (evaluation); block (p, k) covers values k·256… of plane p.
__global__ void batchnorm_normalize_kernel(const float* x, const float* gamma, const float* beta, const float* mean,
                                           const float* variance, float* y, BatchNormGeometry g) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (i >= g.plane) return;
  const auto c = static_cast<int>(blockIdx.x % static_cast<unsigned>(g.channels));
  const std::int64_t at = static_cast<std::int64_t>(blockIdx.x) * g.plane + i;
  y[at] = gamma[c] * (x[at] - mean[c]) / sqrtf(variance[c] + g.epsilon) + beta[c];
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

// ∂x = γ_c/σ̂_c·(g − Σg/m − x̂·Σg·x̂/m), with Σ g = ∂β_c and Σ g·x̂ = ∂γ_c already summed; blocks as in
// batchnorm_normalize_kernel.
__global__ void batchnorm_backward_input_kernel(const float* x, const float* gamma, const float* mean,
                                                const float* variance, const float* grad_y, const float* grad_gamma,
                                                const float* grad_beta, float* grad_x, BatchNormGeometry g) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (i >= g.plane) return;
  const auto c = static_cast<int>(blockIdx.x % static_cast<unsigned>(g.channels));
  const std::int64_t at = static_cast<std::int64_t>(blockIdx.x) * g.plane + i;
  const auto m = static_cast<float>(g.count);
  const float inv_std = 1.0f / sqrtf(variance[c] + g.epsilon);
  const float x_hat = (x[at] - mean[c]) * inv_std;
  grad_x[at] = gamma[c] * inv_std * (grad_y[at] - grad_beta[c] / m - x_hat * grad_gamma[c] / m);
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
  // The statistics' partial results go to y, which the normalization then overwrites.
  reduce_sets<Moments>(context, channel_sets(g), AddValue{x.data()},
                       StoreMeanAndVariance{batch_mean.data(), batch_variance.data()}, y.data(), y.size());
  launch(batchnorm_normalize_kernel, normalize_grid(g), kThreadsPerBlock, 0, context.stream, x.data(), gamma.data(),
         beta.data(), batch_mean.data(), batch_variance.data(), y.data(), g);
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
  const BatchNormGeometry g = geometry(x.shape(), params);
  launch(batchnorm_normalize_kernel, normalize_grid(g), kThreadsPerBlock, 0, context.stream, x.data(), gamma.data(),
         beta.data(), running_mean.data(), running_var.data(), y.data(), g);
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
                          const DeviceTensorF& batch_mean, const DeviceTensorF& batch_variance,
                          const DeviceTensorF& grad_y, BatchNormParams params, DeviceTensorF& grad_x,
                          DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta) {
  const std::string op = "cuda::batchnorm2d_backward";
  const ScopedDevice device =
      use_device(context, op,
                 {{"x", x}, {"gamma", gamma}, {"batch_mean", batch_mean}, {"batch_variance", batch_variance},
                  {"grad_y", grad_y}, {"grad_x", grad_x}, {"grad_gamma", grad_gamma}, {"grad_beta", grad_beta}});
  require_batchnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "batch_mean", gamma.shape(), batch_mean.shape());
  require_shape(op, "batch_variance", gamma.shape(), batch_variance.shape());
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_gamma", gamma.shape(), grad_gamma.shape());
  require_shape(op, "grad_beta", gamma.shape(), grad_beta.shape());
  if (x.size() == 0) return;
  const BatchNormGeometry g = geometry(x.shape(), params);
  // ∂γ and ∂β first, their partial sums in grad_x, which the last kernel then overwrites.
  reduce_sets<GradientSums>(context, channel_sets(g), AddGradientTerms{x.data(), grad_y.data(), batch_mean.data()},
                            StoreParameterGradients{batch_variance.data(), g.epsilon, grad_gamma.data(),
                                                    grad_beta.data()},
                            grad_x.data(), grad_x.size());
  launch(batchnorm_backward_input_kernel, normalize_grid(g), kThreadsPerBlock, 0, context.stream, x.data(),
         gamma.data(), batch_mean.data(), batch_variance.data(), grad_y.data(), grad_gamma.data(), grad_beta.data(),
         grad_x.data(), g);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
