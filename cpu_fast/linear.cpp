#include "cpu_fast/linear.hpp"

#include <cblas.h>

#include <stdexcept>

namespace alexnet::fast {
namespace {

// x [N, in], W [out, in]: the three extents, checked.
struct Extents {
  int batch, inputs, outputs;
};

Extents extents(const std::string& op, const TensorF& x, const TensorF& weight) {
  if (x.rank() != 2 || weight.rank() != 2) {
    throw std::invalid_argument(op + ": expected x [N, in] and weight [out, in], got " + to_string(x.shape()) +
                                " and " + to_string(weight.shape()));
  }
  require_shape(op, "weight", {weight.dim(0), x.dim(1)}, weight.shape());
  return {static_cast<int>(x.dim(0)), static_cast<int>(x.dim(1)), static_cast<int>(weight.dim(0))};
}

}  // namespace

TensorF linear_forward(const TensorF& x, const TensorF& weight, const TensorF& bias) {
  const Extents e = extents("fast::linear_forward", x, weight);
  require_shape("fast::linear_forward", "bias", {e.outputs}, bias.shape());
  TensorF y = TensorF::uninitialized({e.batch, e.outputs});  // every row gets the bias, then the product
  for (int n = 0; n < e.batch; ++n) std::copy(bias.values().begin(), bias.values().end(), y.data() + n * e.outputs);
  if (e.batch == 0 || e.outputs == 0) return y;
  // y [N, out] = x [N, in] · Wᵀ [in, out] + y (which holds the bias)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, e.batch, e.outputs, e.inputs, 1.0f, x.data(), e.inputs,
              weight.data(), e.inputs, 1.0f, y.data(), e.outputs);
  return y;
}

cpu::LinearGradients<float> linear_backward(const TensorF& x, const TensorF& weight, const TensorF& grad_y) {
  const Extents e = extents("fast::linear_backward", x, weight);
  require_shape("fast::linear_backward", "grad_y", {e.batch, e.outputs}, grad_y.shape());
  if (e.batch == 0 || e.outputs == 0) {  // nothing flows back: every gradient is zero
    return {TensorF(x.shape()), TensorF(weight.shape()), TensorF({e.outputs})};
  }
  // The two SGEMMs (β = 0) write every element of ∂x and ∂W; ∂b is summed into.
  cpu::LinearGradients<float> grads{TensorF::uninitialized(x.shape()), TensorF::uninitialized(weight.shape()),
                                    TensorF({e.outputs})};
  // ∂x [N, in] = ∂y [N, out] · W [out, in]
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, e.batch, e.inputs, e.outputs, 1.0f, grad_y.data(),
              e.outputs, weight.data(), e.inputs, 0.0f, grads.input.data(), e.inputs);
  // ∂W [out, in] = ∂yᵀ [out, N] · x [N, in]
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, e.outputs, e.inputs, e.batch, 1.0f, grad_y.data(), e.outputs,
              x.data(), e.inputs, 0.0f, grads.weight.data(), e.inputs);
  // ∂b = Σ_n ∂y[n]: each thread sums a slice of the outputs, a vector of them at a time, the rows in order.
  float* grad_bias = grads.bias.data();
#pragma omp parallel for simd schedule(static)
  for (int o = 0; o < e.outputs; ++o) {
    float sum = 0.0f;
    for (int n = 0; n < e.batch; ++n) sum += grad_y.data()[static_cast<std::int64_t>(n) * e.outputs + o];
    grad_bias[o] = sum;
  }
  return grads;
}

}  // namespace alexnet::fast
