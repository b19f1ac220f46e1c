#include "cuda/conv2d.cuh"

#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda/conv_geometry.cuh"
#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// Flat offset of the NCHW element (n, c, h, w), in 64 bits: N·C·H·W passes 2^31 at large
// batches (CONV1's output, 290,400 values per image, at batch ≥ 7,395), and a 32-bit product
// on the way overflows before any assignment could widen it. Extents fit in int.
__device__ std::int64_t offset(std::int64_t n, int channels, int c, int height, int h, int width, int w) {
  return ((n * channels + c) * height + h) * static_cast<std::int64_t>(width) + w;
}

// An element of a row-major [outer, channels, height, width] tensor: its flat index and position.
struct Index4 {
  std::int64_t flat, outer;  // outer: n (co for a weight)
  int c, h, w;
};

// The element this thread computes, one thread per element; false for threads past the end.
__device__ bool this_threads_element(std::int64_t outer, int channels, int height, int width, Index4& at) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= outer * channels * height * width) return false;
  const std::int64_t planes = i / width / height;  // outer · channels + c
  at = Index4{i, planes / channels, static_cast<int>(planes % channels), static_cast<int>(i / width % height),
              static_cast<int>(i % width)};
  return true;
}

// ---- forward, version 1: one thread per output --------------------------------------------

__global__ void conv2d_forward_naive_kernel(const float* x, const float* weight, const float* bias, float* y,
                                            ConvGeometry g) {
  Index4 out;
  if (!this_threads_element(g.batch, g.out_channels, g.out_height, g.out_width, out)) return;
  const std::int64_t n = out.outer;
  const int co = out.c, oh = out.h, ow = out.w;
  const int first_input_channel = co / g.out_per_group * g.in_per_group;
  float sum = bias[co];
  for (int ci = 0; ci < g.in_per_group; ++ci) {
    const float* kernel = weight + (static_cast<std::int64_t>(co) * g.in_per_group + ci) * g.kernel * g.kernel;
    for (int kh = 0; kh < g.kernel; ++kh) {
      const int ih = oh * g.stride - g.pad + kh;
      if (ih < 0 || ih >= g.height) continue;
      for (int kw = 0; kw < g.kernel; ++kw) {
        const int iw = ow * g.stride - g.pad + kw;
        if (iw < 0 || iw >= g.width) continue;
        sum += x[offset(n, g.in_channels, first_input_channel + ci, g.height, ih, g.width, iw)] *
               kernel[kh * g.kernel + kw];
      }
    }
  }
  y[out.flat] = sum;
}

// ---- forward, version 2: shared-memory tiles ----------------------------------------------

constexpr int kTile = 16;             // a block computes kTile × kTile output positions ...
constexpr int kChannelsPerBlock = 8;  // ... for this many output channels (8 sums per thread)

// Input rows (and columns) that kTile outputs read: (kTile − 1)·S + K (71 for CONV1).
__host__ __device__ int input_tile_side(const ConvGeometry& g) { return (kTile - 1) * g.stride + g.kernel; }

