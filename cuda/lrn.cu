#include "cuda/lrn.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// Extents and parameters as the kernels use them (float, like the data).
struct LrnGeometry {
  std::int64_t elements, plane;  // N·C·H·W and H·W
  int channels, per_tower, half_window;
  float k, alpha, beta;
};

LrnGeometry lrn_geometry(const Shape& x, LrnParams params) {
  return LrnGeometry{element_count(x),
                     x[2] * x[3],
                     static_cast<int>(x[1]),
                     static_cast<int>(x[1]) / params.towers,
                     params.size / 2,
                     static_cast<float>(params.k),
                     static_cast<float>(params.alpha),
                     static_cast<float>(params.beta)};
}

// Channels first..last of window(c): c ± size/2, clipped at the edges of c's tower.
struct ChannelWindow {
  int first, last;
};

__device__ ChannelWindow channel_window(int channel, const LrnGeometry& g) {
  const int tower_first = channel / g.per_tower * g.per_tower;
  return ChannelWindow{max(tower_first, channel - g.half_window),
                       min(tower_first + g.per_tower - 1, channel + g.half_window)};
}

// d_c = k + α·Σ_{c' in window(c)} a_{c'}², summed in the CPU's order (c' ascending);
// `column` points at x[n, 0, h, w], so channel c' is column[c'·plane].
__device__ float denominator(const float* column, int channel, const LrnGeometry& g) {
  const ChannelWindow window = channel_window(channel, g);
  float sum_of_squares = 0.0f;
  for (int other = window.first; other <= window.last; ++other) {
    const float a = column[other * g.plane];
    sum_of_squares += a * a;
  }
  return g.k + g.alpha * sum_of_squares;
}

// The channel of flat element `index` of an [N, C, H, W] tensor.
__device__ int channel_of(std::int64_t index, const LrnGeometry& g) {
  return static_cast<int>(index % (g.channels * g.plane) / g.plane);
}

__global__ void lrn_forward_kernel(const float* x, float* y, LrnGeometry g) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= g.elements) return;
  const int channel = channel_of(index, g);
  y[index] = x[index] / powf(denominator(x + index - channel * g.plane, channel, g), g.beta);
}

// The channels c whose window holds j are window(j) itself (|c − j| <= size/2, same tower).
__global__ void lrn_backward_kernel(const float* x, const float* grad_y, float* grad_x, LrnGeometry g) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= g.elements) return;
  const int j = channel_of(index, g);
  const std::int64_t column = index - j * g.plane;  // element [n, 0, h, w]
  const ChannelWindow window = channel_window(j, g);
  float through_denominators = 0.0f;  // Σ_c g_c · a_c / d_c^(β+1)
  for (int c = window.first; c <= window.last; ++c) {
    const std::int64_t at_c = column + c * g.plane;
    through_denominators += grad_y[at_c] * x[at_c] / powf(denominator(x + column, c, g), g.beta + 1.0f);
  }
  grad_x[index] = grad_y[index] / powf(denominator(x + column, j, g), g.beta) -
                  2.0f * g.alpha * g.beta * x[index] * through_denominators;
}

}  // namespace

void lrn_forward(const Context& context, const DeviceTensorF& x, LrnParams params, DeviceTensorF& y) {
  const ScopedDevice device = use_device(context, "cuda::lrn_forward", {{"x", x}, {"y", y}});
  require_lrn_input("cuda::lrn_forward", x.shape(), params);
  require_shape("cuda::lrn_forward", "y", x.shape(), y.shape());
  if (x.size() == 0) return;
  launch(lrn_forward_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(), y.data(),
         lrn_geometry(x.shape(), params));
  CUDA_CHECK_LAUNCH();
}

void lrn_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y, LrnParams params,
                  DeviceTensorF& grad_x) {
  const ScopedDevice device =
      use_device(context, "cuda::lrn_backward", {{"x", x}, {"grad_y", grad_y}, {"grad_x", grad_x}});
  require_lrn_input("cuda::lrn_backward", x.shape(), params);
  require_shape("cuda::lrn_backward", "grad_y", x.shape(), grad_y.shape());
  require_shape("cuda::lrn_backward", "grad_x", x.shape(), grad_x.shape());
  if (x.size() == 0) return;
  launch(lrn_backward_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(), grad_y.data(),
         grad_x.data(), lrn_geometry(x.shape(), params));
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
