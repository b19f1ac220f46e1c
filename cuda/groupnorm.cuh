/// @file groupnorm.cuh
/// @brief Group normalization on the GPU (G = 1: LayerNorm over (C, H, W); G = C: InstanceNorm), forward and
/// backward; checked against reference_cpu/groupnorm.hpp.
///
/// One block per (image, group) reduces its (C/G)·H·W contiguous values in shared memory (two passes,
/// float, a tree over the block's threads) and then normalizes them; ∂γ and ∂β, sums over the images,
/// take one block per channel.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/groupnorm.hpp"

namespace alexnet::cuda {

/// @brief y = γ_c·(x − μ_{n,g})/√(σ²_{n,g} + ε) + β_c, statistics per image and group; y must have x's shape.
void groupnorm_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                       const DeviceTensorF& beta, GroupNormParams params, DeviceTensorF& y);

/// @brief grad_x [N, C, H, W], grad_gamma = Σ g·x̂ and grad_beta = Σ g [C] over (N, H, W) (all overwritten).
/// Waits for its stream before returning: it frees the per-group statistics its kernels share.
void groupnorm_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                        const DeviceTensorF& grad_y, GroupNormParams params, DeviceTensorF& grad_x,
                        DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta);

}  // namespace alexnet::cuda
