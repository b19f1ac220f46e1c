#include "cpu_fast/relu.hpp"

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {

ALEXNET_SIMD_CLONES TensorF relu_forward(const TensorF& x) {
  TensorF y = TensorF::uninitialized(x.shape());
  const float* in = x.data();
  float* out = y.data();
#pragma omp parallel for simd schedule(static)
  for (std::int64_t i = 0; i < x.size(); ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
  return y;
}

ALEXNET_SIMD_CLONES TensorF relu_backward(const TensorF& x, TensorF grad_y) {
  require_shape("fast::relu_backward", "grad_y", x.shape(), grad_y.shape());
  const float* in = x.data();
  float* g = grad_y.data();  // ∂L/∂x overwrites ∂L/∂y in place
#pragma omp parallel for simd schedule(static)
  for (std::int64_t i = 0; i < x.size(); ++i) g[i] = in[i] > 0.0f ? g[i] : 0.0f;
  return grad_y;
}

}  // namespace alexnet::fast
