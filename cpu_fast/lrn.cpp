#include "cpu_fast/lrn.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {
namespace {

// The channels of window(c): c ± size/2, clipped at the edges of c's tower.
struct Window {
  int first, last;
};

Window window(int c, int per_tower, int half) {
  const int tower_first = c / per_tower * per_tower;
  return {std::max(tower_first, c - half), std::min(tower_first + per_tower - 1, c + half)};
}

// d [C, H·W] = k + α·Σ_{window} a² for one image `a` [C, H·W].
ALEXNET_SIMD_CLONES void denominators(const float* a, int channels, std::int64_t plane, const LrnParams& p, float* d) {
  const int per_tower = channels / p.towers, half = p.size / 2;
  for (int c = 0; c < channels; ++c) {
    float* dc = d + c * plane;
    std::fill(dc, dc + plane, static_cast<float>(p.k));
    const Window w = window(c, per_tower, half);
    for (int other = w.first; other <= w.last; ++other) {
      const float* ao = a + other * plane;
      for (std::int64_t i = 0; i < plane; ++i) dc[i] += static_cast<float>(p.alpha) * ao[i] * ao[i];
    }
  }
}

// d^−β. For the paper's β = 0.75 two square roots replace pow (d^0.75 = √d·√√d): they
// vectorise, pow does not, and LRN's passes are bound by these calls.
float inverse_power(float d, float beta) {
  if (beta == 0.75f) return 1.0f / (std::sqrt(d) * std::sqrt(std::sqrt(d)));
  return std::pow(d, -beta);
}

}  // namespace

ALEXNET_SIMD_CLONES TensorF lrn_forward(const TensorF& x, LrnParams params) {
  require_lrn_input("fast::lrn_forward", x.shape(), params);
  TensorF y(x.shape());
  const int channels = static_cast<int>(x.dim(1));
  const std::int64_t plane = x.dim(2) * x.dim(3), image = channels * plane;
  const float beta = static_cast<float>(params.beta);
#pragma omp parallel
  {
    std::vector<float> d(static_cast<std::size_t>(image));
#pragma omp for schedule(static)
    for (std::int64_t n = 0; n < x.dim(0); ++n) {
      const float* a = x.data() + n * image;
      float* b = y.data() + n * image;
      denominators(a, channels, plane, params, d.data());
      for (std::int64_t i = 0; i < image; ++i) b[i] = a[i] * inverse_power(d[static_cast<std::size_t>(i)], beta);
    }
  }
  return y;
}

ALEXNET_SIMD_CLONES TensorF lrn_backward(const TensorF& x, const TensorF& grad_y, LrnParams params) {
  require_lrn_input("fast::lrn_backward", x.shape(), params);
  require_shape("fast::lrn_backward", "grad_y", x.shape(), grad_y.shape());
  TensorF grad_x(x.shape());
  const int channels = static_cast<int>(x.dim(1)), per_tower = channels / params.towers, half = params.size / 2;
  const std::int64_t plane = x.dim(2) * x.dim(3), image = channels * plane;
  const float beta = static_cast<float>(params.beta), two_alpha_beta = static_cast<float>(2 * params.alpha * params.beta);
#pragma omp parallel
  {
    std::vector<float> d(static_cast<std::size_t>(image)), t(static_cast<std::size_t>(image));
#pragma omp for schedule(static)
    for (std::int64_t n = 0; n < x.dim(0); ++n) {
      const float* a = x.data() + n * image;
      const float* g = grad_y.data() + n * image;
      float* out = grad_x.data() + n * image;
      denominators(a, channels, plane, params, d.data());
      // t_c = g_c·a_c·d_c^−β / d_c, and d is replaced by d^−β; the channels whose window holds j
      // are window(j) itself.
      for (std::int64_t i = 0; i < image; ++i) {
        const auto at = static_cast<std::size_t>(i);
        const float power = inverse_power(d[at], beta);
        t[at] = g[i] * a[i] * power / d[at];
        d[at] = power;
      }
      for (int j = 0; j < channels; ++j) {  // whole planes at a time: the inner loops vectorise
        float* out_j = out + j * plane;
        std::fill(out_j, out_j + plane, 0.0f);
        const Window w = window(j, per_tower, half);
        for (int c = w.first; c <= w.last; ++c) {
          const float* t_c = t.data() + c * plane;
          for (std::int64_t i = 0; i < plane; ++i) out_j[i] += t_c[i];
        }
        const float* a_j = a + j * plane;
        const float* g_j = g + j * plane;
        const float* p_j = d.data() + j * plane;
        for (std::int64_t i = 0; i < plane; ++i) out_j[i] = g_j[i] * p_j[i] - two_alpha_beta * a_j[i] * out_j[i];
      }
    }
  }
  return grad_x;
}

}  // namespace alexnet::fast
