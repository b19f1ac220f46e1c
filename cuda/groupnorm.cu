#include "cuda/groupnorm.cuh"

#include <stdexcept>
#include <string>

#include "cuda/launch.cuh"
#include "cuda/set_reduction.cuh"

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

// The mean and the variance of each (image, group): [N, G].
Shape group_statistics_shape(const Shape& x, GroupNormParams params) { return Shape{x.at(0), params.groups}; }

// Group (n, g) is a set of C/G runs (its channels' planes), contiguous: the statistics.
SetLayout group_sets(const GroupGeometry& g) {
  return SetLayout{g.batch * g.groups, g.m, g.per_group, g.plane, g.plane};
}

// Channel c is a set of N runs, plane (n, c) each: ∂γ_c and ∂β_c.
SetLayout channel_sets(const GroupGeometry& g) {
  return SetLayout{g.channels, g.plane, g.batch, static_cast<std::int64_t>(g.channels) * g.plane, g.plane};
}

// The elementwise kernel covers plane p = n·C + c.
dim3 normalize_grid(const GroupGeometry& g) {
  return plane_grid("cuda group normalization", g.batch * g.channels, g.plane);
}

__device__ float inverse_std(float variance, float epsilon) { return 1.0f / sqrtf(variance + epsilon); }

// Forward statistics: Welford's moments of each (image, group) (AddValue, StoreMeanAndVariance).

// ∂β_c = Σ g and ∂γ_c = Σ g·x̂ over the planes (n, c), each x̂ with its own image's group statistics.
struct AddParameterTerms {
  const float *x, *grad_y, *mean, *variance;
  int groups, per_group;
  float epsilon;
  __device__ void operator()(GradientSums& sums, std::int64_t c, std::int64_t n, std::int64_t at) const {
    const std::int64_t group = n * groups + c / per_group;
    sums.g += grad_y[at];
    sums.g_centered += grad_y[at] * (x[at] - mean[group]) * inverse_std(variance[group], epsilon);
  }
};
struct StoreParameterGradients {
  float *grad_gamma, *grad_beta;
  __device__ void operator()(std::int64_t c, const GradientSums& sums) const {
    grad_beta[c] = sums.g;
    grad_gamma[c] = sums.g_centered;
  }
};

// y = γ_c·(x − μ_{n,g})/σ̂_{n,g} + β_c; block (p, k) covers values k·256… of plane p = n·C + c, whose
// group is p / (C/G) = n·G + c / (C/G).
__global__ void groupnorm_normalize_kernel(const float* x, const float* gamma, const float* beta, const float* mean,
                                           const float* variance, float* y, GroupGeometry g) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (i >= g.plane) return;
  const auto c = static_cast<int>(blockIdx.x % static_cast<unsigned>(g.channels));
  const auto group = static_cast<int>(blockIdx.x / static_cast<unsigned>(g.per_group));
  const std::int64_t at = static_cast<std::int64_t>(blockIdx.x) * g.plane + i;
  y[at] = gamma[c] * (x[at] - mean[group]) * inverse_std(variance[group], g.epsilon) + beta[c];
}

// One block per (image, group), with ĝ = g·γ_c: Σ ĝ and Σ ĝ·x̂ over its m values, then
// ∂x = (ĝ − Σĝ/m − x̂·Σĝx̂/m)/σ̂. The group's values are read twice; the second time they come from the cache.
__global__ void groupnorm_backward_input_kernel(const float* x, const float* gamma, const float* mean,
                                                const float* variance, const float* grad_y, float* grad_x,
                                                GroupGeometry g) {
  __shared__ GradientSums shared[kThreadsPerBlock];
  const auto group = static_cast<std::int64_t>(blockIdx.x);
  const std::int64_t first = group * g.m;
  const int first_channel = static_cast<int>(group % g.groups) * g.per_group;
  const float mu = mean[group], inv_std = inverse_std(variance[group], g.epsilon);
  GradientSums mine{};
  for (int k = 0; k < g.per_group; ++k) {  // channel first_channel + k: values first + k·plane …
    const std::int64_t plane_first = first + k * g.plane;
    for (std::int64_t i = threadIdx.x; i < g.plane; i += blockDim.x) {
      const float g_scaled = grad_y[plane_first + i] * gamma[first_channel + k];
      mine.g += g_scaled;
      mine.g_centered += g_scaled * (x[plane_first + i] - mu) * inv_std;
    }
  }
  const GradientSums sums = block_merge(mine, shared);
  const auto m = static_cast<float>(g.m);
  for (int k = 0; k < g.per_group; ++k) {
    const std::int64_t plane_first = first + k * g.plane;
    for (std::int64_t i = threadIdx.x; i < g.plane; i += blockDim.x) {
      const float g_scaled = grad_y[plane_first + i] * gamma[first_channel + k];
      const float x_hat = (x[plane_first + i] - mu) * inv_std;
      grad_x[plane_first + i] = inv_std * (g_scaled - sums.g / m - x_hat * sums.g_centered / m);
    }
  }
}

}  // namespace

