/// @file conv2d.hpp
/// @brief 2-D convolution with stride, zero padding and groups: the CPU reference, forward and backward.
///
/// Shapes (PyTorch's layout, so weights move between the two without transposes):
///   x: [N, C_in, H, W], weight: [C_out, C_in/groups, K, K], bias: [C_out]
///   y: [N, C_out, H_out, W_out], H_out = floor((H + 2P − K) / S) + 1 (W_out alike)
/// Output channel co belongs to group g = co / (C_out/groups) and sees only the
/// input channels g·C_in/groups … (g+1)·C_in/groups − 1. Like every deep-learning
/// "convolution" this is a cross-correlation: the kernel is not flipped.
#pragma once

#include <cstdint>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Stride, zero padding and groups of a 2-D convolution (square kernels).
struct Conv2dParams {
  int stride = 1;  ///< S: step between neighbouring windows, in both directions
  int pad = 0;     ///< P: zeros added on each side of H and W
  int groups = 1;  ///< g: channels split into g independent convolutions (2 = AlexNet's two towers)
};

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief Shape of y, checking every shape and parameter (throws std::invalid_argument naming what was expected and what came).
Shape conv2d_output_shape(const Shape& x, const Shape& weight, const Shape& bias, Conv2dParams params);

/// @brief y[n, co, oh, ow] = bias[co] + Σ_{ci, kh, kw} x[n, g·C_in/g + ci, oh·S − P + kh, ow·S − P + kw] · weight[co, ci, kh, kw].
template <typename T>
Tensor<T> conv2d_forward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias, Conv2dParams params);

/// @brief The gradients of L with respect to a convolution's three inputs, given ∂L/∂y.
template <typename T>
struct Conv2dGradients {
  Tensor<T> input;   ///< ∂L/∂x, shape of x: each input collects grad_y · weight from every window it falls in
  Tensor<T> weight;  ///< ∂L/∂weight, shape of weight: Σ over n, oh, ow of grad_y · the input the weight met
  Tensor<T> bias;    ///< ∂L/∂bias, [C_out]: Σ of grad_y over n, oh, ow
};

/// @brief Backward pass of conv2d_forward: every gradient from x, weight and grad_y = ∂L/∂y.
template <typename T>
Conv2dGradients<T> conv2d_backward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& grad_y,
                                   Conv2dParams params);

}  // namespace alexnet::cpu
