/// @file conv2d_gemm.cuh
/// @brief The fast path's convolution (chapter 15): im2col on the GPU and cuBLAS SGEMM, forward and backward;
/// checked against reference_cpu/conv2d.hpp like the course's kernels (cuda/conv2d.cuh).
///
/// For group g and a chunk of c images, im2col lays the windows out as a matrix col [K, c·P], one column per
/// output position of every image of the chunk (K = C_in/g·k·k values in a window, P = H_out·W_out), so that
/// one product per group and chunk does the work of the whole chunk:
///   forward   Y_g [C_out/g, c·P] = W_g [C_out/g, K] · col            then Y_g + b → y (NCHW), one pass
///   ∂W_g     += ∂Y_g · colᵀ                                           (∂Y_g gathered from ∂y, one pass)
///   ∂b_g     += ∂Y_g · 1                                              (a product with a vector of ones)
///   ∂col      = W_gᵀ · ∂Y_g                                           then col2im → ∂x, one gather pass
/// The workspace holds col, Y_g (∂Y_g in the backward) and the ones: conv2d_gemm_workspace_floats per image.
/// The chunk is as many images as fit the workspace it is given.
#pragma once

#include <cstdint>

#include "cuda/blas.cuh"
#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/conv2d.hpp"

namespace alexnet::cuda {

/// @brief Floats of workspace one image of x needs: (K + C_out/g + 1)·P.
std::int64_t conv2d_gemm_workspace_floats(const Shape& x, const Shape& weight, Conv2dParams params);

/// @brief y = conv2d(x, weight) + bias by im2col and SGEMM, `workspace` holding at least one image's
/// conv2d_gemm_workspace_floats (more: larger chunks, fewer products).
void conv2d_forward_gemm(const Context& context, const Blas& blas, const DeviceTensorF& x,
                         const DeviceTensorF& weight, const DeviceTensorF& bias, Conv2dParams params,
                         DeviceTensorF& y, DeviceTensorF& workspace);

/// @brief The gradients of conv2d_forward_gemm from grad_y: grad_weight and grad_bias overwritten; grad_x written
/// or, with GradientMode::Accumulate, added to — or not computed at all when grad_x is nullptr (the first layer:
/// nothing uses ∂L/∂image).
void conv2d_backward_gemm(const Context& context, const Blas& blas, const DeviceTensorF& x,
                          const DeviceTensorF& weight, const DeviceTensorF& grad_y, Conv2dParams params,
                          DeviceTensorF* grad_x, DeviceTensorF& grad_weight, DeviceTensorF& grad_bias,
                          DeviceTensorF& workspace, GradientMode mode = GradientMode::Overwrite);

}  // namespace alexnet::cuda
