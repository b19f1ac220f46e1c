#include "cpu_fast/batchnorm2d.hpp"

#include <cmath>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// x [N, C, H, W] as the loops use it: channel c of image n is the plane of H·W floats at (n·C + c)·plane.
struct Planes {
  std::int64_t batch, channels, plane;
  explicit Planes(const Shape& x) : batch(x[0]), channels(x[1]), plane(x[2] * x[3]) {}
  std::int64_t offset(std::int64_t n, std::int64_t c) const { return (n * channels + c) * plane; }
  double count() const { return static_cast<double>(batch * plane); }  // m, values per channel
};

// Mean and biased variance of channel c over (N, H, W), summed in double in two passes.
struct Moments {
  double mean, variance;
};

ALEXNET_SIMD_CLONES Moments channel_moments(const float* x, const Planes& p, std::int64_t c) {
  double sum = 0;
  for (std::int64_t n = 0; n < p.batch; ++n) {
    const float* v = x + p.offset(n, c);
#pragma omp simd reduction(+ : sum)
    for (std::int64_t i = 0; i < p.plane; ++i) sum += v[i];
  }
  const double mean = sum / p.count();
  double squares = 0;
  for (std::int64_t n = 0; n < p.batch; ++n) {
    const float* v = x + p.offset(n, c);
#pragma omp simd reduction(+ : squares)
    for (std::int64_t i = 0; i < p.plane; ++i) squares += (v[i] - mean) * (v[i] - mean);
  }
  return {mean, squares / p.count()};
}

// y = (x − mean)·scale + beta over one plane (scale = γ/√(σ² + ε)).
void normalize_plane(const float* x, float* y, std::int64_t plane, float mean, float scale, float beta) {
#pragma omp simd
  for (std::int64_t i = 0; i < plane; ++i) y[i] = (x[i] - mean) * scale + beta;
}

}  // namespace

ALEXNET_SIMD_CLONES BatchNormForward<float> batchnorm2d_forward_training(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                                     BatchNormParams params) {
  require_batchnorm_input("fast::batchnorm2d_forward_training", x.shape(), gamma.shape(), beta.shape(), params);
  const Planes p(x.shape());
  BatchNormForward<float> out{TensorF::uninitialized(x.shape()), TensorF(gamma.shape()), TensorF(gamma.shape())};
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < p.channels; ++c) {
    const Moments m = channel_moments(x.data(), p, c);
    out.mean[c] = static_cast<float>(m.mean);
    out.variance[c] = static_cast<float>(m.variance);
    const auto scale = static_cast<float>(gamma[c] / std::sqrt(m.variance + params.epsilon));
    for (std::int64_t n = 0; n < p.batch; ++n) {
      normalize_plane(x.data() + p.offset(n, c), out.y.data() + p.offset(n, c), p.plane, out.mean[c], scale, beta[c]);
    }
  }
  return out;
}

ALEXNET_SIMD_CLONES TensorF batchnorm2d_forward_inference(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                      const TensorF& running_mean, const TensorF& running_var, BatchNormParams params) {
  const char* op = "fast::batchnorm2d_forward_inference";
  require_batchnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "running_mean", gamma.shape(), running_mean.shape());
  require_shape(op, "running_var", gamma.shape(), running_var.shape());
  const Planes p(x.shape());
  TensorF y = TensorF::uninitialized(x.shape());
#pragma omp parallel for schedule(static)
  for (std::int64_t plane = 0; plane < p.batch * p.channels; ++plane) {  // plane = n·C + c
    const std::int64_t c = plane % p.channels;
    const auto scale = static_cast<float>(gamma[c] / std::sqrt(static_cast<double>(running_var[c]) + params.epsilon));
    normalize_plane(x.data() + plane * p.plane, y.data() + plane * p.plane, p.plane, running_mean[c], scale, beta[c]);
  }
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

ALEXNET_SIMD_CLONES NormGradients<float> batchnorm2d_backward(const TensorF& x, const TensorF& gamma, const TensorF& grad_y,
                                          BatchNormParams params) {
  const char* op = "fast::batchnorm2d_backward";
  require_batchnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  const Planes p(x.shape());
  NormGradients<float> grad{TensorF::uninitialized(x.shape()), TensorF(gamma.shape()), TensorF(gamma.shape())};
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < p.channels; ++c) {
    const Moments m = channel_moments(x.data(), p, c);
    const double inv_std = 1 / std::sqrt(m.variance + params.epsilon);
    double sum_g = 0, sum_g_centered = 0;  // Σ g = ∂β and Σ g·(x − μ) = σ̂·∂γ
    for (std::int64_t n = 0; n < p.batch; ++n) {
      const float* xs = x.data() + p.offset(n, c);
      const float* g = grad_y.data() + p.offset(n, c);
#pragma omp simd reduction(+ : sum_g, sum_g_centered)
      for (std::int64_t i = 0; i < p.plane; ++i) {
        sum_g += g[i];
        sum_g_centered += g[i] * (xs[i] - m.mean);
      }
    }
    const double sum_g_xhat = sum_g_centered * inv_std;
    grad.beta[c] = static_cast<float>(sum_g);
    grad.gamma[c] = static_cast<float>(sum_g_xhat);
    // ∂x = γ/σ̂·(g − Σg/m − x̂·Σg·x̂/m), as float: g·scale − shift − (x − μ)·slope
    const auto mean = static_cast<float>(m.mean);
    const auto scale = static_cast<float>(gamma[c] * inv_std);
    const auto shift = static_cast<float>(gamma[c] * inv_std * sum_g / p.count());
    const auto slope = static_cast<float>(gamma[c] * inv_std * inv_std * sum_g_xhat / p.count());
    for (std::int64_t n = 0; n < p.batch; ++n) {
      const float* xs = x.data() + p.offset(n, c);
      const float* g = grad_y.data() + p.offset(n, c);
      float* out = grad.input.data() + p.offset(n, c);
#pragma omp simd
      for (std::int64_t i = 0; i < p.plane; ++i) out[i] = g[i] * scale - shift - (xs[i] - mean) * slope;
    }
  }
  return grad;
}

}  // namespace alexnet::fast
