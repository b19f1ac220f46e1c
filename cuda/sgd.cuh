/// @file sgd.cuh
/// @brief The paper's SGD update on the GPU, one thread per weight; checked against reference_cpu/sgd.hpp.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/sgd.hpp"

namespace alexnet::cuda {

/// @brief v ← m·v − λ·ε·w − ε·g, then w ← w + v, in place on weight and velocity; all three of one shape.
void sgd_update(const Context& context, const DeviceTensorF& grad, double learning_rate, SgdParams params,
                DeviceTensorF& weight, DeviceTensorF& velocity);

}  // namespace alexnet::cuda
