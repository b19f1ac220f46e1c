/// @file maxpool2d.hpp
/// @brief Max-pooling on the CPU, fast, its planes split over the threads in stacks of ≤ 2,048 floats: each
/// window's maximum is a maximum of row maxima, found at every position of a stack by two vectorised passes (2·K
/// reads per position instead of K² per window); the backward routes each gradient to the reference's arg-max (the
/// same tie and NaN rules: alexnet::cpu::window_argmax).
#pragma once

#include "reference_cpu/maxpool2d.hpp"

namespace alexnet::fast {

/// @brief As alexnet::cpu::maxpool2d_forward.
TensorF maxpool2d_forward(const TensorF& x, Pool2dParams params);

/// @brief As alexnet::cpu::maxpool2d_backward: each window's gradient to its arg-max.
TensorF maxpool2d_backward(const TensorF& x, const TensorF& grad_y, Pool2dParams params);

}  // namespace alexnet::fast
