#include "cuda/conv2d_implicit.cuh"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "cuda/conv_geometry.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/gemm_tiles.cuh"
#include "cuda/launch.cuh"

// Three kernels, one per product of conv2d_implicit.cuh, each the ladder's step 8 (gemm_tiles.cuh) with its own
// loaders: what changes from a matrix product to a convolution is only where a tile's values come from and where
// its sums go. A loader works out once per thread what its row or columns are (an image, a window's corner) and
// per slice only the term k: channel, kernel row and kernel column.

namespace alexnet::cuda {
namespace {

using namespace tiles;

// The extents of one convolution as the kernels read them, from the shapes on the host.
struct Implicit : ConvGeometry {
  int taps;     // k·k: a kernel's values per channel
  int window;   // K = C_in/g·k·k: the terms of one output
  int outputs;  // P = H_out·W_out: an output plane
  int plane;    // H·W: an input plane
};

Implicit implicit_geometry(const Shape& x, const Shape& weight, Conv2dParams params, const std::string& op) {
  Implicit g{conv_geometry(x, weight, params), 0, 0, 0, 0};
  g.taps = g.kernel * g.kernel;
  g.window = g.in_per_group * g.taps;
  g.outputs = g.out_height * g.out_width;
  g.plane = g.height * g.width;
  // Columns (an image's outputs or inputs across the batch) and a filter's terms are counted in int.
  const std::int64_t widest = static_cast<std::int64_t>(g.batch) * std::max(g.outputs, g.plane);
  if (widest > INT_MAX || static_cast<std::int64_t>(g.out_per_group) * g.taps > INT_MAX) {
    throw std::invalid_argument(op + ": expected at most " + std::to_string(INT_MAX) + " columns, got x " +
                                to_string(x));
  }
  return g;
}

__device__ Float4 as_float4(const float (&v)[4]) { return Float4{v[0], v[1], v[2], v[3]}; }

// ---- Forward: Y_g [C_out/g, N·P] = W_g [C_out/g, K] · col [K, N·P] ------------------------------------------

// B of the forward: im2col's columns, gathered from x. Column (n, oh, ow) holds the window of output (oh, ow) of
// image n; its row k = (c, kh, kw) the value at (oh·S − pad + kh, ow·S − pad + kw) of channel c of the group.
struct ImageColumns {
  const float* x;
  int taps, kernel, plane, height, width, window;
  std::int64_t image[4];  // offset of x[n, group's first channel] of each column; −1 past the last column
  int top[4], left[4];    // the window's corner: oh·S − pad, ow·S − pad

  __device__ ImageColumns(const Implicit& g, const float* x_values, int group, int first_column)
      : x(x_values), taps(g.taps), kernel(g.kernel), plane(g.plane), height(g.height), width(g.width),
        window(g.window) {
    for (int j = 0; j < 4; ++j) {
      const int column = first_column + j;
      const int n = column / g.outputs, oh = column % g.outputs / g.out_width, ow = column % g.out_width;
      image[j] = column < g.batch * g.outputs
                     ? (static_cast<std::int64_t>(n) * g.in_channels + group * g.in_per_group) * g.plane
                     : -1;
      top[j] = oh * g.stride - g.pad;
      left[j] = ow * g.stride - g.pad;
    }
  }

  __device__ Float4 four(int k) const {
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (k >= window) return as_float4(v);
    const int c = k / taps, kh = k % taps / kernel, kw = k % kernel;
    for (int j = 0; j < 4; ++j) {
      const int h = top[j] + kh, w = left[j] + kw;
      if (image[j] >= 0 && h >= 0 && h < height && w >= 0 && w < width) v[j] = x[image[j] + c * plane + h * width + w];
    }
    return as_float4(v);
  }
};

// Block (x, y, z): columns 128·x…, filters 128·y… of group z.
__global__ void forward_kernel(Implicit g, const float* x, const float* weight, const float* bias, float* y,
                               bool vector_weights) {
  __shared__ float a_tiles[2][kSlice][kTile];
  __shared__ float b_tiles[2][kSlice][kTile];
  const int group = blockIdx.z, row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const Operand filters{weight + static_cast<std::size_t>(group) * g.out_per_group * g.window, g.out_per_group,
                        g.window, false};
  float sum[kPerThread][kPerThread] = {};
  double_buffered_slices(RowLoader{filters, row0 + a_load_row(), vector_weights},
                         ImageColumns(g, x, group, col0 + b_load_col()), 0, g.window, a_tiles, b_tiles, sum);
  store_outputs(row0, col0, sum, [&](int filter, int column, float value) {
    if (filter >= g.out_per_group || column >= g.batch * g.outputs) return;
    const int n = column / g.outputs, p = column % g.outputs, channel = group * g.out_per_group + filter;
    y[(static_cast<std::size_t>(n) * g.out_channels + channel) * g.outputs + p] = value + bias[channel];
  });
}

// ---- ∂x: ∂x_g [C_in/g, N·H·W] = W_g read as [C_in/g, C_out/g·k·k] · ∂y gathered as [C_out/g·k·k, N·H·W] ------

// A of ∂x: row c (an input channel of the group), term (co, kh, kw): weight[group's filter co, c, kh, kw].
struct FiltersByChannel {
  const float* filters;  // the group's first filter
  int channel, in_per_group, taps, terms;  // terms = C_out/g·k·k

