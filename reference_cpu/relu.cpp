#include "reference_cpu/relu.hpp"

namespace alexnet::cpu {

template <typename T>
Tensor<T> relu_forward(const Tensor<T>& x) {
  Tensor<T> y(x.shape());
  for (std::int64_t i = 0; i < x.size(); ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
  return y;
}

template <typename T>
Tensor<T> relu_backward(const Tensor<T>& x, const Tensor<T>& grad_y) {
  require_shape("relu_backward", "grad_y", x.shape(), grad_y.shape());
  Tensor<T> grad_x(x.shape());
  for (std::int64_t i = 0; i < x.size(); ++i) grad_x[i] = x[i] > T(0) ? grad_y[i] : T(0);
  return grad_x;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> relu_forward(const Tensor<float>&);
template Tensor<double> relu_forward(const Tensor<double>&);
template Tensor<float> relu_backward(const Tensor<float>&, const Tensor<float>&);
template Tensor<double> relu_backward(const Tensor<double>&, const Tensor<double>&);

}  // namespace alexnet::cpu
