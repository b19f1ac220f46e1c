#include "reference_cpu/linear.hpp"

#include <stdexcept>

#include "reference_cpu/random.hpp"

namespace alexnet::cpu {
namespace {

// x: [N, in], weight: [out, in], bias: [out]
template <typename T>
void check_linear_shapes(const std::string& op, const Tensor<T>& x, const Tensor<T>& weight) {
  if (x.rank() != 2 || weight.rank() != 2) {
    throw std::invalid_argument(op + ": expected x [N, in] and weight [out, in], got " + to_string(x.shape()) +
                                " and " + to_string(weight.shape()));
  }
  require_shape(op, "weight", {weight.dim(0), x.dim(1)}, weight.shape());
}

}  // namespace

template <typename T>
Tensor<T> linear_forward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias) {
  check_linear_shapes("linear_forward", x, weight);
  const std::int64_t batch = x.dim(0), inputs = x.dim(1), outputs = weight.dim(0);
  require_shape("linear_forward", "bias", {outputs}, bias.shape());
  Tensor<T> y({batch, outputs});
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t o = 0; o < outputs; ++o) {
      T sum = bias[o];
      for (std::int64_t i = 0; i < inputs; ++i) sum += weight.at(o, i) * x.at(n, i);
      y.at(n, o) = sum;
    }
  }
  return y;
}

template <typename T>
LinearGradients<T> linear_backward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& grad_y) {
  check_linear_shapes("linear_backward", x, weight);
  const std::int64_t batch = x.dim(0), inputs = x.dim(1), outputs = weight.dim(0);
  require_shape("linear_backward", "grad_y", {batch, outputs}, grad_y.shape());
  LinearGradients<T> grad{Tensor<T>(x.shape()), Tensor<T>(weight.shape()), Tensor<T>({outputs})};
  // Every product W[o, i]·x[n, i] of the forward pass sends grad_y[n, o] back
  // to both of its factors; the bias received grad_y[n, o] once per image.
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t o = 0; o < outputs; ++o) {
      const T g = grad_y.at(n, o);
      grad.bias[o] += g;
      for (std::int64_t i = 0; i < inputs; ++i) {
        grad.input.at(n, i) += g * weight.at(o, i);
        grad.weight.at(o, i) += g * x.at(n, i);
      }
    }
  }
  return grad;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> linear_forward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&);
template Tensor<double> linear_forward(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&);
template LinearGradients<float> linear_backward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&);
template LinearGradients<double> linear_backward(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&);

}  // namespace alexnet::cpu
