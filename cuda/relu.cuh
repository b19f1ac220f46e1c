/// @file relu.cuh
/// @brief ReLU on the GPU, forward and backward; checked against reference_cpu/relu.hpp.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief y = max(0, x); y must have x's shape (one thread per element).
void relu_forward(const Context& context, const DeviceTensorF& x, DeviceTensorF& y);

/// @brief grad_x = grad_y where x > 0, else 0; all three of one shape.
void relu_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y, DeviceTensorF& grad_x);

}  // namespace alexnet::cuda
