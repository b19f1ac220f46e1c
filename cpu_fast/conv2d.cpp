#include "cpu_fast/conv2d.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "cpu_fast/simd.hpp"
#include "cpu_fast/threads.hpp"
#include "cpu_fast/workspace.hpp"

namespace alexnet::fast {
namespace {

// The extents of one convolution, read from the shapes once.
struct Geometry {
  int batch, channels, height, width;          // x: [N, C_in, H, W]
  int out_channels, kernel, out_height, out_width;
  int stride, pad, groups;
  int group_channels() const { return channels / groups; }           // C_in/g
  int group_outputs() const { return out_channels / groups; }        // C_out/g
  int patch() const { return group_channels() * kernel * kernel; }   // rows of col: C_in/g·K·K
  int positions() const { return out_height * out_width; }           // columns of col
};

Geometry geometry(const TensorF& x, const TensorF& weight, const Shape& y, Conv2dParams params) {
  return Geometry{static_cast<int>(x.dim(0)),      static_cast<int>(x.dim(1)), static_cast<int>(x.dim(2)),
                  static_cast<int>(x.dim(3)),      static_cast<int>(weight.dim(0)), static_cast<int>(weight.dim(2)),
                  static_cast<int>(y[2]),          static_cast<int>(y[3]),     params.stride,
                  params.pad,                      params.groups};
}

// col[(c·K + kh)·K + kw][oh·W_out + ow] = x[c, oh·S − P + kh, ow·S − P + kw], 0 in the padding,
// for the C_in/g channels of one image and group at `x` ([C_in/g, H, W]).
ALEXNET_SIMD_CLONES void im2col(const float* x, const Geometry& g, float* col) {
  const int taps = g.kernel * g.kernel;
#pragma omp parallel for schedule(static)
  for (int row = 0; row < g.patch(); ++row) {
    const int c = row / taps, kh = row % taps / g.kernel, kw = row % g.kernel;
    const float* plane = x + static_cast<std::int64_t>(c) * g.height * g.width;
    float* out = col + static_cast<std::int64_t>(row) * g.positions();
    for (int oh = 0; oh < g.out_height; ++oh) {
      float* out_row = out + oh * g.out_width;
      const int ih = oh * g.stride - g.pad + kh;
      if (ih < 0 || ih >= g.height) {
        std::fill(out_row, out_row + g.out_width, 0.0f);
        continue;
      }
      const float* in_row = plane + ih * g.width;
      for (int ow = 0; ow < g.out_width; ++ow) {
        const int iw = ow * g.stride - g.pad + kw;
        out_row[ow] = iw >= 0 && iw < g.width ? in_row[iw] : 0.0f;
      }
    }
  }
}

// The adjoint of im2col: every entry of col is added back to the input element it was copied
// from. One thread per channel, so no two threads add into the same element.
ALEXNET_SIMD_CLONES void col2im(const float* col, const Geometry& g, float* x) {
  const int taps = g.kernel * g.kernel;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < g.group_channels(); ++c) {
    float* plane = x + static_cast<std::int64_t>(c) * g.height * g.width;
    std::fill(plane, plane + g.height * g.width, 0.0f);
    for (int tap = 0; tap < taps; ++tap) {
      const int kh = tap / g.kernel, kw = tap % g.kernel;
      const float* in = col + static_cast<std::int64_t>(c * taps + tap) * g.positions();
      for (int oh = 0; oh < g.out_height; ++oh) {
        const int ih = oh * g.stride - g.pad + kh;
        if (ih < 0 || ih >= g.height) continue;
        float* out_row = plane + ih * g.width;
        for (int ow = 0; ow < g.out_width; ++ow) {
          const int iw = ow * g.stride - g.pad + kw;
          if (iw >= 0 && iw < g.width) out_row[iw] += in[oh * g.out_width + ow];
        }
      }
    }
  }
}

// Offsets of image n, group `group` in x, y and the weights.
std::int64_t x_offset(const Geometry& g, int n, int group) {
  return (static_cast<std::int64_t>(n) * g.channels + group * g.group_channels()) * g.height * g.width;
}
std::int64_t y_offset(const Geometry& g, int n, int group) {
  return (static_cast<std::int64_t>(n) * g.out_channels + group * g.group_outputs()) * g.positions();
}
std::int64_t weight_offset(const Geometry& g, int group) {
  return static_cast<std::int64_t>(group) * g.group_outputs() * g.patch();
}

// y[n] = W · im2col(x[n]) + b, group by group, through the scratch matrix `col`: image n's rows of y get the bias
// first (while they are in cache), then each SGEMM adds its product onto them.
void forward_image(const TensorF& x, const TensorF& weight, const TensorF& bias, const Geometry& g, int n, float* col,
                   TensorF& y) {
  float* y_image = y.data() + y_offset(g, n, 0);
  for (int co = 0; co < g.out_channels; ++co) {
    std::fill_n(y_image + static_cast<std::int64_t>(co) * g.positions(), g.positions(), bias[co]);
  }
  for (int group = 0; group < g.groups; ++group) {
    im2col(x.data() + x_offset(g, n, group), g, col);
    // y_g [C_out/g, HW_out] += W_g [C_out/g, C_in/g·K·K] · col [C_in/g·K·K, HW_out]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g.group_outputs(), g.positions(), g.patch(), 1.0f,
                weight.data() + weight_offset(g, group), g.patch(), col, g.positions(), 1.0f,
                y.data() + y_offset(g, n, group), g.positions());
  }
}

