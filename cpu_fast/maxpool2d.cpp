#include "cpu_fast/maxpool2d.hpp"

namespace alexnet::fast {

TensorF maxpool2d_forward(const TensorF& x, Pool2dParams params) {
  TensorF y(maxpool2d_output_shape("fast::maxpool2d_forward", x.shape(), params));
  const std::int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  const std::int64_t out_height = y.dim(2), out_width = y.dim(3);
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < planes; ++p) {
    const float* plane = x.data() + p * height * width;
    float* out = y.data() + p * out_height * out_width;
    for (std::int64_t i = 0; i < out_height; ++i) {
      for (std::int64_t j = 0; j < out_width; ++j) {
        out[i * out_width + j] = plane[cpu::window_argmax(plane, width, i * params.stride, j * params.stride, params.kernel)];
      }
    }
  }
  return y;
}

TensorF maxpool2d_backward(const TensorF& x, const TensorF& grad_y, Pool2dParams params) {
  require_shape("fast::maxpool2d_backward", "grad_y",
                maxpool2d_output_shape("fast::maxpool2d_backward", x.shape(), params), grad_y.shape());
  TensorF grad_x(x.shape());
  const std::int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  const std::int64_t out_height = grad_y.dim(2), out_width = grad_y.dim(3);
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < planes; ++p) {  // a plane's windows only reach that plane: no races
    const float* plane = x.data() + p * height * width;
    const float* g = grad_y.data() + p * out_height * out_width;
    float* out = grad_x.data() + p * height * width;
    for (std::int64_t i = 0; i < out_height; ++i) {
      for (std::int64_t j = 0; j < out_width; ++j) {
        out[cpu::window_argmax(plane, width, i * params.stride, j * params.stride, params.kernel)] +=
            g[i * out_width + j];
      }
    }
  }
  return grad_x;
}

}  // namespace alexnet::fast
