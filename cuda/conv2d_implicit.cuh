/// @file conv2d_implicit.cuh
/// @brief Chapter 16's convolution: an implicit GEMM on the ladder's best tile kernel (double-buffered warp tiles,
/// gemm_tiles.cuh), forward and backward, grouped; checked against reference_cpu/conv2d.hpp like every other.
///
/// Chapter 15 writes im2col's columns to memory and hands them to cuBLAS. Here the same three products run with
/// the columns never stored: the loader of the tile kernel gathers each value of a column from the image at the
/// moment the tile needs it. Per group g (K = C_in/g·k·k values in a window, P = H_out·W_out):
///   forward   Y_g [C_out/g, N·P]      = W_g [C_out/g, K] · col [K, N·P]              col gathered from x
///   ∂x        ∂x_g [C_in/g, N·H·W]    = W_gᵀ-gathered [C_in/g, C_out/g·k·k] · ∂y-gathered   (a transposed conv)
///   ∂W, ∂b    [C_out/g, K + 1]        = ∂Y_g [C_out/g, N·P] · [colᵀ | 1] [N·P, K + 1]
/// ∂x gathers, for input position (ih, iw) and term (co, kh, kw), the output (oh, ow) whose window put weight
/// (kh, kw) on it — if there is one: (ih + pad − kh) must be a multiple of the stride. ∂b is the last column of
/// ∂W's product: a column of ones beside colᵀ sums ∂Y's rows. ∂W's reduction runs over all N·P outputs, so its
/// blocks split it ("split-K") into pieces summed afterwards in a fixed order: the result does not depend on
/// which block finishes first.
#pragma once

#include <cstdint>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/conv2d.hpp"

namespace alexnet::cuda {

/// @brief Floats of workspace the backward needs for x convolved with weight: the split pieces of ∂W and ∂b.
/// The forward needs none.
std::int64_t conv2d_implicit_workspace_floats(const Shape& x, const Shape& weight, Conv2dParams params);

/// @brief y = conv2d(x, weight) + bias, with no im2col buffer.
void conv2d_forward_implicit(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                             const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y);

/// @brief The gradients of conv2d_forward_implicit from grad_y: grad_weight and grad_bias overwritten; grad_x
/// written or, with GradientMode::Accumulate, added to — or not computed at all when grad_x is nullptr (the first
/// layer). `workspace` holds at least conv2d_implicit_workspace_floats.
void conv2d_backward_implicit(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                              const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF* grad_x,
                              DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, DeviceTensorF& workspace,
                              GradientMode mode = GradientMode::Overwrite);

}  // namespace alexnet::cuda