// Image n's part of the backward: grad_weight += ∂y[n] · colᵀ, and ∂x[n] = col2im(Wᵀ · ∂y[n]) unless grad_x is
// null (not asked for).
void backward_image(const TensorF& x, const TensorF& weight, const TensorF& grad_y, const Geometry& g, int n,
                    float* col, float* grad_col, float* grad_weight, TensorF* grad_x) {
  for (int group = 0; group < g.groups; ++group) {
    const float* dy = grad_y.data() + y_offset(g, n, group);
    im2col(x.data() + x_offset(g, n, group), g, col);
    // ∂W_g [C_out/g, C_in/g·K·K] += ∂y_g [C_out/g, HW_out] · colᵀ [HW_out, C_in/g·K·K]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.group_outputs(), g.patch(), g.positions(), 1.0f, dy,
                g.positions(), col, g.positions(), 1.0f, grad_weight + weight_offset(g, group), g.patch());
    if (grad_x == nullptr) continue;
    // ∂col [C_in/g·K·K, HW_out] = W_gᵀ · ∂y_g
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g.patch(), g.positions(), g.group_outputs(), 1.0f,
                weight.data() + weight_offset(g, group), g.patch(), dy, g.positions(), 0.0f, grad_col, g.positions());
    col2im(grad_col, g, grad_x->data() + x_offset(g, n, group));
  }
}

// Many small images (the mini network's): one image per thread, each GEMM on one thread (OpenBLAS
// runs single-threaded inside an OpenMP region), no synchronisation between the small GEMMs. A
// few large images (the paper's at a small batch): one image at a time, every thread in each GEMM.
bool one_image_per_thread(const Geometry& g) { return g.batch >= 2 * threads(); }

}  // namespace

ALEXNET_SIMD_CLONES TensorF conv2d_forward(const TensorF& x, const TensorF& weight, const TensorF& bias, Conv2dParams params) {
  TensorF y = TensorF::uninitialized(cpu::conv2d_output_shape(x.shape(), weight.shape(), bias.shape(), params));
  const Geometry g = geometry(x, weight, y.shape(), params);
  if (y.size() == 0) return y;
  const std::size_t col_size = static_cast<std::size_t>(g.patch()) * g.positions();
  if (one_image_per_thread(g)) {
    float* cols = workspace(0, col_size * static_cast<std::size_t>(threads()));
#pragma omp parallel for schedule(static)
    for (int n = 0; n < g.batch; ++n) forward_image(x, weight, bias, g, n, cols + col_size * omp_get_thread_num(), y);
  } else {
    float* col = workspace(0, col_size);
    for (int n = 0; n < g.batch; ++n) forward_image(x, weight, bias, g, n, col, y);
  }
  return y;
}

ALEXNET_SIMD_CLONES cpu::Conv2dGradients<float> conv2d_backward(const TensorF& x, const TensorF& weight, const TensorF& grad_y,
                                            Conv2dParams params, bool input_gradient) {
  const Shape bias_shape{weight.shape().empty() ? 0 : weight.dim(0)};
  require_shape("fast::conv2d_backward", "grad_y", cpu::conv2d_output_shape(x.shape(), weight.shape(), bias_shape, params),
                grad_y.shape());
  if (grad_y.size() == 0) {  // no output: every gradient is zero
    return {input_gradient ? TensorF(x.shape()) : TensorF(), TensorF(weight.shape()), TensorF(bias_shape)};
  }
  // col2im writes every element of ∂x and the loop at the end every ∂b; ∂W is summed into, so it starts at zero.
  cpu::Conv2dGradients<float> grads{input_gradient ? TensorF::uninitialized(x.shape()) : TensorF(),
                                    TensorF(weight.shape()), TensorF::uninitialized(bias_shape)};
  const Geometry g = geometry(x, weight, grad_y.shape(), params);
  TensorF* grad_x = input_gradient ? &grads.input : nullptr;
  const std::size_t col_size = static_cast<std::size_t>(g.patch()) * g.positions();
  if (one_image_per_thread(g)) {
    // Each thread sums its images' ∂W in a buffer of its own; the buffers are added in thread
    // order afterwards, so the same thread count gives the same bits.
    const auto count = static_cast<std::size_t>(threads());
    const auto weights = static_cast<std::size_t>(weight.size());
    float* cols = workspace(0, 2 * col_size * count);
    float* partial = workspace(1, weights * count);
    std::fill(partial, partial + weights * count, 0.0f);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < g.batch; ++n) {
      const auto me = static_cast<std::size_t>(omp_get_thread_num());
      backward_image(x, weight, grad_y, g, n, cols + 2 * col_size * me, cols + (2 * me + 1) * col_size,
                     partial + weights * me, grad_x);
    }
    for (std::size_t t = 0; t < count; ++t) {
      for (std::size_t i = 0; i < weights; ++i) grads.weight[static_cast<std::int64_t>(i)] += partial[weights * t + i];
    }
  } else {
    float* col = workspace(0, col_size);
    float* grad_col = workspace(1, col_size);
    for (int n = 0; n < g.batch; ++n) backward_image(x, weight, grad_y, g, n, col, grad_col, grads.weight.data(), grad_x);
  }
#pragma omp parallel for schedule(static)
  for (int co = 0; co < g.out_channels; ++co) {
    float sum = 0.0f;
    for (int n = 0; n < g.batch; ++n) {
      const float* dy = grad_y.data() + (static_cast<std::int64_t>(n) * g.out_channels + co) * g.positions();
      for (int p = 0; p < g.positions(); ++p) sum += dy[p];
    }
    grads.bias[co] = sum;
  }
  return grads;
}

}  // namespace alexnet::fast
