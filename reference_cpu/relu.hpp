/// @file relu.hpp
/// @brief ReLU, f(x) = max(0, x): the CPU reference, forward and backward.
#pragma once

#include "reference_cpu/tensor.hpp"

namespace alexnet::cpu {

/// @brief y = max(0, x) element-wise; any shape.
template <typename T>
Tensor<T> relu_forward(const Tensor<T>& x);

/// @brief grad_x = grad_y where x > 0, else 0 (the kink at 0 takes gradient 0).
template <typename T>
Tensor<T> relu_backward(const Tensor<T>& x, const Tensor<T>& grad_y);

}  // namespace alexnet::cpu
