/// @file dropout.cuh
/// @brief Inverted dropout on the GPU with the CPU's mask (reference_cpu/dropout.hpp), bit for bit.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/dropout.hpp"

namespace alexnet::cuda {

/// @brief Training: y[i] = x[i]·1/(1 − p) where alexnet::dropout_keeps(params, i), else 0; test time: y = x.
void dropout_forward(const Context& context, const DeviceTensorF& x, const DropoutParams& params, DeviceTensorF& y);

/// @brief grad_x = grad_y through the same mask and scale (recomputed, not stored); identity at test time.
void dropout_backward(const Context& context, const DeviceTensorF& grad_y, const DropoutParams& params,
                      DeviceTensorF& grad_x);

}  // namespace alexnet::cuda
