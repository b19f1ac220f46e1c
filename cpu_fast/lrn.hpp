/// @file lrn.hpp
/// @brief Local response normalization on the CPU, fast: ≤ 512 positions of every channel at a time (256
/// backward), so the inner loops run over contiguous positions and vectorise and each value comes from memory once,
/// and the paper's d^−0.75 from multiplies and adds (a bit-level guess and Newton steps); checked against
/// alexnet::cpu::lrn_forward.
#pragma once

#include "reference_cpu/lrn.hpp"

namespace alexnet::fast {

/// @brief b_c = a_c / (k + α·Σ_{c' in window(c)} a_{c'}²)^β, as alexnet::cpu::lrn_forward (windows per tower).
TensorF lrn_forward(const TensorF& x, LrnParams params);

/// @brief As alexnet::cpu::lrn_backward: ∂a_j = g_j/d_j^β − 2αβ·a_j·Σ_{c ∈ window(j)} g_c·a_c/d_c^(β+1), written
/// over grad_y's storage (pass it with std::move to spare a copy).
TensorF lrn_backward(const TensorF& x, TensorF grad_y, LrnParams params);

}  // namespace alexnet::fast
