/// @file sgd.hpp
/// @brief The paper's SGD update on the CPU, fast: one OpenMP loop over all the weights of a
/// tensor, the same arithmetic as alexnet::cpu::sgd_update (so the same floats come out).
#pragma once

#include "reference_cpu/sgd.hpp"

namespace alexnet::fast {

/// @brief v ← m·v − λ·ε·w − ε·g, then w ← w + v, as alexnet::cpu::sgd_update, over all cores.
void sgd_update(const TensorF& grad, double learning_rate, SgdParams params, TensorF& weight, TensorF& velocity);

}  // namespace alexnet::fast