// Blocks: x = (image, output tile), y = (group, run of kChannelsPerBlock output channels in it).
// Threads: (threadIdx.x, threadIdx.y) = output column and row inside the tile.
// Shared memory: the input patch [in_tile][in_tile] of one input channel, then the kernels
// [K·K][kChannelsPerBlock] of that input channel for the block's output channels.
__global__ void conv2d_forward_tiled_kernel(const float* x, const float* weight, const float* bias, float* y,
                                            ConvGeometry g) {
  ALEXNET_DYNAMIC_SHARED(float, shared);  // extern __shared__ float shared[] under nvcc
  const int in_tile = input_tile_side(g), taps = g.kernel * g.kernel;
  float* tile_x = shared;
  float* tile_w = shared + in_tile * in_tile;

  const int tiles_across = (g.out_width + kTile - 1) / kTile, tiles_down = (g.out_height + kTile - 1) / kTile;
  const std::int64_t n = blockIdx.x / (tiles_across * tiles_down);
  const int tile = static_cast<int>(blockIdx.x % (tiles_across * tiles_down));
  const int oh0 = tile / tiles_across * kTile, ow0 = tile % tiles_across * kTile;
  const int runs_per_group = (g.out_per_group + kChannelsPerBlock - 1) / kChannelsPerBlock;
  const int group = blockIdx.y / runs_per_group;
  const int co0 = group * g.out_per_group + blockIdx.y % runs_per_group * kChannelsPerBlock;
  const int channels_here = min(kChannelsPerBlock, (group + 1) * g.out_per_group - co0);
  const int thread = threadIdx.y * kTile + threadIdx.x;

  float sum[kChannelsPerBlock];
#pragma unroll
  for (int c = 0; c < kChannelsPerBlock; ++c) sum[c] = c < channels_here ? bias[co0 + c] : 0.0f;

  for (int ci = 0; ci < g.in_per_group; ++ci) {
    // Copy the input patch (zeros where it covers padding) and the kernels, then compute.
    const int channel = group * g.in_per_group + ci;
    for (int j = thread; j < in_tile * in_tile; j += kTile * kTile) {
      const int ih = oh0 * g.stride - g.pad + j / in_tile, iw = ow0 * g.stride - g.pad + j % in_tile;
      const bool inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
      tile_x[j] = inside ? x[offset(n, g.in_channels, channel, g.height, ih, g.width, iw)] : 0.0f;
    }
    for (int j = thread; j < taps * kChannelsPerBlock; j += kTile * kTile) {
      const int tap = j / kChannelsPerBlock, c = j % kChannelsPerBlock;
      tile_w[j] = c < channels_here
                      ? weight[(static_cast<std::int64_t>(co0 + c) * g.in_per_group + ci) * taps + tap]
                      : 0.0f;
    }
    __syncthreads();
    for (int kh = 0; kh < g.kernel; ++kh) {
      for (int kw = 0; kw < g.kernel; ++kw) {
        const float input = tile_x[(threadIdx.y * g.stride + kh) * in_tile + threadIdx.x * g.stride + kw];
        const float* kernels = tile_w + (kh * g.kernel + kw) * kChannelsPerBlock;
#pragma unroll
        for (int c = 0; c < kChannelsPerBlock; ++c) sum[c] += input * kernels[c];
      }
    }
    __syncthreads();  // before the next channel overwrites the tiles
  }

  const int oh = oh0 + threadIdx.y, ow = ow0 + threadIdx.x;
  if (oh >= g.out_height || ow >= g.out_width) return;
#pragma unroll
  for (int c = 0; c < kChannelsPerBlock; ++c) {
    if (c < channels_here) y[offset(n, g.out_channels, co0 + c, g.out_height, oh, g.out_width, ow)] = sum[c];
  }
}

// ---- backward ------------------------------------------------------------------------------

// One thread per input element x[n, c, ih, iw]: the outputs whose window holds it are those
// with oh·S − P + kh = ih for some kh, i.e. oh = (ih + P − kh)/S where that divides exactly.
__global__ void conv2d_backward_input_kernel(const float* weight, const float* grad_y, float* grad_x,
                                             bool accumulate, ConvGeometry g) {
  Index4 in;
  if (!this_threads_element(g.batch, g.in_channels, g.height, g.width, in)) return;
  const std::int64_t n = in.outer;
  const int c = in.c, ih = in.h, iw = in.w;
  const int group = c / g.in_per_group, ci = c % g.in_per_group;
  float sum = 0.0f;
  for (int co = group * g.out_per_group; co < (group + 1) * g.out_per_group; ++co) {
    const float* kernel = weight + (static_cast<std::int64_t>(co) * g.in_per_group + ci) * g.kernel * g.kernel;
    for (int kh = 0; kh < g.kernel; ++kh) {
      const int row = ih + g.pad - kh;  // = oh·S
      if (row < 0 || row % g.stride != 0 || row / g.stride >= g.out_height) continue;
      for (int kw = 0; kw < g.kernel; ++kw) {
        const int column = iw + g.pad - kw;  // = ow·S
        if (column < 0 || column % g.stride != 0 || column / g.stride >= g.out_width) continue;
        sum += grad_y[offset(n, g.out_channels, co, g.out_height, row / g.stride, g.out_width, column / g.stride)] *
               kernel[kh * g.kernel + kw];
      }
    }
  }
  grad_x[in.flat] = accumulate ? grad_x[in.flat] + sum : sum;
}

// One thread per weight[co, ci, kh, kw]: Σ over n, oh, ow of grad_y · the input it met.
__global__ void conv2d_backward_weight_kernel(const float* x, const float* grad_y, float* grad_weight,
                                              ConvGeometry g) {
  Index4 tap;
  if (!this_threads_element(g.out_channels, g.in_per_group, g.kernel, g.kernel, tap)) return;
  const int co = static_cast<int>(tap.outer), ci = tap.c, kh = tap.h, kw = tap.w;
  const int c = co / g.out_per_group * g.in_per_group + ci;
  float sum = 0.0f;
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (int oh = 0; oh < g.out_height; ++oh) {
      const int ih = oh * g.stride - g.pad + kh;
      if (ih < 0 || ih >= g.height) continue;
      for (int ow = 0; ow < g.out_width; ++ow) {
        const int iw = ow * g.stride - g.pad + kw;
        if (iw < 0 || iw >= g.width) continue;
        sum += grad_y[offset(n, g.out_channels, co, g.out_height, oh, g.out_width, ow)] *
               x[offset(n, g.in_channels, c, g.height, ih, g.width, iw)];
      }
    }
  }
  grad_weight[tap.flat] = sum;
}

