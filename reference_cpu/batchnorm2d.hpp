/// @file batchnorm2d.hpp
/// @brief Batch normalization over the channels of an image batch (Ioffe & Szegedy, 2015): the CPU reference.
///
/// Training, per channel c over its m = N·H·W values (PyTorch's conventions, so weights move across):
/// \f[ \mu_c = \frac{1}{m}\sum x, \quad \sigma_c^2 = \frac{1}{m}\sum (x - \mu_c)^2 \ \text{(biased)}, \quad
///     y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c \f]
/// and the running estimates move by running ← (1 − momentum)·running + momentum·batch, with the
/// *unbiased* variance σ²·m/(m − 1). Evaluation normalizes with the running estimates instead: a fixed
/// affine map per channel, the same for every image of the batch.
#pragma once

#include <cstdint>
#include <string>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Parameters of batch normalization; the defaults are PyTorch's (nn.BatchNorm2d).
struct BatchNormParams {
  double epsilon = 1e-5;  ///< ε added to the variance before the square root, > 0
  double momentum = 0.1;  ///< running ← (1 − momentum)·running + momentum·batch, in [0, 1]
};

/// @brief What a training-mode forward returns: the output and the batch statistics of each channel.
template <typename T>
struct BatchNormForward {
  Tensor<T> y;         ///< [N, C, H, W]
  Tensor<T> mean;      ///< [C], μ_c over (N, H, W)
  Tensor<T> variance;  ///< [C], the biased variance σ_c² (divided by m), the one y was normalized with
};

/// @brief The gradients of a normalization (batch or group): with respect to its input and to γ and β.
template <typename T>
struct NormGradients {
  Tensor<T> input;  ///< ∂L/∂x, [N, C, H, W]
  Tensor<T> gamma;  ///< ∂L/∂γ, [C]
  Tensor<T> beta;   ///< ∂L/∂β, [C]
};

/// @brief Throws std::invalid_argument "<op>: ..." unless x is [N, C, H, W] with N·H·W > 0 values per channel,
/// gamma and beta are [C] and ε > 0.
void require_batchnorm_input(const std::string& op, const Shape& x, const Shape& gamma, const Shape& beta,
                             BatchNormParams params);

/// @brief Throws std::invalid_argument "<op>: ..." unless all four statistics are [C] (C = running_mean's
/// length), count_per_channel ≥ 2 (the unbiased variance divides by m − 1) and momentum is in [0, 1].
void require_running_statistics(const std::string& op, const Shape& running_mean, const Shape& running_var,
                                const Shape& batch_mean, const Shape& batch_variance, std::int64_t count_per_channel,
                                BatchNormParams params);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief Training mode: normalizes each channel with its batch mean and biased variance over (N, H, W).
template <typename T>
BatchNormForward<T> batchnorm2d_forward_training(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                                                 BatchNormParams params);

/// @brief Evaluation mode: y = γ_c·(x − running_mean_c)/√(running_var_c + ε) + β_c, an affine map per channel.
template <typename T>
Tensor<T> batchnorm2d_forward_inference(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                                        const Tensor<T>& running_mean, const Tensor<T>& running_var,
                                        BatchNormParams params);

/// @brief running ← (1 − momentum)·running + momentum·batch, the variance made unbiased (·m/(m − 1)) first.
template <typename T>
void update_running_statistics(Tensor<T>& running_mean, Tensor<T>& running_var, const Tensor<T>& batch_mean,
                               const Tensor<T>& batch_biased_variance, std::int64_t count_per_channel,
                               BatchNormParams params);

/// @brief Training-mode backward through the batch statistics (recomputed from x):
/// ∂x = γ/σ̂·(g − mean(g) − x̂·mean(g·x̂)), ∂γ = Σ g·x̂, ∂β = Σ g over (N, H, W).
template <typename T>
NormGradients<T> batchnorm2d_backward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& grad_y,
                                      BatchNormParams params);

}  // namespace alexnet::cpu
