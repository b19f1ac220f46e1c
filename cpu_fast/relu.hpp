/// @file relu.hpp
/// @brief ReLU on the CPU, fast: one vectorisable loop split over the threads.
#pragma once

#include "reference_cpu/tensor.hpp"

namespace alexnet::fast {

/// @brief y = max(0, x), as alexnet::cpu::relu_forward.
TensorF relu_forward(const TensorF& x);

/// @brief grad_x = grad_y where x > 0, else 0, as alexnet::cpu::relu_backward, written over grad_y's storage (pass
/// it with std::move to spare a copy): no fresh memory, and each line written is one just read.
TensorF relu_backward(const TensorF& x, TensorF grad_y);

}  // namespace alexnet::fast
