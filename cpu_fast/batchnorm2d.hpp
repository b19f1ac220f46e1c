/// @file batchnorm2d.hpp
/// @brief Batch normalization on the CPU, fast: every pass over the planes in memory order, split over the
/// threads; the statistics in one pass, each plane summed in double about a value of its channel and each
/// channel's planes added in order (the same sums on any number of threads); checked against
/// alexnet::cpu::batchnorm2d_forward_training and the rest of reference_cpu/batchnorm2d.hpp.
#pragma once

#include <cstdint>

#include "reference_cpu/batchnorm2d.hpp"

namespace alexnet::fast {

/// @brief As alexnet::cpu::batchnorm2d_forward_training: y, and the batch mean and biased variance per channel.
BatchNormForward<float> batchnorm2d_forward_training(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                                     BatchNormParams params);

/// @brief As alexnet::cpu::batchnorm2d_forward_inference: y = γ_c·(x − mean_c)/√(var_c + ε) + β_c, running stats.
TensorF batchnorm2d_forward_inference(const TensorF& x, const TensorF& gamma, const TensorF& beta,
                                      const TensorF& running_mean, const TensorF& running_var, BatchNormParams params);

/// @brief As alexnet::cpu::update_running_statistics: momentum-weighted, with the unbiased variance.
void update_running_statistics(TensorF& running_mean, TensorF& running_var, const TensorF& batch_mean,
                               const TensorF& batch_biased_variance, std::int64_t count_per_channel,
                               BatchNormParams params);

/// @brief As alexnet::cpu::batchnorm2d_backward: training-mode gradients through the batch statistics. ∂x is
/// written over grad_y's storage (pass it with std::move to spare a copy).
NormGradients<float> batchnorm2d_backward(const TensorF& x, const TensorF& gamma, TensorF grad_y,
                                          BatchNormParams params);

}  // namespace alexnet::fast
