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

}  // namespace alexnet::cuda
