/// @file sgd.hpp
/// @brief The paper's update rule (§5): stochastic gradient descent with momentum and weight decay.
///
/// \f[ v \leftarrow 0.9\,v - 0.0005\,\varepsilon\,w - \varepsilon\,\frac{\partial L}{\partial w}, \qquad
///     w \leftarrow w + v \f]
/// The learning rate ε multiplies the gradient *before* it enters the velocity. PyTorch's
/// `SGD(momentum, weight_decay)` applies it after (v ← 0.9·v + g + λ·w; w ← w − ε·v): for a
/// constant ε the two produce the same weights (PyTorch's v is ours divided by −ε), and
/// they part only when ε changes, where ours keeps the old ε inside the velocity.
#pragma once

#include <string>

#include "reference_cpu/tensor.hpp"

namespace alexnet {

/// @brief The paper's momentum and weight decay (§5: "momentum of 0.9, and weight decay of 0.0005").
struct SgdParams {
  double momentum = 0.9;        ///< the fraction of the velocity kept from one step to the next
  double weight_decay = 0.0005;  ///< λ: the pull of every weight towards zero, multiplied by ε
};

/// @brief Throws std::invalid_argument naming `op` unless weight, velocity and grad have one shape.
void require_sgd_shapes(const std::string& op, const Shape& grad, const Shape& weight, const Shape& velocity);

}  // namespace alexnet

namespace alexnet::cpu {

/// @brief One step of the paper's rule on every element: v ← m·v − λ·ε·w − ε·g, then w ← w + v.
// grad, weight, velocity: one shape (any)
template <typename T>
void sgd_update(const Tensor<T>& grad, double learning_rate, SgdParams params, Tensor<T>& weight,
                Tensor<T>& velocity);

}  // namespace alexnet::cpu
