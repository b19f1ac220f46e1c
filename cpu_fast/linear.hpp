/// @file linear.hpp
/// @brief Fully connected layers on the CPU, fast: forward and both backward products as
/// SGEMM; checked against alexnet::cpu::linear_forward / linear_backward.
#pragma once

#include "reference_cpu/linear.hpp"

namespace alexnet::fast {

/// @brief y [N, out] = x [N, in] · Wᵀ + b, one SGEMM (W [out, in] read transposed, as stored).
TensorF linear_forward(const TensorF& x, const TensorF& weight, const TensorF& bias);

/// @brief ∂x = ∂y · W and ∂W = ∂yᵀ · x (two SGEMMs), ∂b = Σ_n ∂y.
cpu::LinearGradients<float> linear_backward(const TensorF& x, const TensorF& weight, const TensorF& grad_y);

}  // namespace alexnet::fast
