#include "cpu_fast/sgd.hpp"

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {

ALEXNET_SIMD_CLONES void sgd_update(const TensorF& grad, double learning_rate, SgdParams params, TensorF& weight,
                                    TensorF& velocity) {
  require_sgd_shapes("fast::sgd_update", grad.shape(), weight.shape(), velocity.shape());
  const auto momentum = static_cast<float>(params.momentum);
  const auto decay = static_cast<float>(params.weight_decay * learning_rate);  // λ·ε
  const auto epsilon = static_cast<float>(learning_rate);
  const float* g = grad.data();
  float* w = weight.data();
  float* v = velocity.data();
#pragma omp parallel for simd schedule(static)
  for (std::int64_t i = 0; i < grad.size(); ++i) {
    v[i] = momentum * v[i] - decay * w[i] - epsilon * g[i];
    w[i] += v[i];
  }
}

}  // namespace alexnet::fast