  __device__ Float4 four(int k) const {
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int j = 0; j < 4; ++j) {
      const int term = k + j;
      if (channel >= in_per_group || term >= terms) continue;
      const int co = term / taps;
      v[j] = filters[(static_cast<std::size_t>(co) * in_per_group + channel) * taps + term % taps];
    }
    return as_float4(v);
  }
};

// B of ∂x: column (n, ih, iw), term (co, kh, kw): ∂y[n, co, oh, ow] of the output whose window put kernel value
// (kh, kw) on input (ih, iw) — oh·S = ih + pad − kh — or 0 when no window did.
struct OutputGradientColumns {
  const float* grad_y;
  int taps, kernel, stride, out_height, out_width, outputs, terms;
  std::int64_t image[4];  // offset of ∂y[n, group's first channel] of each column; −1 past the last column
  int down[4], across[4];  // ih + pad, iw + pad

  __device__ OutputGradientColumns(const Implicit& g, const float* grad_y_values, int group, int first_column)
      : grad_y(grad_y_values), taps(g.taps), kernel(g.kernel), stride(g.stride), out_height(g.out_height),
        out_width(g.out_width), outputs(g.outputs), terms(g.out_per_group * g.taps) {
    for (int j = 0; j < 4; ++j) {
      const int column = first_column + j;
      const int n = column / g.plane, ih = column % g.plane / g.width, iw = column % g.width;
      image[j] = column < g.batch * g.plane
                     ? (static_cast<std::int64_t>(n) * g.out_channels + group * g.out_per_group) * g.outputs
                     : -1;
      down[j] = ih + g.pad;
      across[j] = iw + g.pad;
    }
  }

  __device__ Float4 four(int k) const {
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (k >= terms) return as_float4(v);
    const int co = k / taps, kh = k % taps / kernel, kw = k % kernel;
    for (int j = 0; j < 4; ++j) {
      const int top = down[j] - kh, left = across[j] - kw;  // oh·S and ow·S, if the window exists
      if (image[j] < 0 || top < 0 || left < 0 || top % stride != 0 || left % stride != 0) continue;
      const int oh = top / stride, ow = left / stride;
      if (oh < out_height && ow < out_width) v[j] = grad_y[image[j] + co * outputs + oh * out_width + ow];
    }
    return as_float4(v);
  }
};

// Block (x, y, z): input positions 128·x…, input channels 128·y… of group z.
__global__ void input_gradient_kernel(Implicit g, const float* weight, const float* grad_y, float* grad_x,
                                      bool accumulate) {
  __shared__ float a_tiles[2][kSlice][kTile];
  __shared__ float b_tiles[2][kSlice][kTile];
  const int group = blockIdx.z, row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int terms = g.out_per_group * g.taps;
  const FiltersByChannel filters{weight + static_cast<std::size_t>(group) * g.out_per_group * g.window,
                                 row0 + a_load_row(), g.in_per_group, g.taps, terms};
  float sum[kPerThread][kPerThread] = {};
  double_buffered_slices(filters, OutputGradientColumns(g, grad_y, group, col0 + b_load_col()), 0, terms, a_tiles,
                         b_tiles, sum);
  store_outputs(row0, col0, sum, [&](int channel, int column, float value) {
    if (channel >= g.in_per_group || column >= g.batch * g.plane) return;
    const int n = column / g.plane, q = column % g.plane;
    float& out = grad_x[(static_cast<std::size_t>(n) * g.in_channels + group * g.in_per_group + channel) * g.plane + q];
    out = accumulate ? out + value : value;
  });
}

// ---- ∂W and ∂b: [C_out/g, K + 1] = ∂Y_g [C_out/g, N·P] · [colᵀ | 1] [N·P, K + 1], in split pieces --------------

// A of ∂W: row co (a filter of the group), reduction index r = (n, p): ∂y[n, co, p].
struct OutputGradientRows {
  const float* grad_y;
  std::int64_t row_offset;  // offset of ∂y[0, co]; −1 past the group's filters
  std::int64_t image_stride;  // C_out·P: from one image to the next
  int outputs, positions;   // P, N·P

