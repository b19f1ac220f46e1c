#include "cuda/groupnorm.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// x [N, C, H, W] in G groups: group g of image n is the m = (C/G)·H·W contiguous values from (n·G + g)·m.
struct GroupGeometry {
  std::int64_t batch, plane, m;  // N, H·W, (C/G)·H·W
  int channels, groups, per_group;
  float epsilon;
};

GroupGeometry geometry(const Shape& x, GroupNormParams params) {
  const int per_group = static_cast<int>(x[1]) / params.groups;
  return GroupGeometry{x[0], x[2] * x[3], per_group * x[2] * x[3], static_cast<int>(x[1]), params.groups, per_group,
                       static_cast<float>(params.epsilon)};
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

struct GroupStatistics {
  float mean, inv_std;  // μ and 1/√(σ² + ε), σ² the biased variance
};

// The statistics of values[0..m), by the whole block, in two passes.
__device__ GroupStatistics group_statistics(const float* values, const GroupGeometry& g, float* partial) {
  const auto m = static_cast<float>(g.m);
  float sum = 0.0f;
  for (std::int64_t i = threadIdx.x; i < g.m; i += blockDim.x) sum += values[i];
  const float mean = block_sum(sum, partial) / m;
  float squares = 0.0f;
  for (std::int64_t i = threadIdx.x; i < g.m; i += blockDim.x) squares += (values[i] - mean) * (values[i] - mean);
  return GroupStatistics{mean, 1.0f / sqrtf(block_sum(squares, partial) / m + g.epsilon)};
}

// The channel of the i-th value of the group that block `group` = n·G + g normalizes.
__device__ int channel_in_group(int group, std::int64_t i, const GroupGeometry& g) {
  return group % g.groups * g.per_group + static_cast<int>(i / g.plane);
}

// One block per (image, group): its statistics, then y = γ_c·x̂ + β_c for its m values.
__global__ void groupnorm_forward_kernel(const float* x, const float* gamma, const float* beta, float* y,
                                        GroupGeometry g) {
  __shared__ float partial[kThreadsPerBlock];
  const int group = blockIdx.x;
  const float* xs = x + group * g.m;
  const GroupStatistics s = group_statistics(xs, g, partial);
  for (std::int64_t i = threadIdx.x; i < g.m; i += blockDim.x) {
    const int c = channel_in_group(group, i, g);
    y[group * g.m + i] = gamma[c] * (xs[i] - s.mean) * s.inv_std + beta[c];
  }
}

// One block per (image, group): its statistics (kept in `statistics` [N·G, 2] for the next kernel),
// Σ ĝ and Σ ĝ·x̂ with ĝ = g·γ_c, then ∂x = (ĝ − Σĝ/m − x̂·Σĝx̂/m)/σ̂.
__global__ void groupnorm_backward_input_kernel(const float* x, const float* gamma, const float* grad_y,
                                                float* grad_x, float* statistics, GroupGeometry g) {
  __shared__ float partial[kThreadsPerBlock];
  const int group = blockIdx.x;
  const std::int64_t first = group * g.m;
  const GroupStatistics s = group_statistics(x + first, g, partial);
  if (threadIdx.x == 0) {
    statistics[2 * group] = s.mean;
    statistics[2 * group + 1] = s.inv_std;
  }
  float sum_g = 0.0f, sum_g_xhat = 0.0f;
  for (std::int64_t i = threadIdx.x; i < g.m; i += blockDim.x) {
    const float g_scaled = grad_y[first + i] * gamma[channel_in_group(group, i, g)];
    sum_g += g_scaled;
    sum_g_xhat += g_scaled * (x[first + i] - s.mean) * s.inv_std;
  }
  sum_g = block_sum(sum_g, partial);
  sum_g_xhat = block_sum(sum_g_xhat, partial);
  const auto m = static_cast<float>(g.m);
  for (std::int64_t i = threadIdx.x; i < g.m; i += blockDim.x) {
    const float g_scaled = grad_y[first + i] * gamma[channel_in_group(group, i, g)];
    const float x_hat = (x[first + i] - s.mean) * s.inv_std;
    grad_x[first + i] = s.inv_std * (g_scaled - sum_g / m - x_hat * sum_g_xhat / m);
  }
}

// One block per channel c: ∂γ_c = Σ g·x̂ and ∂β_c = Σ g over the N·H·W values of c, each normalized
// with its own image's group statistics.
__global__ void groupnorm_backward_params_kernel(const float* x, const float* grad_y, const float* statistics,
                                                 float* grad_gamma, float* grad_beta, GroupGeometry g) {
  __shared__ float partial[kThreadsPerBlock];
  const int c = blockIdx.x;
  float sum_g = 0.0f, sum_g_xhat = 0.0f;
  for (std::int64_t j = threadIdx.x; j < g.batch * g.plane; j += blockDim.x) {
    const std::int64_t n = j / g.plane, at = (n * g.channels + c) * g.plane + j % g.plane;
    const std::int64_t group = n * g.groups + c / g.per_group;
    sum_g += grad_y[at];
    sum_g_xhat += grad_y[at] * (x[at] - statistics[2 * group]) * statistics[2 * group + 1];
  }
  sum_g = block_sum(sum_g, partial);
  sum_g_xhat = block_sum(sum_g_xhat, partial);
  if (threadIdx.x == 0) {
    grad_beta[c] = sum_g;
    grad_gamma[c] = sum_g_xhat;
  }
}

}  // namespace

