/// @file lrn.cuh
/// @brief Local response normalization on the GPU, forward and backward; checked against reference_cpu/lrn.hpp.
///
/// Naive kernels, one thread per element. The window sums are recomputed, not
/// stored: the forward reads `size` values per output; the backward recomputes
/// d_c for each of the `size` channels c around j, `size`² reads, all from the
/// same (n, h, w) column that neighbouring threads also read (so mostly cache hits).
#pragma once

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/lrn.hpp"

namespace alexnet::cuda {

/// @brief y = x / (k + α·Σ_window x²)^β, windows clipped at the towers' edges; y must have x's shape.
void lrn_forward(const Context& context, const DeviceTensorF& x, LrnParams params, DeviceTensorF& y);

/// @brief grad_x = g_j / d_j^β − 2αβ·a_j·Σ_{c ∈ window(j)} g_c·a_c / d_c^(β+1); all three of one shape.
void lrn_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y, LrnParams params,
                  DeviceTensorF& grad_x);

}  // namespace alexnet::cuda
