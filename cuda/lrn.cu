#include "cuda/lrn.cuh"

#include <stdexcept>
#include <string>

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// Extents and parameters as the kernels use them (float, like the data).
struct LrnGeometry {
  std::int64_t elements, plane;  // N·C·H·W and H·W
  int channels, towers, per_tower, size, half_window;
  float k, alpha, beta;
};

LrnGeometry lrn_geometry(const Shape& x, LrnParams params) {
  return LrnGeometry{element_count(x),
                     x[2] * x[3],
                     static_cast<int>(x[1]),
                     params.towers,
                     static_cast<int>(x[1]) / params.towers,
                     params.size,
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

// The column walk (lrn_forward_by_column, lrn_backward_by_column): one thread per (image, tower, position)
// walks the tower's channels in order, reading each value from memory once and computing each d_c once.
// It keeps the last `size` values of what it needs in rings: its own slots of the block's shared memory,
// channel c in slot c mod size (slot s of the thread is shared[s·blockDim.x + threadIdx.x], so the threads
// of a warp touch consecutive words).
struct Ring {
  float* slots;  // shared + threadIdx.x, stride blockDim.x
  __device__ float& operator[](int slot) const { return slots[slot * static_cast<int>(blockDim.x)]; }
};

// The ring-th ring of `size` slots per thread in the block's dynamic shared memory.
__device__ Ring ring(float* shared, int which, int size) {
  return Ring{shared + which * size * static_cast<int>(blockDim.x) + threadIdx.x};
}

// slot + step, kept in [0, size): the ring's slots in order without a division per step.
__device__ int advance(int slot, int step, int size) {
  slot += step;
  if (slot >= size) slot -= size;
  if (slot < 0) slot += size;
  return slot;
}

// The thread's column: where channel 0 of its tower lies at its position, or -1 past the plane's end.
// Block (p, k) covers positions k·blockDim.x … of p = n·towers + tower.
__device__ std::int64_t column_start(const LrnGeometry& g) {
  const std::int64_t position = static_cast<std::int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (position >= g.plane) return -1;
  const std::int64_t n = blockIdx.x / static_cast<unsigned>(g.towers), tower = blockIdx.x % g.towers;
  return (n * g.channels + tower * g.per_tower) * g.plane + position;
}

// d_c = k + α·Σ_{c' in window(c)} a_{c'}², in the CPU's order (c' ascending), from the ring of values
// where channel c sits in slot `slot`.
__device__ float ring_denominator(const Ring& values, int c, int slot, const LrnGeometry& g) {
  const int first = max(0, c - g.half_window), last = min(g.per_tower - 1, c + g.half_window);
  int at = advance(slot, first - c, g.size);
  float sum_of_squares = 0.0f;
  for (int other = first; other <= last; ++other, at = advance(at, 1, g.size)) {
    sum_of_squares += values[at] * values[at];
  }
  return g.k + g.alpha * sum_of_squares;
}

// Step t reads channel t; channel c = t − size/2 then has its whole window in the ring.
__global__ void lrn_forward_by_column_kernel(const float* x, float* y, LrnGeometry g) {
  ALEXNET_DYNAMIC_SHARED(float, lrn_rings);
  const std::int64_t column = column_start(g);
  if (column < 0) return;
  const Ring values = ring(lrn_rings, 0, g.size);
  int read_slot = 0, slot = advance(0, -g.half_window, g.size);  // slots of channels t and c = t − size/2
  for (int t = 0; t < g.per_tower + g.half_window; ++t) {
    if (t < g.per_tower) values[read_slot] = x[column + t * g.plane];
    const int c = t - g.half_window;
    if (c >= 0) y[column + c * g.plane] = values[slot] / powf(ring_denominator(values, c, slot, g), g.beta);
    read_slot = advance(read_slot, 1, g.size);
    slot = advance(slot, 1, g.size);
  }
}

// Step t reads channel t; channel c = t − size/2 gets d_c, g_c·a_c/d_c^(β+1) and g_c/d_c^β; channel
// j = t − 2·(size/2) then has every term of its sum, for c in window(j), in the rings.
__global__ void lrn_backward_by_column_kernel(const float* x, const float* grad_y, float* grad_x, LrnGeometry g) {
  ALEXNET_DYNAMIC_SHARED(float, lrn_rings);
  const std::int64_t column = column_start(g);
  if (column < 0) return;
  const Ring values = ring(lrn_rings, 0, g.size), gradients = ring(lrn_rings, 1, g.size);
  const Ring through = ring(lrn_rings, 2, g.size), direct = ring(lrn_rings, 3, g.size);
  const int h = g.half_window;
  int read_slot = 0, c_slot = advance(0, -h, g.size), j_slot = advance(0, -2 * h, g.size);
  for (int t = 0; t < g.per_tower + 2 * h; ++t) {
    if (t < g.per_tower) {
      values[read_slot] = x[column + t * g.plane];
      gradients[read_slot] = grad_y[column + t * g.plane];
    }
    const int c = t - h, j = t - 2 * h;
    if (c >= 0 && c < g.per_tower) {
      const float d = ring_denominator(values, c, c_slot, g);
      through[c_slot] = gradients[c_slot] * values[c_slot] / powf(d, g.beta + 1.0f);  // g_c·a_c/d_c^(β+1)
      direct[c_slot] = gradients[c_slot] / powf(d, g.beta);                            // g_c/d_c^β
    }
    if (j >= 0) {  // Σ over window(j), ascending, as the CPU sums it
      const int first = max(0, j - h), last = min(g.per_tower - 1, j + h);
      float through_denominators = 0.0f;
      int at = advance(j_slot, first - j, g.size);
      for (int other = first; other <= last; ++other, at = advance(at, 1, g.size)) through_denominators += through[at];
      grad_x[column + j * g.plane] =
          direct[j_slot] - 2.0f * g.alpha * g.beta * values[j_slot] * through_denominators;
    }
    read_slot = advance(read_slot, 1, g.size);
    c_slot = advance(c_slot, 1, g.size);
    j_slot = advance(j_slot, 1, g.size);
  }
}

// Blocks (image·towers + tower, part of the plane) and the shared memory of `rings` rings per thread.
struct ColumnLaunch {
  dim3 grid;
  std::size_t shared_bytes;
};

ColumnLaunch column_launch(const std::string& op, const LrnGeometry& g, std::int64_t batch, int rings) {
  const std::size_t shared_bytes = static_cast<std::size_t>(rings) * g.size * kThreadsPerBlock * sizeof(float);
  constexpr std::size_t kSharedLimit = 48 * 1024;  // what a block may use without opting in
  if (shared_bytes > kSharedLimit || blocks_for(g.plane) > 65535) {
    throw std::invalid_argument(op + ": expected a window of at most " +
                                std::to_string(kSharedLimit / (rings * kThreadsPerBlock * sizeof(float))) +
                                " channels and planes of at most 65535·256 values, got size " +
                                std::to_string(g.size) + " and a plane of " + std::to_string(g.plane));
  }
  return ColumnLaunch{dim3(static_cast<unsigned>(batch * g.towers), blocks_for(g.plane)), shared_bytes};
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

void lrn_forward_by_column(const Context& context, const DeviceTensorF& x, LrnParams params, DeviceTensorF& y) {
  const std::string op = "cuda::lrn_forward_by_column";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"y", y}});
  require_lrn_input(op, x.shape(), params);
  require_shape(op, "y", x.shape(), y.shape());
  if (x.size() == 0) return;
  const LrnGeometry g = lrn_geometry(x.shape(), params);
  const ColumnLaunch columns = column_launch(op, g, x.shape()[0], 1);
  launch(lrn_forward_by_column_kernel, columns.grid, kThreadsPerBlock, columns.shared_bytes, context.stream, x.data(),
         y.data(), g);
  CUDA_CHECK_LAUNCH();
}

void lrn_backward_by_column(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                            LrnParams params, DeviceTensorF& grad_x) {
  const std::string op = "cuda::lrn_backward_by_column";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"grad_y", grad_y}, {"grad_x", grad_x}});
  require_lrn_input(op, x.shape(), params);
  require_shape(op, "grad_y", x.shape(), grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  if (x.size() == 0) return;
  const LrnGeometry g = lrn_geometry(x.shape(), params);
  const ColumnLaunch columns = column_launch(op, g, x.shape()[0], 4);
  launch(lrn_backward_by_column_kernel, columns.grid, kThreadsPerBlock, columns.shared_bytes, context.stream,
         x.data(), grad_y.data(), grad_x.data(), g);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
