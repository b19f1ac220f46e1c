#include "reference_cpu/flatten.hpp"

#include <stdexcept>

namespace alexnet::cpu {

Shape flattened_shape(const std::string& op, const Shape& input_shape) {
  if (input_shape.size() != 4) {
    throw std::invalid_argument(op + ": expected an input [N, C, H, W], got " + to_string(input_shape));
  }
  return {input_shape[0], input_shape[1] * input_shape[2] * input_shape[3]};
}

template <typename T>
Tensor<T> flatten_forward(const Tensor<T>& x) {
  // x: [N, C, H, W] -> y: [N, C·H·W]
  Tensor<T> y(flattened_shape("flatten_forward", x.shape()));
  const std::int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  for (std::int64_t n = 0; n < x.dim(0); ++n)
    for (std::int64_t c = 0; c < channels; ++c)
      for (std::int64_t h = 0; h < height; ++h)
        for (std::int64_t w = 0; w < width; ++w) y.at(n, (c * height + h) * width + w) = x.at(n, c, h, w);
  return y;
}

template <typename T>
Tensor<T> flatten_backward(const Tensor<T>& grad_y, const Shape& input_shape) {
  // grad_y: [N, C·H·W] -> grad_x: [N, C, H, W]; each input fed exactly one output.
  require_shape("flatten_backward", "grad_y", flattened_shape("flatten_backward", input_shape), grad_y.shape());
  Tensor<T> grad_x(input_shape);
  const std::int64_t channels = input_shape[1], height = input_shape[2], width = input_shape[3];
  for (std::int64_t n = 0; n < input_shape[0]; ++n)
    for (std::int64_t c = 0; c < channels; ++c)
      for (std::int64_t h = 0; h < height; ++h)
        for (std::int64_t w = 0; w < width; ++w)
          grad_x.at(n, c, h, w) = grad_y.at(n, (c * height + h) * width + w);
  return grad_x;
}

template Tensor<float> flatten_forward(const Tensor<float>&);
template Tensor<double> flatten_forward(const Tensor<double>&);
template Tensor<float> flatten_backward(const Tensor<float>&, const Shape&);
template Tensor<double> flatten_backward(const Tensor<double>&, const Shape&);

}  // namespace alexnet::cpu
