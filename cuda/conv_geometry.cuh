/// @file conv_geometry.cuh
/// @brief The extents of a convolution as its kernels read them, shared by the course's kernels (conv2d.cu,
/// conv2d_implicit.cu) and the fast path's (conv2d_gemm.cu), and the checks of a backward's arguments. Included
/// by those files only.
#pragma once

#include <string>

#include "cuda/context.cuh"
#include "cuda/device_tensor.cuh"
#include "reference_cpu/conv2d.hpp"

namespace alexnet::cuda {

/// @brief The extents every convolution kernel needs, read from the shapes once on the host.
///   x: [batch, in_channels, height, width], weight: [out_channels, in_per_group, kernel, kernel],
///   y: [batch, out_channels, out_height, out_width]
struct ConvGeometry {
  int batch;          ///< N
  int in_channels;    ///< C_in
  int height;         ///< H of the input
  int width;          ///< W of the input
  int out_channels;   ///< C_out
  int kernel;         ///< K: the kernel's side
  int out_height;     ///< H_out
  int out_width;      ///< W_out
  int stride;         ///< S
  int pad;            ///< P: zeros around the input
  int groups;         ///< g
  int in_per_group;   ///< C_in/g
  int out_per_group;  ///< C_out/g
};

/// @brief The geometry of x convolved with weight under params (y's shape follows from them).
inline ConvGeometry conv_geometry(const Shape& x, const Shape& weight, Conv2dParams params) {
  const Shape y = cpu::conv2d_output_shape(x, weight, {weight[0]}, params);
  ConvGeometry g{};
  g.batch = static_cast<int>(x[0]);
  g.in_channels = static_cast<int>(x[1]);
  g.height = static_cast<int>(x[2]);
  g.width = static_cast<int>(x[3]);
  g.out_channels = static_cast<int>(weight[0]);
  g.kernel = static_cast<int>(weight[2]);
  g.out_height = static_cast<int>(y[2]);
  g.out_width = static_cast<int>(y[3]);
  g.stride = params.stride;
  g.pad = params.pad;
  g.groups = params.groups;
  g.in_per_group = g.in_channels / g.groups;
  g.out_per_group = g.out_channels / g.groups;
  return g;
}

/// @brief The checks of a convolution backward that takes a workspace: grad_y of the forward's output shape,
/// grad_x (unless nullptr), grad_weight and grad_bias of the shapes of x, weight and its bias, every tensor on
/// context.device — then that device made current until the returned scope ends. Throws std::invalid_argument
/// naming `op` and what differs.
inline ScopedDevice check_conv_backward(const Context& context, const std::string& op, const DeviceTensorF& x,
                                        const DeviceTensorF& weight, const DeviceTensorF& grad_y, Conv2dParams params,
                                        const DeviceTensorF* grad_x, const DeviceTensorF& grad_weight,
                                        const DeviceTensorF& grad_bias, const DeviceTensorF& workspace) {
  const Shape bias_shape{weight.dim(0)};
  require_shape(op, "grad_y", cpu::conv2d_output_shape(x.shape(), weight.shape(), bias_shape, params),
                grad_y.shape());
  if (grad_x != nullptr) require_shape(op, "grad_x", x.shape(), grad_x->shape());
  require_shape(op, "grad_weight", weight.shape(), grad_weight.shape());
  require_shape(op, "grad_bias", bias_shape, grad_bias.shape());
  if (grad_x != nullptr) require_on_device(context, op, {{"grad_x", *grad_x}});
  return use_device(context, op,
                    {{"x", x}, {"weight", weight}, {"grad_y", grad_y}, {"grad_weight", grad_weight},
                     {"grad_bias", grad_bias}, {"workspace", workspace}});
}

}  // namespace alexnet::cuda