void groupnorm_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                       const DeviceTensorF& beta, GroupNormParams params, DeviceTensorF& y, DeviceTensorF& group_mean,
                       DeviceTensorF& group_variance) {
  const std::string op = "cuda::groupnorm_forward";
  const ScopedDevice device = use_device(context, op,
                                         {{"x", x}, {"gamma", gamma}, {"beta", beta}, {"y", y},
                                          {"group_mean", group_mean}, {"group_variance", group_variance}});
  require_groupnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "y", x.shape(), y.shape());
  require_shape(op, "group_mean", group_statistics_shape(x.shape(), params), group_mean.shape());
  require_shape(op, "group_variance", group_statistics_shape(x.shape(), params), group_variance.shape());
  if (x.size() == 0) return;
  const GroupGeometry g = geometry(x.shape(), params);
  // The statistics' partial results go to y, which the normalization then overwrites.
  reduce_sets<Moments>(context, group_sets(g), AddValue{x.data()},
                       StoreMeanAndVariance{group_mean.data(), group_variance.data()}, y.data(), y.size());
  launch(groupnorm_normalize_kernel, normalize_grid(g), kThreadsPerBlock, 0, context.stream, x.data(), gamma.data(),
         beta.data(), group_mean.data(), group_variance.data(), y.data(), g);
  CUDA_CHECK_LAUNCH();
}

void groupnorm_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                        const DeviceTensorF& group_mean, const DeviceTensorF& group_variance,
                        const DeviceTensorF& grad_y, GroupNormParams params, DeviceTensorF& grad_x,
                        DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta) {
  const std::string op = "cuda::groupnorm_backward";
  const ScopedDevice device =
      use_device(context, op,
                 {{"x", x}, {"gamma", gamma}, {"group_mean", group_mean}, {"group_variance", group_variance},
                  {"grad_y", grad_y}, {"grad_x", grad_x}, {"grad_gamma", grad_gamma}, {"grad_beta", grad_beta}});
  require_groupnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "group_mean", group_statistics_shape(x.shape(), params), group_mean.shape());
  require_shape(op, "group_variance", group_statistics_shape(x.shape(), params), group_variance.shape());
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_gamma", gamma.shape(), grad_gamma.shape());
  require_shape(op, "grad_beta", gamma.shape(), grad_beta.shape());
  const GroupGeometry g = geometry(x.shape(), params);
  // ∂γ and ∂β first, their partial sums in grad_x, which the next kernel then overwrites. With no values
  // (N = 0 or H·W = 0) the sums are 0, and are still written.
  reduce_sets<GradientSums>(context, channel_sets(g),
                            AddParameterTerms{x.data(), grad_y.data(), group_mean.data(), group_variance.data(),
                                              g.groups, g.per_group, g.epsilon},
                            StoreParameterGradients{grad_gamma.data(), grad_beta.data()}, grad_x.data(),
                            grad_x.size());
  if (g.batch == 0) return;
  launch(groupnorm_backward_input_kernel, static_cast<unsigned>(g.batch * g.groups), kThreadsPerBlock, 0,
         context.stream, x.data(), gamma.data(), group_mean.data(), group_variance.data(), grad_y.data(),
         grad_x.data(), g);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
