#include "cpu_fast/batchnorm2d.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// x [N, C, H, W] as the loops use it: N·C planes of H·W floats, plane q = n·C + c (channel c of image n) at q·H·W.
// Every pass below runs over the planes in memory order, split over the threads: a channel's planes are C planes
// apart, and with small planes (7 × 7 in the mini network) a loop per channel would be many short, scattered runs.
struct Planes {
  std::int64_t batch, channels, plane;
  explicit Planes(const Shape& x) : batch(x[0]), channels(x[1]), plane(x[2] * x[3]) {}
  std::int64_t count() const { return batch * channels; }
  double per_channel() const { return static_cast<double>(batch * plane); }  // m, values per channel
};

// Each channel's total of the planes' sums [N·C], added over n in order: the same on any number of threads.
std::vector<double> channel_totals(const std::vector<double>& plane_sums, const Planes& p) {
  std::vector<double> totals(static_cast<std::size_t>(p.channels), 0.0);
  for (std::int64_t q = 0; q < p.count(); ++q) totals[q % p.channels] += plane_sums[q];
  return totals;
}

// Mean and biased variance of every channel over (N, H, W), in double. Given ∂y (the backward), also Σg and
// Σg·(x − μ) per channel — ∂β and σ̂·∂γ.
struct Moments {
  std::vector<double> mean, variance, sum_g, sum_g_centered;
};

// One pass over x (and ∂y): each plane's sums about a value K_c of its channel (its first, x[0, c, 0, 0]),
// S₁ = Σ(x − K), S₂ = Σ(x − K)², and given ∂y also Σg and Σg·(x − K). Per channel, over m values: μ = K + S₁/m,
// σ² = S₂/m − (S₁/m)², and Σg·(x − μ) = Σg·(x − K) − (μ − K)·Σg. The shift by a value of the channel keeps
// S₂/m and (S₁/m)² near σ², so the subtraction keeps many digits in double; unshifted (the textbook Σx² − (Σx)²/m)
// it loses them all when |μ| ≫ σ.
ALEXNET_SIMD_CLONES Moments channel_moments(const float* x, const Planes& p, const float* grad_y = nullptr) {
  const auto planes = static_cast<std::size_t>(p.count());
  std::vector<double> s1(planes), s2(planes), sg(grad_y ? planes : 0), sgx(sg.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t q = 0; q < p.count(); ++q) {
    const float* v = x + q * p.plane;
    const double pivot = x[q % p.channels * p.plane];  // K_c
    double sum = 0, square = 0, g_sum = 0, g_product = 0;
    if (grad_y == nullptr) {
#pragma omp simd reduction(+ : sum, square)
      for (std::int64_t i = 0; i < p.plane; ++i) {
        const double d = v[i] - pivot;
        sum += d;
        square += d * d;
      }
    } else {
      const float* g = grad_y + q * p.plane;
#pragma omp simd reduction(+ : sum, square, g_sum, g_product)
      for (std::int64_t i = 0; i < p.plane; ++i) {
        const double d = v[i] - pivot;
        sum += d;
        square += d * d;
        g_sum += g[i];
        g_product += g[i] * d;
      }
      sg[q] = g_sum;
      sgx[q] = g_product;
    }
    s1[q] = sum;
    s2[q] = square;
  }
  const std::vector<double> s1_totals = channel_totals(s1, p), s2_totals = channel_totals(s2, p);
  const double count = p.per_channel();
  Moments m{std::vector<double>(s1_totals.size()), std::vector<double>(s1_totals.size()), {}, {}};
  std::vector<double> apart(s1_totals.size());  // μ − K
  for (std::int64_t c = 0; c < p.channels; ++c) {
    apart[c] = s1_totals[c] / count;
    m.mean[c] = x[c * p.plane] + apart[c];
    m.variance[c] = std::max(s2_totals[c] / count - apart[c] * apart[c], 0.0);  // ≥ 0 against the last rounding
  }
  if (grad_y != nullptr) {
    m.sum_g = channel_totals(sg, p);
    m.sum_g_centered = channel_totals(sgx, p);
    for (std::int64_t c = 0; c < p.channels; ++c) m.sum_g_centered[c] -= apart[c] * m.sum_g[c];
  }
  return m;
}

// y = (x − mean)·scale + shift for every plane, the channel's float `scale` and `shift` (x [N, C, H, W]).
ALEXNET_SIMD_CLONES void scale_and_shift(const float* x, const Planes& p, const float* mean, const float* scale,
                                         const float* shift, float* y) {
#pragma omp parallel for schedule(static)
  for (std::int64_t q = 0; q < p.count(); ++q) {
    const std::int64_t c = q % p.channels, at = q * p.plane;
    const float mean_c = mean[c], scale_c = scale[c], shift_c = shift[c];
#pragma omp simd
    for (std::int64_t i = at; i < at + p.plane; ++i) y[i] = (x[i] - mean_c) * scale_c + shift_c;
  }
}

}  // namespace

