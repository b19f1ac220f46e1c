/// @file groupnorm.hpp
/// @brief Group normalization on the CPU, fast: one (image, group) per thread, its values contiguous,
/// sums in double; checked against alexnet::cpu::groupnorm_forward and alexnet::cpu::groupnorm_backward.
#pragma once

#include "reference_cpu/groupnorm.hpp"

namespace alexnet::fast {

/// @brief As alexnet::cpu::groupnorm_forward: statistics per image and group of C/G channels, γ, β per channel.
TensorF groupnorm_forward(const TensorF& x, const TensorF& gamma, const TensorF& beta, GroupNormParams params);

/// @brief As alexnet::cpu::groupnorm_backward: ∂x per (image, group), ∂γ and ∂β per channel over (N, H, W). ∂x
/// is written over grad_y's storage (pass it with std::move to spare a copy).
NormGradients<float> groupnorm_backward(const TensorF& x, const TensorF& gamma, TensorF grad_y,
                                        GroupNormParams params);

}  // namespace alexnet::fast
