#include "reference_cpu/groupnorm.hpp"

#include <cmath>
#include <stdexcept>

#include "reference_cpu/format.hpp"

namespace alexnet {

void require_groupnorm_input(const std::string& op, const Shape& x, const Shape& gamma, const Shape& beta,
                             GroupNormParams params) {
  if (x.size() != 4 || x[1] == 0 || params.groups < 1 || x[1] % params.groups != 0) {
    throw std::invalid_argument(op + ": expected x [N, C, H, W] with C > 0 divisible into " +
                                std::to_string(params.groups) + " groups, got " + to_string(x));
  }
  if (!(params.epsilon > 0)) {
    throw std::invalid_argument(op + ": expected epsilon > 0, got " + format("%g", params.epsilon));
  }
  require_shape(op, "gamma", {x[1]}, gamma);
  require_shape(op, "beta", {x[1]}, beta);
}

namespace cpu {
namespace {

// The m = (C/G)·H·W values of group g of image n are contiguous in NCHW: they start at (n·G + g)·m.
struct GroupLayout {
  std::int64_t groups, per_group, plane, m;  // G, C/G, H·W, (C/G)·H·W

  GroupLayout(const Shape& x, GroupNormParams params)
      : groups(params.groups), per_group(x[1] / params.groups), plane(x[2] * x[3]), m(per_group * plane) {}
  // The channel of the i-th value of group g.
  std::int64_t channel(std::int64_t g, std::int64_t i) const { return g * per_group + i / plane; }
};

// μ and 1/√(σ² + ε) of values[0..m), the biased variance in a second pass over the deviations.
template <typename T>
struct GroupStatistics {
  T mean, inv_std;
};

template <typename T>
GroupStatistics<T> group_statistics(const T* values, std::int64_t m, double epsilon) {
  T sum = 0;
  for (std::int64_t i = 0; i < m; ++i) sum += values[i];
  const T mean = sum / static_cast<T>(m);
  T squares = 0;
  for (std::int64_t i = 0; i < m; ++i) squares += (values[i] - mean) * (values[i] - mean);
  return {mean, 1 / std::sqrt(squares / static_cast<T>(m) + static_cast<T>(epsilon))};
}

}  // namespace

// x: [N, C, H, W], gamma, beta: [C] -> y: [N, C, H, W]
template <typename T>
Tensor<T> groupnorm_forward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                            GroupNormParams params) {
  require_groupnorm_input("groupnorm_forward", x.shape(), gamma.shape(), beta.shape(), params);
  const GroupLayout layout(x.shape(), params);
  Tensor<T> y(x.shape());
  for (std::int64_t n = 0; n < x.dim(0); ++n) {
    for (std::int64_t g = 0; g < layout.groups; ++g) {
      const std::int64_t first = (n * layout.groups + g) * layout.m;
      const GroupStatistics<T> stats = group_statistics(x.data() + first, layout.m, params.epsilon);
      for (std::int64_t i = 0; i < layout.m; ++i) {
        const std::int64_t c = layout.channel(g, i);
        y[first + i] = gamma[c] * (x[first + i] - stats.mean) * stats.inv_std + beta[c];
      }
    }
  }
  return y;
}

// x, grad_y: [N, C, H, W], gamma: [C] -> input: [N, C, H, W], gamma, beta: [C]
// Within a group it is BatchNorm's backward with ĝ = g·γ_c in place of γ·g (γ varies inside a group).
template <typename T>
NormGradients<T> groupnorm_backward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& grad_y,
                                    GroupNormParams params) {
  const std::string op = "groupnorm_backward";
  require_groupnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  const GroupLayout layout(x.shape(), params);
  const T m = static_cast<T>(layout.m);
  NormGradients<T> grad{Tensor<T>(x.shape()), Tensor<T>(gamma.shape()), Tensor<T>(gamma.shape())};
  for (std::int64_t n = 0; n < x.dim(0); ++n) {
    for (std::int64_t g = 0; g < layout.groups; ++g) {
      const std::int64_t first = (n * layout.groups + g) * layout.m;
      const GroupStatistics<T> stats = group_statistics(x.data() + first, layout.m, params.epsilon);
      T sum_g = 0, sum_g_xhat = 0;  // Σ ĝ and Σ ĝ·x̂ over the group
      for (std::int64_t i = 0; i < layout.m; ++i) {
        const std::int64_t c = layout.channel(g, i);
        const T x_hat = (x[first + i] - stats.mean) * stats.inv_std;
        sum_g += grad_y[first + i] * gamma[c];
        sum_g_xhat += grad_y[first + i] * gamma[c] * x_hat;
        grad.gamma[c] += grad_y[first + i] * x_hat;
        grad.beta[c] += grad_y[first + i];
      }
      for (std::int64_t i = 0; i < layout.m; ++i) {
        const std::int64_t c = layout.channel(g, i);
        const T x_hat = (x[first + i] - stats.mean) * stats.inv_std;
        grad.input[first + i] = stats.inv_std * (grad_y[first + i] * gamma[c] - sum_g / m - x_hat * sum_g_xhat / m);
      }
    }
  }
  return grad;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> groupnorm_forward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                         GroupNormParams);
template Tensor<double> groupnorm_forward(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                                          GroupNormParams);
template NormGradients<float> groupnorm_backward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                                 GroupNormParams);
template NormGradients<double> groupnorm_backward(const Tensor<double>&, const Tensor<double>&,
                                                  const Tensor<double>&, GroupNormParams);

}  // namespace cpu
}  // namespace alexnet
