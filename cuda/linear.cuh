/// @file linear.cuh
/// @brief Fully connected layer on the GPU: a naive kernel and a shared-memory tiled matrix
/// multiply, forward and backward; checked against reference_cpu/linear.hpp.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief Which forward kernel linear_forward runs (both are kept and checked, llm.c style).
enum class LinearVersion {
  Naive,  ///< version 1: one thread per output, a dot product read straight from global memory
  Tiled,  ///< version 2: 64×64 output tiles staged through shared memory, 4×4 outputs per thread
};

/// @brief y [N, out] = x [N, in] · Wᵀ + b for W [out, in], b [out]; y pre-allocated.
void linear_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                    const DeviceTensorF& bias, DeviceTensorF& y, LinearVersion version = LinearVersion::Tiled);

/// @brief grad_x = grad_y · W (or grad_x += with GradientMode::Accumulate), grad_weight = grad_yᵀ · x,
/// grad_bias = column sums of grad_y (these two always overwritten).
///
/// All three products run on the tiled kernel of LinearVersion::Tiled, told
/// which operand to read transposed and whether to add into C.
void linear_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                     const DeviceTensorF& grad_y, DeviceTensorF& grad_x, DeviceTensorF& grad_weight,
                     DeviceTensorF& grad_bias, GradientMode mode = GradientMode::Overwrite);

}  // namespace alexnet::cuda
