/// @file flatten.cuh
/// @brief Flatten on the GPU: [N, C, H, W] to [N, C·H·W], a copy of the same bytes under a new shape.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief y [N, C·H·W] = x [N, C, H, W] in C·H·W order; row-major storage makes it a device-to-device copy.
void flatten_forward(const Context& context, const DeviceTensorF& x, DeviceTensorF& y);

/// @brief grad_x [N, C, H, W] = grad_y [N, C·H·W], the same bytes under the input's shape.
void flatten_backward(const Context& context, const DeviceTensorF& grad_y, DeviceTensorF& grad_x);

}  // namespace alexnet::cuda
