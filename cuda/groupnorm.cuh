/// @file groupnorm.cuh
/// @brief Group normalization on the GPU (G = 1: LayerNorm over (C, H, W); G = C: InstanceNorm), forward and
/// backward; checked against reference_cpu/groupnorm.hpp.
///
/// The statistics of each (image, group), and ∂γ and ∂β, sums over the images, are reduced by many blocks at
/// once (cuda/set_reduction.cuh); one thread per element normalizes, and one block per (image, group) computes
/// its ∂x. The forward hands its statistics to the backward, as BatchNorm's does.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/groupnorm.hpp"

namespace alexnet::cuda {

/// @brief y = γ_c·(x − μ_{n,g})/√(σ²_{n,g} + ε) + β_c, statistics per image and group; y must have x's shape,
/// group_mean and group_variance (the biased variance) [N, G] receive the statistics.
void groupnorm_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                       const DeviceTensorF& beta, GroupNormParams params, DeviceTensorF& y, DeviceTensorF& group_mean,
                       DeviceTensorF& group_variance);

/// @brief grad_x [N, C, H, W], grad_gamma = Σ g·x̂ and grad_beta = Σ g [C] over (N, H, W) (all overwritten),
/// given the statistics groupnorm_forward computed from this x.
void groupnorm_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                        const DeviceTensorF& group_mean, const DeviceTensorF& group_variance,
                        const DeviceTensorF& grad_y, GroupNormParams params, DeviceTensorF& grad_x,
                        DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta);

}  // namespace alexnet::cuda
