/// @file linear.hpp
/// @brief Fully connected (linear) layer y = W·x + b: the CPU reference, forward and backward.
/// (The paper's initialisation of FC6, FC7 and FC8 is alexnet::initial_parameters() of the layer table.)
#pragma once

#include <cstdint>

#include "reference_cpu/tensor.hpp"

namespace alexnet::cpu {

/// @brief y[n, o] = b[o] + Σ_i W[o, i]·x[n, i] for x [N, in], W [out, in] (PyTorch's layout), b [out].
template <typename T>
Tensor<T> linear_forward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias);

/// @brief The gradients of a linear layer's loss with respect to its input and parameters.
template <typename T>
struct LinearGradients {
  Tensor<T> input;   ///< ∂L/∂x [N, in] = grad_y · W
  Tensor<T> weight;  ///< ∂L/∂W [out, in] = grad_yᵀ · x
  Tensor<T> bias;    ///< ∂L/∂b [out] = Σ_n grad_y[n, ·]
};

/// @brief Backward of linear_forward given the upstream gradient grad_y [N, out].
template <typename T>
LinearGradients<T> linear_backward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& grad_y);

}  // namespace alexnet::cpu