BatchNormForward<float> batchnorm2d_forward_training(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                                     BatchNormParams params) {
  require_batchnorm_input("fast::batchnorm2d_forward_training", x.shape(), gamma.shape(), beta.shape(), params);
  const Planes p(x.shape());
  BatchNormForward<float> out{TensorF::uninitialized(x.shape()), TensorF(gamma.shape()), TensorF(gamma.shape())};
  const Moments m = channel_moments(x.data(), p);
  std::vector<float> scale(static_cast<std::size_t>(p.channels));  // γ/√(σ² + ε)
  for (std::int64_t c = 0; c < p.channels; ++c) {
    out.mean[c] = static_cast<float>(m.mean[c]);
    out.variance[c] = static_cast<float>(m.variance[c]);
    scale[c] = static_cast<float>(gamma[c] / std::sqrt(m.variance[c] + params.epsilon));
  }
  scale_and_shift(x.data(), p, out.mean.data(), scale.data(), beta.data(), out.y.data());
  return out;
}

TensorF batchnorm2d_forward_inference(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                      const TensorF& running_mean, const TensorF& running_var, BatchNormParams params) {
  const char* op = "fast::batchnorm2d_forward_inference";
  require_batchnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "running_mean", gamma.shape(), running_mean.shape());
  require_shape(op, "running_var", gamma.shape(), running_var.shape());
  const Planes p(x.shape());
  TensorF y = TensorF::uninitialized(x.shape());
  std::vector<float> scale(static_cast<std::size_t>(p.channels));
  for (std::int64_t c = 0; c < p.channels; ++c) {
    scale[c] = static_cast<float>(gamma[c] / std::sqrt(static_cast<double>(running_var[c]) + params.epsilon));
  }
  scale_and_shift(x.data(), p, running_mean.data(), scale.data(), beta.data(), y.data());
  return y;
}

void update_running_statistics(TensorF& running_mean, TensorF& running_var, const TensorF& batch_mean,
                               const TensorF& batch_biased_variance, std::int64_t count_per_channel,
                               BatchNormParams params) {
  require_running_statistics("fast::update_running_statistics", running_mean.shape(), running_var.shape(),
                             batch_mean.shape(), batch_biased_variance.shape(), count_per_channel, params);
  const double momentum = params.momentum;
  const double unbias = static_cast<double>(count_per_channel) / static_cast<double>(count_per_channel - 1);
  for (std::int64_t c = 0; c < running_mean.size(); ++c) {  // C values: not worth threads
    running_mean[c] = static_cast<float>((1 - momentum) * running_mean[c] + momentum * batch_mean[c]);
    running_var[c] = static_cast<float>((1 - momentum) * running_var[c] + momentum * batch_biased_variance[c] * unbias);
  }
}

ALEXNET_SIMD_CLONES NormGradients<float> batchnorm2d_backward(const TensorF& x, const TensorF& gamma, TensorF grad_y,
                                                              BatchNormParams params) {
  const char* op = "fast::batchnorm2d_backward";
  require_batchnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  const Planes p(x.shape());
  NormGradients<float> grad{TensorF(), TensorF(gamma.shape()), TensorF(gamma.shape())};
  const Moments m = channel_moments(x.data(), p, grad_y.data());
  // ∂x = γ/σ̂·(g − Σg/m − x̂·Σg·x̂/m), as float: g·scale − shift − (x − μ)·slope
  const auto channels = static_cast<std::size_t>(p.channels);
  std::vector<float> mean(channels), scale(channels), shift(channels), slope(channels);
  for (std::int64_t c = 0; c < p.channels; ++c) {
    const double inv_std = 1 / std::sqrt(m.variance[c] + params.epsilon);
    const double sum_g_xhat = m.sum_g_centered[c] * inv_std;
    grad.beta[c] = static_cast<float>(m.sum_g[c]);
    grad.gamma[c] = static_cast<float>(sum_g_xhat);
    mean[c] = static_cast<float>(m.mean[c]);
    scale[c] = static_cast<float>(gamma[c] * inv_std);
    shift[c] = static_cast<float>(gamma[c] * inv_std * m.sum_g[c] / p.per_channel());
    slope[c] = static_cast<float>(gamma[c] * inv_std * inv_std * sum_g_xhat / p.per_channel());
  }
  const float* xs = x.data();
  float* g = grad_y.data();  // ∂x overwrites ∂y, value by value
#pragma omp parallel for schedule(static)
  for (std::int64_t q = 0; q < p.count(); ++q) {
    const std::int64_t c = q % p.channels, at = q * p.plane;
    const float mean_c = mean[c], scale_c = scale[c], shift_c = shift[c], slope_c = slope[c];
#pragma omp simd
    for (std::int64_t i = at; i < at + p.plane; ++i) g[i] = g[i] * scale_c - shift_c - (xs[i] - mean_c) * slope_c;
  }
  grad.input = std::move(grad_y);
  return grad;
}

}  // namespace alexnet::fast