// One block per output channel: each thread sums a strided share of grad_y[:, co, :, :],
// then the block adds the kThreadsPerBlock partial sums pairwise in shared memory.
__global__ void conv2d_backward_bias_kernel(const float* grad_y, float* grad_bias, ConvGeometry g) {
  __shared__ float partial[kThreadsPerBlock];
  const int co = blockIdx.x;
  const std::int64_t plane = static_cast<std::int64_t>(g.out_height) * g.out_width;
  float sum = 0.0f;
  for (std::int64_t j = threadIdx.x; j < g.batch * plane; j += blockDim.x) {
    sum += grad_y[(j / plane * g.out_channels + co) * plane + j % plane];
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreadsPerBlock / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) grad_bias[co] = partial[0];
}

void launch_tiled(cudaStream_t stream, const DeviceTensorF& x, const DeviceTensorF& weight, const DeviceTensorF& bias,
                  DeviceTensorF& y, const ConvGeometry& g) {
  const int in_tile = input_tile_side(g);
  const std::size_t shared_bytes =
      static_cast<std::size_t>(in_tile * in_tile + g.kernel * g.kernel * kChannelsPerBlock) * sizeof(float);
  constexpr std::size_t kSharedLimit = 48 * 1024;  // what a block gets without opting in
  if (shared_bytes > kSharedLimit) {
    throw std::invalid_argument("cuda::conv2d_forward (tiled): a " + std::to_string(kTile) + "x" +
                                std::to_string(kTile) + " tile with kernel " + std::to_string(g.kernel) +
                                " and stride " + std::to_string(g.stride) + " needs " +
                                std::to_string(shared_bytes) + " bytes of shared memory, more than " +
                                std::to_string(kSharedLimit) + "; use ConvVersion::Naive");
  }
  const unsigned tiles = static_cast<unsigned>((g.out_height + kTile - 1) / kTile) *
                         static_cast<unsigned>((g.out_width + kTile - 1) / kTile);
  const unsigned runs_per_group = static_cast<unsigned>((g.out_per_group + kChannelsPerBlock - 1) / kChannelsPerBlock);
  const dim3 blocks(tiles * static_cast<unsigned>(g.batch), runs_per_group * static_cast<unsigned>(g.groups));
  launch(conv2d_forward_tiled_kernel, blocks, dim3(kTile, kTile), shared_bytes, stream, x.data(), weight.data(),
         bias.data(), y.data(), g);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void conv2d_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                    const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y, ConvVersion version) {
  const std::string op = "cuda::conv2d_forward";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"weight", weight}, {"bias", bias}, {"y", y}});
  require_shape(op, "y", cpu::conv2d_output_shape(x.shape(), weight.shape(), bias.shape(), params), y.shape());
  if (y.size() == 0) return;
  const ConvGeometry g = conv_geometry(x.shape(), weight.shape(), params);
  if (version == ConvVersion::Tiled) {
    launch_tiled(context.stream, x, weight, bias, y, g);
    return;
  }
  launch(conv2d_forward_naive_kernel, blocks_for(y.size()), kThreadsPerBlock, 0, context.stream, x.data(),
         weight.data(), bias.data(), y.data(), g);
  CUDA_CHECK_LAUNCH();
}

void conv2d_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                     const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF& grad_x,
                     DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, GradientMode mode) {
  const std::string op = "cuda::conv2d_backward";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"weight", weight}, {"grad_y", grad_y},
                                                       {"grad_x", grad_x}, {"grad_weight", grad_weight},
                                                       {"grad_bias", grad_bias}});
  const Shape bias_shape{weight.shape().empty() ? 0 : weight.shape()[0]};
  require_shape(op, "grad_y", cpu::conv2d_output_shape(x.shape(), weight.shape(), bias_shape, params),
                grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_weight", weight.shape(), grad_weight.shape());
  require_shape(op, "grad_bias", bias_shape, grad_bias.shape());
  const ConvGeometry g = conv_geometry(x.shape(), weight.shape(), params);
  if (x.size() > 0) {
    launch(conv2d_backward_input_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, weight.data(),
           grad_y.data(), grad_x.data(), mode == GradientMode::Accumulate, g);
    CUDA_CHECK_LAUNCH();
  }
  if (weight.size() > 0) {
    launch(conv2d_backward_weight_kernel, blocks_for(weight.size()), kThreadsPerBlock, 0, context.stream, x.data(),
           grad_y.data(), grad_weight.data(), g);
    CUDA_CHECK_LAUNCH();
  }
  if (grad_bias.size() > 0) {
    launch(conv2d_backward_bias_kernel, static_cast<unsigned>(g.out_channels), kThreadsPerBlock, 0, context.stream,
           grad_y.data(), grad_bias.data(), g);
    CUDA_CHECK_LAUNCH();
  }
}

}  // namespace alexnet::cuda
