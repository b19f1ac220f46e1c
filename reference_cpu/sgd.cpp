#include "reference_cpu/sgd.hpp"

#include <stdexcept>

namespace alexnet {

void require_sgd_shapes(const std::string& op, const Shape& grad, const Shape& weight, const Shape& velocity) {
  require_shape(op, "weight", grad, weight);
  require_shape(op, "velocity", grad, velocity);
}

}  // namespace alexnet

namespace alexnet::cpu {

template <typename T>
void sgd_update(const Tensor<T>& grad, double learning_rate, SgdParams params, Tensor<T>& weight,
                Tensor<T>& velocity) {
  require_sgd_shapes("sgd_update", grad.shape(), weight.shape(), velocity.shape());
  // The three factors in the scalar type, once: every backend computes these same products.
  const T momentum = static_cast<T>(params.momentum);
  const T decay = static_cast<T>(params.weight_decay * learning_rate);  // λ·ε
  const T epsilon = static_cast<T>(learning_rate);
  for (std::int64_t i = 0; i < grad.size(); ++i) {
    velocity[i] = momentum * velocity[i] - decay * weight[i] - epsilon * grad[i];
    weight[i] += velocity[i];
  }
}

template void sgd_update(const Tensor<float>&, double, SgdParams, Tensor<float>&, Tensor<float>&);
template void sgd_update(const Tensor<double>&, double, SgdParams, Tensor<double>&, Tensor<double>&);

}  // namespace alexnet::cpu
