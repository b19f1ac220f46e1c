#include "reference_cpu/conv2d.hpp"

#include <stdexcept>
#include <string>

namespace alexnet::cpu {
namespace {

// One multiply-add of the convolution: output y[n, co, oh, ow] meets
// weight[co, ci, kh, kw] and input x[n, c, ih, iw], c = group·C_in/groups + ci.
// The tap holds the three elements' flat (row-major) indices.
struct Tap {
  std::int64_t y, weight, x;
};

// Row-major flat index of element (a, b, c, d) of an [A, B, C, D] tensor (A not needed).
std::int64_t flat(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d, std::int64_t extent_b,
                  std::int64_t extent_c, std::int64_t extent_d) {
  return ((a * extent_b + b) * extent_c + c) * extent_d + d;
}

// Calls visit(tap) for every multiply-add, in the order n, co, oh, ow, ci, kh, kw.
// Taps that land in the zero padding are skipped: they would add 0.
//   x: [N, C_in, H, W], weight: [C_out, C_in/groups, K, K], y: [N, C_out, H_out, W_out]
template <typename Visit>
void for_each_tap(const Shape& x, const Shape& weight, const Shape& y, Conv2dParams params, Visit&& visit) {
  const std::int64_t batch = x[0], in_channels = x[1], height = x[2], width = x[3];
  const std::int64_t out_channels = weight[0], in_per_group = weight[1], kernel = weight[2];
  const std::int64_t out_per_group = out_channels / params.groups, out_height = y[2], out_width = y[3];
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t co = 0; co < out_channels; ++co) {
      const std::int64_t first_input_channel = co / out_per_group * in_per_group;
      for (std::int64_t oh = 0; oh < out_height; ++oh)
        for (std::int64_t ow = 0; ow < out_width; ++ow) {
          const std::int64_t y_at = flat(n, co, oh, ow, out_channels, out_height, out_width);
          for (std::int64_t ci = 0; ci < in_per_group; ++ci)
            for (std::int64_t kh = 0; kh < kernel; ++kh) {
              const std::int64_t ih = oh * params.stride - params.pad + kh;
              if (ih < 0 || ih >= height) continue;
              for (std::int64_t kw = 0; kw < kernel; ++kw) {
                const std::int64_t iw = ow * params.stride - params.pad + kw;
                if (iw < 0 || iw >= width) continue;
                visit(Tap{y_at, flat(co, ci, kh, kw, in_per_group, kernel, kernel),
                          flat(n, first_input_channel + ci, ih, iw, in_channels, height, width)});
              }
            }
        }
    }
}

}  // namespace

Shape conv2d_output_shape(const Shape& x, const Shape& weight, const Shape& bias, Conv2dParams params) {
  const int stride = params.stride, pad = params.pad, groups = params.groups;
  if (stride < 1 || pad < 0 || groups < 1) {
    throw std::invalid_argument("conv2d: expected stride >= 1, pad >= 0, groups >= 1, got stride " +
                                std::to_string(stride) + ", pad " + std::to_string(pad) + ", groups " +
                                std::to_string(groups));
  }
  if (x.size() != 4) {
    throw std::invalid_argument("conv2d: expected x of rank 4 [N, C_in, H, W], got " + to_string(x));
  }
  if (weight.size() != 4) {
    throw std::invalid_argument("conv2d: expected weight of rank 4 [C_out, C_in/groups, K, K], got " +
                                to_string(weight));
  }
  const std::int64_t in_channels = x[1], height = x[2], width = x[3];
  const std::int64_t out_channels = weight[0], kernel = weight[2];
  if (in_channels % groups != 0 || out_channels % groups != 0) {
    throw std::invalid_argument("conv2d: expected input and output channels divisible by groups = " +
                                std::to_string(groups) + ", got " + std::to_string(in_channels) + " -> " +
                                std::to_string(out_channels));
  }
  require_shape("conv2d", "weight", {out_channels, in_channels / groups, kernel, kernel}, weight);
  require_shape("conv2d", "bias", {out_channels}, bias);
  if (kernel < 1 || height + 2 * pad < kernel || width + 2 * pad < kernel) {
    throw std::invalid_argument("conv2d: expected a " + std::to_string(kernel) + "x" + std::to_string(kernel) +
                                " kernel to fit in the input padded by " + std::to_string(pad) + ", got x " +
                                to_string(x));
  }
  return {x[0], out_channels, (height + 2 * pad - kernel) / stride + 1, (width + 2 * pad - kernel) / stride + 1};
}

template <typename T>
Tensor<T> conv2d_forward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias, Conv2dParams params) {
  // x: [N, C_in, H, W], weight: [C_out, C_in/groups, K, K], bias: [C_out] -> y: [N, C_out, H_out, W_out]
  Tensor<T> y(conv2d_output_shape(x.shape(), weight.shape(), bias.shape(), params));
  const std::int64_t out_channels = y.dim(1), plane = y.dim(2) * y.dim(3);
  for (std::int64_t i = 0; i < y.size(); ++i) y[i] = bias[i / plane % out_channels];
  for_each_tap(x.shape(), weight.shape(), y.shape(), params,
               [&](const Tap& t) { y[t.y] += x[t.x] * weight[t.weight]; });
  return y;
}

template <typename T>
Conv2dGradients<T> conv2d_backward(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& grad_y,
                                   Conv2dParams params) {
  // The bias has one entry per output channel: [C_out] (C_out = weight's first extent).
  const Shape bias_shape{weight.shape().empty() ? 0 : weight.shape()[0]};
  require_shape("conv2d_backward", "grad_y", conv2d_output_shape(x.shape(), weight.shape(), bias_shape, params),
                grad_y.shape());
  Conv2dGradients<T> grad{Tensor<T>(x.shape()), Tensor<T>(weight.shape()), Tensor<T>(bias_shape)};
  // Every multiply-add y += x·w sends grad_y·w back to x and grad_y·x back to w.
  for_each_tap(x.shape(), weight.shape(), grad_y.shape(), params, [&](const Tap& t) {
    grad.input[t.x] += grad_y[t.y] * weight[t.weight];
    grad.weight[t.weight] += grad_y[t.y] * x[t.x];
  });
  // y = ... + bias[co] at every (n, oh, ow): the bias gathers all of them.
  const std::int64_t out_channels = grad_y.dim(1), plane = grad_y.dim(2) * grad_y.dim(3);
  for (std::int64_t i = 0; i < grad_y.size(); ++i) grad.bias[i / plane % out_channels] += grad_y[i];
  return grad;
}

// float for the network and CUDA comparisons, double for gradient checks.
template Tensor<float> conv2d_forward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&, Conv2dParams);
template Tensor<double> conv2d_forward(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                                       Conv2dParams);
template Conv2dGradients<float> conv2d_backward(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                                                Conv2dParams);
template Conv2dGradients<double> conv2d_backward(const Tensor<double>&, const Tensor<double>&,
                                                 const Tensor<double>&, Conv2dParams);

}  // namespace alexnet::cpu
