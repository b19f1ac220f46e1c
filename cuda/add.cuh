/// @file add.cuh
/// @brief y += x on the GPU: where the towers join, the gradients of one tensor's consumers add up.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief y[i] += x[i] for tensors of one shape (one thread per element).
void add_into(const Context& context, const DeviceTensorF& x, DeviceTensorF& y);

}  // namespace alexnet::cuda
