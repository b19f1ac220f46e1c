/// @file maxpool2d.hpp
/// @brief Max-pooling over square windows (AlexNet's overlapping 3×3, stride 2): the CPU reference.
///
/// **Tie rule.** A window's arg-max is its FIRST maximum in row-major scan order
/// (top row first, left to right within a row), found with a strict `>`: a later
/// element equal to the running maximum does not replace it. The backward pass
/// sends the window's whole gradient to that one element. The CUDA kernels
/// (cuda/maxpool2d.cuh) scan in the same order, so both route ties identically.
#pragma once

#include "reference_cpu/layer_table.hpp"
#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief Window of a max-pooling layer; no padding (every window lies inside the input).
struct Pool2dParams {
  int kernel = 3;  ///< window side K (AlexNet: 3)
  int stride = 2;  ///< step between windows S (AlexNet: 2 < K, so windows overlap)
};

/// @brief The pooling window of a layer-table row of kind MaxPool; throws for another kind.
Pool2dParams pool2d_params(const LayerSpec& layer);

/// @brief Output shape [N, C, (H − K)/S + 1, (W − K)/S + 1] of pooling `x`; throws "<op>: ..." if it does not fit.
Shape maxpool2d_output_shape(const std::string& op, const Shape& x, Pool2dParams params);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief y[n, c, i, j] = max of x[n, c, i·S .. i·S+K−1, j·S .. j·S+K−1]; x: [N, C, H, W].
template <typename T>
Tensor<T> maxpool2d_forward(const Tensor<T>& x, Pool2dParams params);

/// @brief Routes each grad_y element to its window's arg-max (recomputed from x, first maximum wins);
/// where windows overlap, the gradients an input receives add up.
template <typename T>
Tensor<T> maxpool2d_backward(const Tensor<T>& x, const Tensor<T>& grad_y, Pool2dParams params);

}  // namespace alexnet::cpu
