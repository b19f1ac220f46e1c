/// @file linear_gemm.cuh
/// @brief The fully connected layer as matrix products, forward and backward: on cuBLAS for the fast path
/// (chapter 15), on the best step of chapter 16's SGEMM ladder for `--kernels course` — whichever MatrixProduct
/// it is given; checked against reference_cpu/linear.hpp like chapter 07's kernels (cuda/linear.cuh).
///
///   y  = x·Wᵀ + b     one product, then the bias in one pass
///   ∂x = ∂y·W         (written, or added to with GradientMode::Accumulate: β = 1)
///   ∂W = ∂yᵀ·x
///   ∂b = 1ᵀ·∂y        a product with a vector of N ones (the workspace: at least N floats)
#pragma once

#include "cuda/blas.cuh"
#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"

namespace alexnet::cuda {

/// @brief y [N, out] = x [N, in] · Wᵀ + b for W [out, in], b [out], by `product`.
void linear_forward_gemm(const Context& context, const MatrixProduct& product, const DeviceTensorF& x,
                         const DeviceTensorF& weight, const DeviceTensorF& bias, DeviceTensorF& y);

/// @brief grad_x = grad_y · W (or +=), grad_weight = grad_yᵀ · x, grad_bias = column sums of grad_y, by `product`;
/// `workspace` holds at least N floats.
void linear_backward_gemm(const Context& context, const MatrixProduct& product, const DeviceTensorF& x,
                          const DeviceTensorF& weight, const DeviceTensorF& grad_y, DeviceTensorF& grad_x,
                          DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, DeviceTensorF& workspace,
                          GradientMode mode = GradientMode::Overwrite);

}  // namespace alexnet::cuda
