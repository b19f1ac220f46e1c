/// @file dropout.hpp
/// @brief Dropout on the CPU, fast: the same counter-based masks, 64 Philox blocks (256 units) at a time in vector
/// registers, split over the threads.
#pragma once

#include "reference_cpu/dropout.hpp"

namespace alexnet::fast {

/// @brief As alexnet::cpu::dropout_forward: unit i kept when dropout_keeps(params, i), scaled by 1/(1 − p).
TensorF dropout_forward(const TensorF& x, const DropoutParams& params);

/// @brief As alexnet::cpu::dropout_backward: the same mask and scale applied to grad_y, in its own storage (pass it
/// with std::move to spare a copy).
TensorF dropout_backward(TensorF grad_y, const DropoutParams& params);

}  // namespace alexnet::fast