  __device__ Float4 four(int r) const {
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int n = r / outputs, p = r % outputs;
    for (int j = 0; j < 4; ++j) {
      if (row_offset >= 0 && r + j < positions) v[j] = grad_y[row_offset + n * image_stride + p];
      if (++p == outputs) p = 0, ++n;
    }
    return as_float4(v);
  }
};

// B of ∂W: row r = (n, oh, ow), column k = (c, kh, kw) of the window — the value im2col would have put at col[k, r]
// — or, in column K, a 1, so that the same product sums ∂y for ∂b.
struct WindowRows {
  const float* x;
  int outputs, out_width, stride, pad, height, width, positions;
  std::int64_t image_stride, group_offset;  // C_in·H·W; group's first channel · H·W
  int channel_offset[4];  // c·H·W of each column; −1: the column of ones; −2: past it
  int kh[4], kw[4];

  __device__ WindowRows(const Implicit& g, const float* x_values, int group, int first_column)
      : x(x_values), outputs(g.outputs), out_width(g.out_width), stride(g.stride), pad(g.pad), height(g.height),
        width(g.width), positions(g.batch * g.outputs),
        image_stride(static_cast<std::int64_t>(g.in_channels) * g.plane),
        group_offset(static_cast<std::int64_t>(group) * g.in_per_group * g.plane) {
    for (int j = 0; j < 4; ++j) {
      const int k = first_column + j;
      channel_offset[j] = k < g.window ? k / g.taps * g.plane : (k == g.window ? -1 : -2);
      kh[j] = k % g.taps / g.kernel;
      kw[j] = k % g.kernel;
    }
  }

  __device__ Float4 four(int r) const {
    float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (r >= positions) return as_float4(v);
    const int n = r / outputs, p = r % outputs;
    const int top = p / out_width * stride - pad, left = p % out_width * stride - pad;
    for (int j = 0; j < 4; ++j) {
      if (channel_offset[j] == -1) v[j] = 1.0f;
      if (channel_offset[j] < 0) continue;
      const int h = top + kh[j], w = left + kw[j];
      if (h >= 0 && h < height && w >= 0 && w < width)
        v[j] = x[n * image_stride + group_offset + channel_offset[j] + h * width + w];
    }
    return as_float4(v);
  }
};

// How ∂W's reduction over the N·P outputs is cut: `count` pieces of `rows` (a multiple of the slice) each.
struct Split {
  int count, rows;
};

// Enough blocks to fill a large GPU a few times over (the product alone may have only a few tiles: CONV1's
// [96, 364] is 3), with at least 32 slices of the reduction per block. The cut depends on the shapes alone, so a
// result is the same on every GPU.
Split weight_split(const Implicit& g) {
  constexpr int kTargetBlocks = 512, kLeastSlices = 32;
  const int tiles = (g.out_per_group + kTile - 1) / kTile * ((g.window + 1 + kTile - 1) / kTile) * g.groups;
  const int positions = g.batch * g.outputs;
  const int most = std::max(1, positions / (kSlice * kLeastSlices));
  const int wanted = std::clamp((kTargetBlocks + tiles - 1) / tiles, 1, most);
  const int rows = ((positions + wanted - 1) / wanted + kSlice - 1) / kSlice * kSlice;
  return {(positions + rows - 1) / rows, rows};
}

// Block (x, y, z): window terms 128·x… (and the ones), filters 128·y…, of group z % groups, piece z / groups;
// writes piece[z / groups][filter][term] of the C_out × (K + 1) sums.
__global__ void weight_gradient_kernel(Implicit g, const float* x, const float* grad_y, float* pieces, int rows) {
  __shared__ float a_tiles[2][kSlice][kTile];
  __shared__ float b_tiles[2][kSlice][kTile];
  const int group = blockIdx.z % g.groups, piece = blockIdx.z / g.groups;
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile, positions = g.batch * g.outputs;
  const int filter = row0 + a_load_row(), channel = group * g.out_per_group + filter;
  const OutputGradientRows a{grad_y, filter < g.out_per_group ? static_cast<std::int64_t>(channel) * g.outputs : -1,
                             static_cast<std::int64_t>(g.out_channels) * g.outputs, g.outputs, positions};
  const int first = piece * rows, last = std::min(positions, first + rows);
  float sum[kPerThread][kPerThread] = {};
  double_buffered_slices(a, WindowRows(g, x, group, col0 + b_load_col()), first, last, a_tiles, b_tiles, sum);
  const int columns = g.window + 1;
  float* out = pieces + static_cast<std::size_t>(piece) * g.out_channels * columns;
  store_outputs(row0, col0, sum, [&](int f, int k, float value) {
    if (f >= g.out_per_group || k >= columns) return;
    out[static_cast<std::size_t>(group * g.out_per_group + f) * columns + k] = value;
  });
}

// ∂W[co, k] (and ∂b[co], column K) = the sum of the pieces, in order: one thread per value.
__global__ void sum_pieces_kernel(const float* pieces, int count, Implicit g, float* grad_weight, float* grad_bias) {
  const int columns = g.window + 1;
  const std::int64_t values = static_cast<std::int64_t>(g.out_channels) * columns;
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= values) return;
  float total = 0.0f;
  for (int piece = 0; piece < count; ++piece) total += pieces[piece * values + index];
  const std::int64_t co = index / columns, k = index % columns;
  if (k < g.window) {
    grad_weight[co * g.window + k] = total;
  } else {
    grad_bias[co] = total;
  }
}

