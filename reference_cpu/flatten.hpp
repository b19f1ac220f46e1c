/// @file flatten.hpp
/// @brief Flatten: [N, C, H, W] feature maps to [N, C·H·W] vectors for the fully connected layers.
#pragma once

#include "reference_cpu/tensor.hpp"

namespace alexnet::cpu {

/// @brief y[n, (c·H + h)·W + w] = x[n, c, h, w]: C·H·W order, the same as PyTorch's `flatten(1)`.
///
/// In row-major storage this is the order the values already have: flatten
/// changes the shape, never the bytes (pool5's 256@6×6 becomes FC6's 9216 inputs).
template <typename T>
Tensor<T> flatten_forward(const Tensor<T>& x);

/// @brief The gradient of flatten: grad_y [N, C·H·W] put back in the input's shape [N, C, H, W].
template <typename T>
Tensor<T> flatten_backward(const Tensor<T>& grad_y, const Shape& input_shape);

/// @brief [N, C·H·W] for an input of shape [N, C, H, W]; throws naming `op` for any other rank.
Shape flattened_shape(const std::string& op, const Shape& input_shape);

}  // namespace alexnet::cpu
