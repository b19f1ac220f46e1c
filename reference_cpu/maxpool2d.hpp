/// @file maxpool2d.hpp
/// @brief Max-pooling over square windows (AlexNet's overlapping 3×3, stride 2): the CPU reference.
///
/// **Tie rule.** A window's arg-max is its FIRST maximum in row-major scan order
/// (top row first, left to right within a row), found with a strict `>`: a later
/// element equal to the running maximum does not replace it. The backward pass
/// sends the window's whole gradient to that one element.
///
/// **NaN rule.** A window that holds a NaN outputs NaN, wherever the NaN sits, and
/// its arg-max is that NaN, so the backward sends the window's gradient there; of
/// several NaNs, the first in scan order (the tie rule again). This is PyTorch's
/// rule (its max_pool2d propagates NaN), except that PyTorch's loop
/// (`val > maxval || isnan(val)`) keeps the *last* of several NaNs. A strict `>`
/// alone would not do: NaN compares false, so a NaN scanned first would stay the
/// maximum and a later one would be skipped.
///
/// The CUDA kernels (cuda/maxpool2d.cuh) scan in the same order with the same two
/// rules, so both route ties and NaNs identically.
#pragma once

#include <cmath>
#include <cstdint>

#include "reference_cpu/tensor.hpp"
#include "reference_cpu/window.hpp"

namespace alexnet {

/// @brief Window of a max-pooling layer; no padding (every window lies inside the input).
struct Pool2dParams {
  int kernel = 3;  ///< window side K (AlexNet: 3)
  int stride = 2;  ///< step between windows S (AlexNet: 2 < K, so windows overlap)
};

/// @brief Output shape [N, C, (H − K)/S + 1, (W − K)/S + 1] of pooling `x`; throws "<op>: ..." if it does not fit.
Shape maxpool2d_output_shape(const std::string& op, const Shape& x, Pool2dParams params);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief Index within one H×W plane of the arg-max of the K×K window whose top-left corner is
/// (top, left), scanned row-major: the first NaN if the window holds one, else the first maximum
/// (strict `>`) — the NaN and tie rules above, shared by every CPU backend.
template <typename T>
std::int64_t window_argmax(const T* plane, std::int64_t width, std::int64_t top, std::int64_t left, int kernel) {
  std::int64_t best = top * width + left;
  T best_value = plane[best];  // kept in a register: each comparison waits for no load of the last winner
  for (std::int64_t h = top; h < top + kernel; ++h) {
    for (std::int64_t w = left; w < left + kernel; ++w) {
      const T value = plane[h * width + w];
      if (std::isnan(value)) return h * width + w;
      if (value > best_value) {
        best = h * width + w;
        best_value = value;
      }
    }
  }
  return best;
}

/// @brief y[n, c, i, j] = max of x[n, c, i·S .. i·S+K−1, j·S .. j·S+K−1]; x: [N, C, H, W].
template <typename T>
Tensor<T> maxpool2d_forward(const Tensor<T>& x, Pool2dParams params);

/// @brief Routes each grad_y element to its window's arg-max (recomputed from x by the NaN and tie rules);
/// where windows overlap, the gradients an input receives add up.
template <typename T>
Tensor<T> maxpool2d_backward(const Tensor<T>& x, const Tensor<T>& grad_y, Pool2dParams params);

}  // namespace alexnet::cpu
