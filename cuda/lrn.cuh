/// @file lrn.cuh
/// @brief Local response normalization on the GPU, forward and backward; checked against reference_cpu/lrn.hpp.
///
/// Naive kernels, one thread per element (chapter 02's lesson). The window sums are
/// recomputed, not stored: the forward reads `size` values per output; the backward
/// recomputes d_c for each of the `size` channels c around j, `size`² reads, all from the
/// same (n, h, w) column that neighbouring threads also read (so mostly cache hits).
///
/// The fast path's kernels (chapter 15), lrn_forward_by_column and lrn_backward_by_column,
/// give each thread a whole column of a tower instead: it walks the channels in order,
/// reads each value from memory once and computes each d_c and its powers once, keeping
/// the last `size` values it needs in shared memory. The same sums in the same order.
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

/// @brief lrn_forward, each thread walking one column of a tower's channels; windows of at most 47 channels.
void lrn_forward_by_column(const Context& context, const DeviceTensorF& x, LrnParams params, DeviceTensorF& y);

/// @brief lrn_backward, each thread walking one column of a tower's channels; windows of at most 11 channels.
void lrn_backward_by_column(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                            LrnParams params, DeviceTensorF& grad_x);

}  // namespace alexnet::cuda
