/// @file conv_geometry.cuh
/// @brief The extents of a convolution as its kernels read them, shared by the course's kernels (conv2d.cu)
/// and the fast path's (conv2d_gemm.cu). Included by those two files only.
#pragma once

#include "reference_cpu/conv2d.hpp"

namespace alexnet::cuda {

/// @brief The extents every convolution kernel needs, read from the shapes once on the host.
///   x: [batch, in_channels, height, width], weight: [out_channels, in_per_group, kernel, kernel],
///   y: [batch, out_channels, out_height, out_width]
struct ConvGeometry {
  int batch, in_channels, height, width;
  int out_channels, kernel, out_height, out_width;
  int stride, pad, groups, in_per_group, out_per_group;
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

}  // namespace alexnet::cuda
