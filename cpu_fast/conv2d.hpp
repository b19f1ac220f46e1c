/// @file conv2d.hpp
/// @brief Convolution on the CPU, fast: im2col + SGEMM (Caffe's lowering), backward as two
/// GEMMs and col2im; checked against alexnet::cpu::conv2d_forward / conv2d_backward.
///
/// For image n and group g, im2col copies every input patch a kernel sees into one column
/// of a matrix col [C_in/g·K·K, H_out·W_out]; then y_g [C_out/g, H_out·W_out] = W_g · col, one
/// SGEMM with the weights as they are stored ([C_out, C_in/g, K, K] is row-major
/// [C_out, C_in/g·K·K]). Backward: ∂W_g += ∂y_g · colᵀ and ∂col = W_gᵀ · ∂y_g, which col2im
/// adds back into ∂x. The col matrix lives in the reused workspace. With many small images (the mini network's),
/// each thread lowers a run of its images side by side into one col matrix, so that one GEMM serves the run.
#pragma once

#include "reference_cpu/conv2d.hpp"

namespace alexnet::fast {

/// @brief The same y as alexnet::cpu::conv2d_forward, by im2col + SGEMM per image and group.
TensorF conv2d_forward(const TensorF& x, const TensorF& weight, const TensorF& bias, Conv2dParams params);

/// @brief The same gradients as alexnet::cpu::conv2d_backward, by two SGEMMs and col2im per image and group;
/// without `input_gradient`, ∂L/∂weight and ∂L/∂bias alone (one SGEMM; `input` is left empty), as a network's
/// first layer needs in training.
cpu::Conv2dGradients<float> conv2d_backward(const TensorF& x, const TensorF& weight, const TensorF& grad_y,
                                            Conv2dParams params, bool input_gradient = true);

/// @brief The lowering alone at one convolution's shapes, for chapter 13's bench: its passes' medians in ms and
/// the bytes each must move at least (its input once, its output once).
struct LoweringTimes {
  double im2col_ms;         ///< every image and group of the batch lowered
  double col2im_ms;         ///< and added back into ∂x
  std::int64_t x_bytes;     ///< x [N, C_in, H, W] (and ∂x, which col2im writes)
  std::int64_t col_bytes;   ///< the col matrices of every image and group, C_in/g·K·K × H_out·W_out each
};

/// @brief Times im2col and col2im over a whole batch x_shape for weights weight_shape, shared out among the
/// threads as conv2d_forward and conv2d_backward share them (the median of `repeats` calls after an untimed one).
LoweringTimes time_lowering(const Shape& x_shape, const Shape& weight_shape, Conv2dParams params, int repeats = 5);

}  // namespace alexnet::fast
