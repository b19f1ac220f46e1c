/// @file linear.hpp
/// @brief Fully connected (linear) layer y = W·x + b: the CPU reference, forward and backward,
/// and the paper's initialisation of FC6, FC7 and FC8.
#pragma once

#include <cstdint>

#include "reference_cpu/layer_table.hpp"
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

/// @brief The learned tensors of one fully connected layer.
template <typename T>
struct LinearParameters {
  Tensor<T> weight;  ///< [out, in]
  Tensor<T> bias;    ///< [out]
};

/// @brief A fully connected row of the layer table with the paper's initialisation.
///
/// Shapes come from the row: W [out, in], b [out]. Weights are N(0, 0.01²),
/// weight i drawn as random_normal(seed, stream, i); biases are 1 in the hidden
/// layers (those followed by a ReLU: FC6, FC7) and 0 in the output layer (FC8):
/// "This initialization accelerates the early stages of learning by providing the
/// ReLUs with positive inputs" (paper, §5). Throws unless the row is fully connected.
LinearParameters<float> init_linear_parameters(const LayerSummary& layer, std::uint64_t seed, std::uint64_t stream);

}  // namespace alexnet::cpu
