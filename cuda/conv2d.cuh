/// @file conv2d.cuh
/// @brief 2-D convolution on the GPU (stride, padding, groups), forward and backward;
/// checked against reference_cpu/conv2d.hpp.
///
/// Two forward kernels, kept side by side as a lesson (llm.c style):
///  - Naive: one thread per output y[n, co, oh, ow], reading x and the weight from global memory.
///  - Tiled: a block computes a 16×16 tile of outputs for 8 output channels of one image; for
///    each input channel it first copies the input patch the tile reads and the 8 kernels into
///    shared memory, so every input value is read from global memory once per block instead of
///    once per output that uses it, and each thread keeps 8 sums in registers.
/// The backward kernels are straightforward gathers, one output per thread, with no atomics.
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/conv2d.hpp"

namespace alexnet::cuda {

/// @brief Which forward kernel conv2d_forward runs.
enum class ConvVersion {
  Naive,  ///< one thread per output, everything read from global memory
  Tiled,  ///< shared-memory tiles of the input and the kernels, 8 output channels per block
};

/// @brief y = conv2d(x, weight) + bias; y must have the shape of alexnet::cpu::conv2d_output_shape.
void conv2d_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                    const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y,
                    ConvVersion version = ConvVersion::Tiled);

/// @brief Gradients of conv2d_forward given grad_y = ∂L/∂y; grad_x, grad_weight, grad_bias have the shapes of x,
/// weight, bias.
///
/// grad_x: one thread per input element gathers grad_y · weight over the windows that contain it,
/// written or, with GradientMode::Accumulate, added to what grad_x holds;
/// grad_weight: one thread per weight sums grad_y · x over n, oh, ow (N·H_out·W_out terms);
/// grad_bias: one block per output channel reduces grad_y in shared memory.
/// grad_weight and grad_bias are always overwritten.
void conv2d_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                     const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF& grad_x,
                     DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, GradientMode mode = GradientMode::Overwrite);

}  // namespace alexnet::cuda
