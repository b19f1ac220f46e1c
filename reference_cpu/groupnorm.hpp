/// @file groupnorm.hpp
/// @brief Group normalization (Wu & He, 2018), and with it LayerNorm and InstanceNorm: the CPU reference.
///
/// The C channels of each image fall into G groups of C/G consecutive channels; each (image, group)
/// is normalized with its own mean and biased variance over its m = (C/G)·H·W values, then every
/// channel gets its own γ_c, β_c:
/// \f[ y = \gamma_c \frac{x - \mu_{n,g}}{\sqrt{\sigma_{n,g}^2 + \epsilon}} + \beta_c \f]
/// G = 1 is LayerNorm over (C, H, W); G = C is InstanceNorm. Nothing depends on the other images
/// of the batch, so training and evaluation are the same computation and there are no running statistics.
#pragma once

#include <string>

#include "reference_cpu/batchnorm2d.hpp"  // NormGradients
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Parameters of group normalization; G = 1 is LayerNorm over (C, H, W), G = C InstanceNorm.
struct GroupNormParams {
  int groups = 1;         ///< G, divides C
  double epsilon = 1e-5;  ///< ε added to the variance before the square root, > 0 (PyTorch's default)
};

/// @brief Throws std::invalid_argument "<op>: ..." unless x is [N, C, H, W] with C > 0 divisible into
/// `groups` groups, gamma and beta are [C] and ε > 0.
void require_groupnorm_input(const std::string& op, const Shape& x, const Shape& gamma, const Shape& beta,
                             GroupNormParams params);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief y = γ_c·(x − μ_{n,g})/√(σ²_{n,g} + ε) + β_c, statistics per image and group of C/G channels.
template <typename T>
Tensor<T> groupnorm_forward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta,
                            GroupNormParams params);

/// @brief Per (image, group), with ĝ = g·γ_c: ∂x = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ̂;
/// ∂γ_c = Σ g·x̂ and ∂β_c = Σ g over (N, H, W).
template <typename T>
NormGradients<T> groupnorm_backward(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& grad_y,
                                    GroupNormParams params);

}  // namespace alexnet::cpu
