/// @file relu.hpp
/// @brief ReLU on the CPU, fast: one vectorisable loop split over the threads.
#pragma once

#include "reference_cpu/tensor.hpp"

namespace alexnet::fast {

/// @brief y = max(0, x), as alexnet::cpu::relu_forward.
TensorF relu_forward(const TensorF& x);

/// @brief grad_x = grad_y where x > 0, else 0, as alexnet::cpu::relu_backward.
TensorF relu_backward(const TensorF& x, const TensorF& grad_y);

}  // namespace alexnet::fast
