#include "reference_cpu/batchnorm2d.hpp"

#include <cmath>
#include <stdexcept>

#include "reference_cpu/format.hpp"

namespace alexnet {

void require_batchnorm_input(const std::string& op, const Shape& x, const Shape& gamma, const Shape& beta,
                             BatchNormParams params) {
  if (x.size() != 4 || x[0] * x[2] * x[3] == 0) {
    throw std::invalid_argument(op + ": expected x [N, C, H, W] with N·H·W > 0, got " + to_string(x));
  }
  if (!(params.epsilon > 0)) {
    throw std::invalid_argument(op + ": expected epsilon > 0, got " + format("%g", params.epsilon));
  }
  require_shape(op, "gamma", {x[1]}, gamma);
  require_shape(op, "beta", {x[1]}, beta);
}

void require_running_statistics(const std::string& op, const Shape& running_mean, const Shape& running_var,
                                const Shape& batch_mean, const Shape& batch_variance, std::int64_t count_per_channel,
                                BatchNormParams params) {
  if (running_mean.size() != 1) {
    throw std::invalid_argument(op + ": expected running_mean [C], got " + to_string(running_mean));
  }
  require_shape(op, "running_var", running_mean, running_var);
  require_shape(op, "batch_mean", running_mean, batch_mean);
  require_shape(op, "batch_variance", running_mean, batch_variance);
  if (count_per_channel < 2) {
    throw std::invalid_argument(op + ": expected at least 2 values per channel (the unbiased variance divides by " +
                                "m - 1), got " + std::to_string(count_per_channel));
  }
  if (!(params.momentum >= 0 && params.momentum <= 1)) {
    throw std::invalid_argument(op + ": expected momentum in [0, 1], got " + format("%g", params.momentum));
  }
}

namespace cpu {
namespace {

// x viewed as [N, C, H·W]: the flat index of x[n, c, s].
std::int64_t flat(const Shape& x, std::int64_t n, std::int64_t c, std::int64_t s) {
  return (n * x[1] + c) * x[2] * x[3] + s;
}

// μ_c and the biased σ_c² over the m = N·H·W values of each channel, in two passes: the second
// sums squared deviations from μ_c (never Σx²/m − μ², which cancels catastrophically).
template <typename T>
void batch_statistics(const Tensor<T>& x, Tensor<T>& mean, Tensor<T>& variance) {
  const Shape& s = x.shape();
  const std::int64_t plane = s[2] * s[3], m = s[0] * plane;
  mean = Tensor<T>({s[1]});
  variance = Tensor<T>({s[1]});
  for (std::int64_t c = 0; c < s[1]; ++c) {
    T sum = 0;
    for (std::int64_t n = 0; n < s[0]; ++n) {
      for (std::int64_t i = 0; i < plane; ++i) sum += x[flat(s, n, c, i)];
    }
    mean[c] = sum / static_cast<T>(m);
    T squares = 0;
    for (std::int64_t n = 0; n < s[0]; ++n) {
      for (std::int64_t i = 0; i < plane; ++i) {
        const T deviation = x[flat(s, n, c, i)] - mean[c];
        squares += deviation * deviation;
      }
    }
    variance[c] = squares / static_cast<T>(m);
  }
}

// y = γ_c·(x − mean_c)/√(variance_c + ε) + β_c: training and evaluation differ only in the statistics.
template <typename T>
Tensor<T> normalize(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, const Tensor<T>& mean,
                    const Tensor<T>& variance, double epsilon) {
  const Shape& s = x.shape();
  Tensor<T> y(s);
  for (std::int64_t n = 0; n < s[0]; ++n) {
    for (std::int64_t c = 0; c < s[1]; ++c) {
      const T inv_std = 1 / std::sqrt(variance[c] + static_cast<T>(epsilon));
      for (std::int64_t i = 0; i < s[2] * s[3]; ++i) {
        const std::int64_t at = flat(s, n, c, i);
        y[at] = gamma[c] * (x[at] - mean[c]) * inv_std + beta[c];
      }
    }
  }
  return y;
}

}  // namespace

// x: [N, C, H, W], gamma, beta: [C] -> y: [N, C, H, W], mean, variance: [C]
template <typename T>
BatchNormForward<T> batchnorm2d_forward_training(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                                                 BatchNormParams params) {
  require_batchnorm_input("batchnorm2d_forward_training", x.shape(), gamma.shape(), beta.shape(), params);
  BatchNormForward<T> out;
  batch_statistics(x, out.mean, out.variance);
  out.y = normalize(x, gamma, beta, out.mean, out.variance, params.epsilon);
  return out;
}

// x: [N, C, H, W], gamma, beta, running_mean, running_var: [C] -> y: [N, C, H, W]
template <typename T>
Tensor<T> batchnorm2d_forward_inference(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                                        const Tensor<T>& running_mean, const Tensor<T>& running_var,
                                        BatchNormParams params) {
  const std::string op = "batchnorm2d_forward_inference";
  require_batchnorm_input(op, x.shape(), gamma.shape(), beta.shape(), params);
  require_shape(op, "running_mean", gamma.shape(), running_mean.shape());
  require_shape(op, "running_var", gamma.shape(), running_var.shape());
  return normalize(x, gamma, beta, running_mean, running_var, params.epsilon);
}

// all [C]; m = count_per_channel = N·H·W of the batch the statistics came from
template <typename T>
void update_running_statistics(Tensor<T>& running_mean, Tensor<T>& running_var, const Tensor<T>& batch_mean,
                               const Tensor<T>& batch_biased_variance, std::int64_t count_per_channel,
                               BatchNormParams params) {
  require_running_statistics("update_running_statistics", running_mean.shape(), running_var.shape(),
                             batch_mean.shape(), batch_biased_variance.shape(), count_per_channel, params);
  const T momentum = static_cast<T>(params.momentum);
  const T unbias = static_cast<T>(count_per_channel) / static_cast<T>(count_per_channel - 1);  // m / (m − 1)
  for (std::int64_t c = 0; c < running_mean.size(); ++c) {
    running_mean[c] = (1 - momentum) * running_mean[c] + momentum * batch_mean[c];
    running_var[c] = (1 - momentum) * running_var[c] + momentum * batch_biased_variance[c] * unbias;
  }
}

// x, grad_y: [N, C, H, W], gamma: [C] -> input: [N, C, H, W], gamma, beta: [C]
// With x̂ = (x − μ)/σ̂, σ̂ = √(σ² + ε), and μ, σ² functions of every x of the channel:
//   ∂L/∂x = γ/σ̂ · (g − (1/m)·Σ g − x̂·(1/m)·Σ g·x̂)   (the two sums are ∂β and ∂γ).
template <typename T>
NormGradients<T> batchnorm2d_backward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& grad_y,
                                      BatchNormParams params) {
  const std::string op = "batchnorm2d_backward";
  require_batchnorm_input(op, x.shape(), gamma.shape(), gamma.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  const Shape& s = x.shape();
  const std::int64_t plane = s[2] * s[3];
  const T m = static_cast<T>(s[0] * plane);
  Tensor<T> mean, variance;
  batch_statistics(x, mean, variance);
  NormGradients<T> grad{Tensor<T>(s), Tensor<T>({s[1]}), Tensor<T>({s[1]})};
  for (std::int64_t c = 0; c < s[1]; ++c) {
    const T inv_std = 1 / std::sqrt(variance[c] + static_cast<T>(params.epsilon));
    T sum_g = 0, sum_g_xhat = 0;
    for (std::int64_t n = 0; n < s[0]; ++n) {
      for (std::int64_t i = 0; i < plane; ++i) {
        const std::int64_t at = flat(s, n, c, i);
        sum_g += grad_y[at];
        sum_g_xhat += grad_y[at] * (x[at] - mean[c]) * inv_std;
      }
    }
    grad.beta[c] = sum_g;
    grad.gamma[c] = sum_g_xhat;
    for (std::int64_t n = 0; n < s[0]; ++n) {
      for (std::int64_t i = 0; i < plane; ++i) {
        const std::int64_t at = flat(s, n, c, i);
        const T x_hat = (x[at] - mean[c]) * inv_std;
        grad.input[at] = gamma[c] * inv_std * (grad_y[at] - sum_g / m - x_hat * sum_g_xhat / m);
      }
    }
  }
  return grad;
}

// float for the network and CUDA comparisons, double for gradient checks.
template BatchNormForward<float> batchnorm2d_forward_training(const Tensor<float>&, const Tensor<float>&,
                                                              const Tensor<float>&, BatchNormParams);
template BatchNormForward<double> batchnorm2d_forward_training(const Tensor<double>&, const Tensor<double>&,
                                                               const Tensor<double>&, BatchNormParams);
template Tensor<float> batchnorm2d_forward_inference(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                                     const Tensor<float>&, const Tensor<float>&, BatchNormParams);
template Tensor<double> batchnorm2d_forward_inference(const Tensor<double>&, const Tensor<double>&,
                                                      const Tensor<double>&, const Tensor<double>&,
                                                      const Tensor<double>&, BatchNormParams);
template void update_running_statistics(Tensor<float>&, Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                        std::int64_t, BatchNormParams);
template void update_running_statistics(Tensor<double>&, Tensor<double>&, const Tensor<double>&,
                                        const Tensor<double>&, std::int64_t, BatchNormParams);
template NormGradients<float> batchnorm2d_backward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                                   BatchNormParams);
template NormGradients<double> batchnorm2d_backward(const Tensor<double>&, const Tensor<double>&,
                                                    const Tensor<double>&, BatchNormParams);

}  // namespace cpu
}  // namespace alexnet
