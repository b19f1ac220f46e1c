#include "cpu_fast/maxpool2d.hpp"

#include <algorithm>
#include <vector>

#include "cpu_fast/simd.hpp"

namespace alexnet::fast {

namespace {

// max(a, b) that keeps a NaN from either side, as the reference's arg-max does (its value is NaN).
inline float max_keeping_nan(float a, float b) { return (a > b || a != a) ? a : b; }

}  // namespace

// A window's max is a max of column maxima: first each row's K-wide maxima at stride S (`rows`,
// [H, W_out]), then the K-tall maxima of those. 2·K instead of K² reads per output, and both passes
// are plain loops over contiguous values that vectorise. The value equals the reference's
// plane[window_argmax(...)]: the largest value, or NaN when the window holds one.
ALEXNET_SIMD_CLONES TensorF maxpool2d_forward(const TensorF& x, Pool2dParams params) {
  TensorF y(maxpool2d_output_shape("fast::maxpool2d_forward", x.shape(), params));
  const std::int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  const std::int64_t out_height = y.dim(2), out_width = y.dim(3);
  const int k = params.kernel, stride = params.stride;
#pragma omp parallel
  {
    std::vector<float> rows(static_cast<std::size_t>(height * out_width));
#pragma omp for schedule(static)
    for (std::int64_t p = 0; p < planes; ++p) {
      const float* plane = x.data() + p * height * width;
      for (std::int64_t h = 0; h < height; ++h) {
        const float* in = plane + h * width;
        float* row = rows.data() + h * out_width;
        for (std::int64_t j = 0; j < out_width; ++j) row[j] = in[j * stride];
        for (int dw = 1; dw < k; ++dw) {
          for (std::int64_t j = 0; j < out_width; ++j) row[j] = max_keeping_nan(in[j * stride + dw], row[j]);
        }
      }
      float* out = y.data() + p * out_height * out_width;
      for (std::int64_t i = 0; i < out_height; ++i) {
        float* out_row = out + i * out_width;
        const float* first = rows.data() + i * stride * out_width;
        std::copy(first, first + out_width, out_row);
        for (int dh = 1; dh < k; ++dh) {
          const float* row = first + dh * out_width;
          for (std::int64_t j = 0; j < out_width; ++j) out_row[j] = max_keeping_nan(row[j], out_row[j]);
        }
      }
    }
  }
  return y;
}

// Each window's gradient goes to its arg-max, found by the reference's own scan (cpu::window_argmax: the first
// NaN, else the first maximum). Finding it from the maxima instead — one comparison per window position for a
// row of windows at once — measured slower on the course's machine: its strided loads do not vectorise.
ALEXNET_SIMD_CLONES TensorF maxpool2d_backward(const TensorF& x, const TensorF& grad_y, Pool2dParams params) {
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