unsigned blocks(int extent) { return static_cast<unsigned>((extent + kTile - 1) / kTile); }

}  // namespace

std::int64_t conv2d_implicit_workspace_floats(const Shape& x, const Shape& weight, Conv2dParams params) {
  const Implicit g = implicit_geometry(x, weight, params, "cuda::conv2d_implicit_workspace_floats");
  return static_cast<std::int64_t>(weight_split(g).count) * g.out_channels * (g.window + 1);
}

void conv2d_forward_implicit(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                             const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y) {
  const std::string op = "cuda::conv2d_forward_implicit";
  require_shape(op, "y", cpu::conv2d_output_shape(x.shape(), weight.shape(), bias.shape(), params), y.shape());
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"weight", weight}, {"bias", bias}, {"y", y}});
  const Implicit g = implicit_geometry(x.shape(), weight.shape(), params, op);
  // A filter's K weights may be read 128 bits at a time when every filter starts 16 bytes after a boundary.
  const bool vectors = g.window % 4 == 0 && reinterpret_cast<std::uintptr_t>(weight.data()) % 16 == 0;
  const dim3 grid(blocks(g.batch * g.outputs), blocks(g.out_per_group), static_cast<unsigned>(g.groups));
  launch(forward_kernel, grid, kThreads, 0, context.stream, g, x.data(), weight.data(), bias.data(), y.data(),
         vectors);
  CUDA_CHECK_LAUNCH();
}

void conv2d_backward_implicit(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                              const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF* grad_x,
                              DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, DeviceTensorF& workspace,
                              GradientMode mode) {
  const std::string op = "cuda::conv2d_backward_implicit";
  const ScopedDevice device =
      check_conv_backward(context, op, x, weight, grad_y, params, grad_x, grad_weight, grad_bias, workspace);
  const Implicit g = implicit_geometry(x.shape(), weight.shape(), params, op);
  const Split split = weight_split(g);
  const std::int64_t needed = static_cast<std::int64_t>(split.count) * g.out_channels * (g.window + 1);
  if (workspace.size() < needed) {
    throw std::invalid_argument(op + ": the workspace holds " + std::to_string(workspace.size()) +
                                " floats; the weight gradient's " + std::to_string(split.count) + " pieces need " +
                                std::to_string(needed));
  }
  const dim3 weight_grid(blocks(g.window + 1), blocks(g.out_per_group), static_cast<unsigned>(g.groups * split.count));
  launch(weight_gradient_kernel, weight_grid, kThreads, 0, context.stream, g, x.data(), grad_y.data(),
         workspace.data(), split.rows);
  CUDA_CHECK_LAUNCH();
  launch(sum_pieces_kernel, blocks_for(static_cast<std::int64_t>(g.out_channels) * (g.window + 1)), kThreadsPerBlock,
         0, context.stream, static_cast<const float*>(workspace.data()), split.count, g, grad_weight.data(),
         grad_bias.data());
  CUDA_CHECK_LAUNCH();
  if (grad_x == nullptr) return;
  const dim3 input_grid(blocks(g.batch * g.plane), blocks(g.in_per_group), static_cast<unsigned>(g.groups));
  launch(input_gradient_kernel, input_grid, kThreads, 0, context.stream, g, weight.data(), grad_y.data(),
         grad_x->data(), mode == GradientMode::Accumulate);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
