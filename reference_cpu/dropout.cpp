#include "reference_cpu/dropout.hpp"

#include <stdexcept>

namespace alexnet {

void check_dropout_params(const std::string& op, const DropoutParams& params) {
  if (!(params.p >= 0.0 && params.p < 1.0)) {
    throw std::invalid_argument(op + ": expected a drop probability 0 <= p < 1, got " + std::to_string(params.p));
  }
}

}  // namespace alexnet

namespace alexnet::cpu {
namespace {

// Training: v[i]·scale where unit i is kept, else 0. Forward and backward are the
// same map: the layer is diagonal, each output reads only its own input.
template <typename T>
Tensor<T> apply_dropout_mask(const std::string& op, const Tensor<T>& v, const DropoutParams& params) {
  check_dropout_params(op, params);
  if (!params.training) return v;
  const T scale = static_cast<T>(dropout_scale(params));
  Tensor<T> out(v.shape());
  for (std::int64_t i = 0; i < v.size(); ++i) {
    out[i] = dropout_keeps(params, static_cast<std::uint64_t>(i)) ? v[i] * scale : T(0);
  }
  return out;
}

}  // namespace

template <typename T>
Tensor<T> dropout_forward(const Tensor<T>& x, const DropoutParams& params) {
  return apply_dropout_mask("dropout_forward", x, params);
}

template <typename T>
Tensor<T> dropout_backward(const Tensor<T>& grad_y, const DropoutParams& params) {
  return apply_dropout_mask("dropout_backward", grad_y, params);
}

template Tensor<float> dropout_forward(const Tensor<float>&, const DropoutParams&);
template Tensor<double> dropout_forward(const Tensor<double>&, const DropoutParams&);
template Tensor<float> dropout_backward(const Tensor<float>&, const DropoutParams&);
template Tensor<double> dropout_backward(const Tensor<double>&, const DropoutParams&);

}  // namespace alexnet::cpu
