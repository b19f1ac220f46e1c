/// @file batchnorm2d.cuh
/// @brief Batch normalization on the GPU: training and evaluation forward, the running statistics, and the
/// training-mode backward; checked against reference_cpu/batchnorm2d.hpp.
///
/// Each channel's N·H·W values are reduced by many blocks at once (cuda/set_reduction.cuh: Welford's moments
/// in one pass for the forward, Σ g and Σ g·(x − μ) for the backward), and one thread per element applies
/// the affine map, in blocks that each cover part of one plane, so no thread divides its index to find its
/// channel. Training and evaluation share that elementwise kernel: they differ only in the statistics it is
/// given. The backward takes the statistics its training forward computed, as cuDNN's does.
#pragma once

#include <cstdint>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/batchnorm2d.hpp"

namespace alexnet::cuda {

/// @brief Training mode: y [N, C, H, W], and the batch mean and biased variance [C] of each channel over (N, H, W).
void batchnorm2d_forward_training(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                                  const DeviceTensorF& beta, BatchNormParams params, DeviceTensorF& y,
                                  DeviceTensorF& batch_mean, DeviceTensorF& batch_variance);

/// @brief Evaluation mode: y = γ_c·(x − running_mean_c)/√(running_var_c + ε) + β_c.
void batchnorm2d_forward_inference(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                                   const DeviceTensorF& beta, const DeviceTensorF& running_mean,
                                   const DeviceTensorF& running_var, BatchNormParams params, DeviceTensorF& y);

/// @brief running ← (1 − momentum)·running + momentum·batch, the batch variance made unbiased (·m/(m − 1)).
void update_running_statistics(const Context& context, DeviceTensorF& running_mean, DeviceTensorF& running_var,
                               const DeviceTensorF& batch_mean, const DeviceTensorF& batch_variance,
                               std::int64_t count_per_channel, BatchNormParams params);

/// @brief Training-mode backward through the batch statistics, given as batchnorm2d_forward_training computed
/// them from this x: grad_x [N, C, H, W], grad_gamma = Σ g·x̂ and grad_beta = Σ g [C] (all overwritten).
void batchnorm2d_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& gamma,
                          const DeviceTensorF& batch_mean, const DeviceTensorF& batch_variance,
                          const DeviceTensorF& grad_y, BatchNormParams params, DeviceTensorF& grad_x,
                          DeviceTensorF& grad_gamma, DeviceTensorF& grad_beta);

}  // namespace alexnet::cuda
