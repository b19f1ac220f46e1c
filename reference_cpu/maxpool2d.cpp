#include "reference_cpu/maxpool2d.hpp"

#include <cmath>
#include <stdexcept>

namespace alexnet {

Shape maxpool2d_output_shape(const std::string& op, const Shape& x, Pool2dParams params) {
  if (params.kernel < 1 || params.stride < 1) {
    throw std::invalid_argument(op + ": expected kernel >= 1 and stride >= 1, got kernel " +
                                std::to_string(params.kernel) + ", stride " + std::to_string(params.stride));
  }
  if (x.size() != 4 || x[2] < params.kernel || x[3] < params.kernel) {
    throw std::invalid_argument(op + ": expected x [N, C, H, W] with H, W >= kernel " +
                                std::to_string(params.kernel) + ", got " + to_string(x));
  }
  return {x[0], x[1], window_output_size(static_cast<int>(x[2]), params.kernel, params.stride, 0),
          window_output_size(static_cast<int>(x[3]), params.kernel, params.stride, 0)};
}

namespace cpu {

// x: [N, C, H, W] -> y: [N, C, H_out, W_out]
template <typename T>
Tensor<T> maxpool2d_forward(const Tensor<T>& x, Pool2dParams params) {
  Tensor<T> y(maxpool2d_output_shape("maxpool2d_forward", x.shape(), params));
  const std::int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  const std::int64_t out_height = y.dim(2), out_width = y.dim(3);
  for (std::int64_t p = 0; p < planes; ++p) {
    const T* plane = x.data() + p * height * width;
    for (std::int64_t i = 0; i < out_height; ++i) {
      for (std::int64_t j = 0; j < out_width; ++j) {
        y[(p * out_height + i) * out_width + j] =
            plane[window_argmax(plane, width, i * params.stride, j * params.stride, params.kernel)];
      }
    }
  }
  return y;
}

// x: [N, C, H, W], grad_y: [N, C, H_out, W_out] -> grad_x: [N, C, H, W]
template <typename T>
Tensor<T> maxpool2d_backward(const Tensor<T>& x, const Tensor<T>& grad_y, Pool2dParams params) {
  require_shape("maxpool2d_backward", "grad_y", maxpool2d_output_shape("maxpool2d_backward", x.shape(), params),
                grad_y.shape());
  Tensor<T> grad_x(x.shape());
  const std::int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  const std::int64_t out_height = grad_y.dim(2), out_width = grad_y.dim(3);
  for (std::int64_t p = 0; p < planes; ++p) {
    const T* plane = x.data() + p * height * width;
    T* grad_plane = grad_x.data() + p * height * width;
    for (std::int64_t i = 0; i < out_height; ++i) {
      for (std::int64_t j = 0; j < out_width; ++j) {
        grad_plane[window_argmax(plane, width, i * params.stride, j * params.stride, params.kernel)] +=
            grad_y[(p * out_height + i) * out_width + j];
      }
    }
  }
  return grad_x;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> maxpool2d_forward(const Tensor<float>&, Pool2dParams);
template Tensor<double> maxpool2d_forward(const Tensor<double>&, Pool2dParams);
template Tensor<float> maxpool2d_backward(const Tensor<float>&, const Tensor<float>&, Pool2dParams);
template Tensor<double> maxpool2d_backward(const Tensor<double>&, const Tensor<double>&, Pool2dParams);

}  // namespace cpu
}  // namespace alexnet
