#include "cpu_fast/groupnorm.hpp"

#include <cmath>
#include <vector>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// Group g of image n: m = (C/G)·H·W contiguous floats from (n·G + g)·m, channel by channel.
struct Groups {
  std::int64_t batch, count, per_group, plane, m;  // N, G, C/G, H·W, (C/G)·H·W
  Groups(const Shape& x, GroupNormParams params)
      : batch(x[0]), count(params.groups), per_group(x[1] / params.groups), plane(x[2] * x[3]),
        m(per_group * plane) {}
};

// μ and 1/√(σ² + ε) of one group's m values, summed in double in two passes.
struct Moments {
  double mean, inv_std;
};

ALEXNET_SIMD_CLONES Moments group_moments(const float* v, std::int64_t m, double epsilon) {
  double sum = 0, squares = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < m; ++i) sum += v[i];
  const double mean = sum / static_cast<double>(m);
#pragma omp simd reduction(+ : squares)
  for (std::int64_t i = 0; i < m; ++i) squares += (v[i] - mean) * (v[i] - mean);
  return {mean, 1 / std::sqrt(squares / static_cast<double>(m) + epsilon)};
}

}  // namespace

ALEXNET_SIMD_CLONES TensorF groupnorm_forward(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                              GroupNormParams params) {
  require_groupnorm_input("fast::groupnorm_forward", x.shape(), gamma.shape(), beta.shape(), params);
  const Groups layout(x.shape(), params);
  TensorF y = TensorF::uninitialized(x.shape());
#pragma omp parallel for schedule(static)
  for (std::int64_t group = 0; group < layout.batch * layout.count; ++group) {  // group = n·G + g
    const float* xs = x.data() + group * layout.m;
    float* ys = y.data() + group * layout.m;
    const Moments stats = group_moments(xs, layout.m, params.epsilon);
    const auto mean = static_cast<float>(stats.mean);
    for (std::int64_t k = 0; k < layout.per_group; ++k) {  // channel c = g·(C/G) + k, one plane each
      const std::int64_t c = group % layout.count * layout.per_group + k, at = k * layout.plane;
      const auto scale = static_cast<float>(gamma[c] * stats.inv_std);
      const float shift = beta[c];
#pragma omp simd
      for (std::int64_t i = at; i < at + layout.plane; ++i) ys[i] = (xs[i] - mean) * scale + shift;
    }
  }
  return y;
}

ALEXNET_SIMD_CLONES NormGradients<float> groupnorm_backward(const TensorF& x, const TensorF& gamma, TensorF grad_y,
                                                            GroupNormParams params) {
  const char* op = "fast::groupnorm_backward";
  require_groupnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  const Groups layout(x.shape(), params);
  const auto m = static_cast<double>(layout.m);
  NormGradients<float> grad{TensorF(), TensorF(gamma.shape()), TensorF(gamma.shape())};
  const std::int64_t channels = layout.count * layout.per_group;
  std::vector<Moments> stats(static_cast<std::size_t>(layout.batch * layout.count));
  // Σ g and Σ g·(x − μ) of every plane [N·C], for ∂x and again for ∂γ and ∂β
  std::vector<double> plane_g(static_cast<std::size_t>(layout.batch * channels)), plane_g_centered(plane_g.size());

  // ∂x, one (image, group) per thread: with ĝ = g·γ_c, ∂x = σ̂⁻¹·(ĝ − Σĝ/m − x̂·Σĝx̂/m).
#pragma omp parallel for schedule(static)
  for (std::int64_t group = 0; group < layout.batch * layout.count; ++group) {
    const float* xs = x.data() + group * layout.m;
    float* g = grad_y.data() + group * layout.m;  // read for the sums, then overwritten with ∂x
    const Moments s = group_moments(xs, layout.m, params.epsilon);
    stats[static_cast<std::size_t>(group)] = s;
    const std::int64_t first_channel = group % layout.count * layout.per_group;
    double sum_g = 0, sum_g_centered = 0;  // Σ ĝ and Σ ĝ·(x − μ) = σ̂·Σ ĝ·x̂
    for (std::int64_t k = 0; k < layout.per_group; ++k) {
      double g_k = 0, g_centered_k = 0;
#pragma omp simd reduction(+ : g_k, g_centered_k)
      for (std::int64_t i = k * layout.plane; i < (k + 1) * layout.plane; ++i) {
        g_k += g[i];
        g_centered_k += g[i] * (xs[i] - s.mean);
      }
      const std::int64_t plane = group * layout.per_group + k;  // n·C + c
      plane_g[static_cast<std::size_t>(plane)] = g_k;
      plane_g_centered[static_cast<std::size_t>(plane)] = g_centered_k;
      sum_g += gamma[first_channel + k] * g_k;
      sum_g_centered += gamma[first_channel + k] * g_centered_k;
    }
    const auto mean = static_cast<float>(s.mean);
    const auto shift = static_cast<float>(s.inv_std * sum_g / m);
    const auto slope = static_cast<float>(s.inv_std * s.inv_std * s.inv_std * sum_g_centered / m);
    for (std::int64_t k = 0; k < layout.per_group; ++k) {
      const auto scale = static_cast<float>(gamma[first_channel + k] * s.inv_std);
#pragma omp simd
      for (std::int64_t i = k * layout.plane; i < (k + 1) * layout.plane; ++i) {
        g[i] = g[i] * scale - shift - (xs[i] - mean) * slope;
      }
    }
  }

  // ∂γ_c = Σ g·x̂ and ∂β_c = Σ g over (N, H, W): the planes' sums added over n in order.
  for (std::int64_t c = 0; c < channels; ++c) {
    double sum_g = 0, sum_g_xhat = 0;
    for (std::int64_t n = 0; n < layout.batch; ++n) {
      const auto plane = static_cast<std::size_t>(n * channels + c);
      sum_g += plane_g[plane];
      const Moments& s = stats[static_cast<std::size_t>(n * layout.count + c / layout.per_group)];
      sum_g_xhat += plane_g_centered[plane] * s.inv_std;
    }
    grad.beta[c] = static_cast<float>(sum_g);
    grad.gamma[c] = static_cast<float>(sum_g_xhat);
  }
  grad.input = std::move(grad_y);
  return grad;
}

}  // namespace alexnet::fast
