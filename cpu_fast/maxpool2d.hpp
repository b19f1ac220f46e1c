/// @file maxpool2d.hpp
/// @brief Max-pooling on the CPU, fast: the reference's loop, its planes split over the threads
/// (the same tie and NaN rules: alexnet::cpu::window_argmax).
#pragma once

#include "reference_cpu/maxpool2d.hpp"

namespace alexnet::fast {

/// @brief As alexnet::cpu::maxpool2d_forward.
TensorF maxpool2d_forward(const TensorF& x, Pool2dParams params);

/// @brief As alexnet::cpu::maxpool2d_backward: each window's gradient to its arg-max.
TensorF maxpool2d_backward(const TensorF& x, const TensorF& grad_y, Pool2dParams params);

}  // namespace alexnet::fast