void groupnorm_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                       const DeviceTensorF& beta, GroupNormParams params, DeviceTensorF& y) {
  const std::string op = "cuda::groupnorm_forward";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"gamma", gamma}, {"beta", beta}, {"y", y}});
  require_groupnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "y", x.shape(), y.shape());
  if (x.size() == 0) return;
  const GroupGeometry g = geometry(x.shape(), params);
  launch(groupnorm_forward_kernel, static_cast<unsigned>(g.batch * g.groups), kThreadsPerBlock, 0, context.stream,
         x.data(), gamma.data(), beta.data(), y.data(), g);
  CUDA_CHECK_LAUNCH();
}

void groupnorm_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                        const DeviceTensorF& grad_y, GroupNormParams params, DeviceTensorF& grad_x,
                        DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta) {
  const std::string op = "cuda::groupnorm_backward";
  const ScopedDevice device = use_device(context, op,
                                         {{"x", x}, {"gamma", gamma}, {"grad_y", grad_y}, {"grad_x", grad_x},
                                          {"grad_gamma", grad_gamma}, {"grad_beta", grad_beta}});
  require_groupnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_gamma", gamma.shape(), grad_gamma.shape());
  require_shape(op, "grad_beta", gamma.shape(), grad_beta.shape());
  const GroupGeometry g = geometry(x.shape(), params);
  DeviceTensorF statistics({g.batch * g.groups, 2}, context.device);  // μ, 1/σ̂ of each (image, group)
  if (x.size() > 0) {
    launch(groupnorm_backward_input_kernel, static_cast<unsigned>(g.batch * g.groups), kThreadsPerBlock, 0,
           context.stream, x.data(), gamma.data(), grad_y.data(), grad_x.data(), statistics.data(), g);
    CUDA_CHECK_LAUNCH();
  }
  // With no values (N = 0 or H·W = 0) the sums are 0: the kernel still writes them.
  launch(groupnorm_backward_params_kernel, static_cast<unsigned>(g.channels), kThreadsPerBlock, 0, context.stream,
         x.data(), grad_y.data(), statistics.data(), grad_gamma.data(), grad_beta.data(), g);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaStreamSynchronize(context.stream));  // the kernels read `statistics`: wait before freeing it
}

}  // namespace alexnet::cuda
