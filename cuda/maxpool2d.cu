#include "cuda/maxpool2d.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// The extents a pooling kernel needs: planes = N·C.
struct PoolGeometry {
  std::int64_t planes;
  int height, width, out_height, out_width, kernel, stride;
};

PoolGeometry pool_geometry(const Shape& x, const Shape& y, Pool2dParams params) {
  return PoolGeometry{x[0] * x[1],
                      static_cast<int>(x[2]),
                      static_cast<int>(x[3]),
                      static_cast<int>(y[2]),
                      static_cast<int>(y[3]),
                      params.kernel,
                      params.stride};
}

// Index within one plane of window (i, j)'s arg-max, scanned row-major: the first
// NaN if the window holds one, else the first maximum (strict '>') — the CPU's
// NaN and tie rules. The forward and the gather backward both call it.
__device__ int window_argmax(const float* plane, const PoolGeometry& g, int i, int j) {
  const int top = i * g.stride, left = j * g.stride;
  int best = top * g.width + left;
  for (int h = top; h < top + g.kernel; ++h) {
    for (int w = left; w < left + g.kernel; ++w) {
      const float value = plane[h * g.width + w];
      if (isnan(value)) return h * g.width + w;
      if (value > plane[best]) best = h * g.width + w;
    }
  }
  return best;
}

// One thread per output element.
__global__ void maxpool2d_forward_kernel(const float* x, float* y, PoolGeometry g) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t outputs_per_plane = static_cast<std::int64_t>(g.out_height) * g.out_width;
  if (index >= g.planes * outputs_per_plane) return;
  const std::int64_t plane = index / outputs_per_plane;
  const int i = static_cast<int>(index % outputs_per_plane) / g.out_width;
  const int j = static_cast<int>(index % outputs_per_plane) % g.out_width;
  const float* x_plane = x + plane * g.height * g.width;
  y[index] = x_plane[window_argmax(x_plane, g, i, j)];
}

// First window index (row or column) whose window covers input position `p`:
// window i covers i·S .. i·S+K−1, so i ≥ (p − K)/S + 1 once p ≥ K.
__device__ int first_covering_window(int p, int kernel, int stride) {
  return p < kernel ? 0 : (p - kernel) / stride + 1;
}

// One thread per input element (gather): visits the windows covering it in the
// CPU loop's order (rows, then columns) and adds the gradient of each window
// whose arg-max it is.
__global__ void maxpool2d_backward_kernel(const float* x, const float* grad_y, float* grad_x, PoolGeometry g) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t inputs_per_plane = static_cast<std::int64_t>(g.height) * g.width;
  if (index >= g.planes * inputs_per_plane) return;
  const std::int64_t plane = index / inputs_per_plane;
  const int position = static_cast<int>(index % inputs_per_plane);
  const int h = position / g.width, w = position % g.width;
  const float* x_plane = x + plane * inputs_per_plane;
  const float* grad_y_plane = grad_y + plane * g.out_height * g.out_width;
  const int last_i = min(h / g.stride, g.out_height - 1), last_j = min(w / g.stride, g.out_width - 1);
  float sum = 0.0f;
  for (int i = first_covering_window(h, g.kernel, g.stride); i <= last_i; ++i) {
    for (int j = first_covering_window(w, g.kernel, g.stride); j <= last_j; ++j) {
      if (window_argmax(x_plane, g, i, j) == position) sum += grad_y_plane[i * g.out_width + j];
    }
  }
  grad_x[index] = sum;
}

}  // namespace

void maxpool2d_forward(const Context& context, const DeviceTensorF& x, Pool2dParams params, DeviceTensorF& y) {
  const ScopedDevice device = use_device(context, "cuda::maxpool2d_forward", {{"x", x}, {"y", y}});
  const Shape y_shape = maxpool2d_output_shape("cuda::maxpool2d_forward", x.shape(), params);
  require_shape("cuda::maxpool2d_forward", "y", y_shape, y.shape());
  if (y.size() == 0) return;
  launch(maxpool2d_forward_kernel, blocks_for(y.size()), kThreadsPerBlock, 0, context.stream, x.data(), y.data(),
         pool_geometry(x.shape(), y_shape, params));
  CUDA_CHECK_LAUNCH();
}

void maxpool2d_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                        Pool2dParams params, DeviceTensorF& grad_x) {
  const ScopedDevice device =
      use_device(context, "cuda::maxpool2d_backward", {{"x", x}, {"grad_y", grad_y}, {"grad_x", grad_x}});
  const Shape y_shape = maxpool2d_output_shape("cuda::maxpool2d_backward", x.shape(), params);
  require_shape("cuda::maxpool2d_backward", "grad_y", y_shape, grad_y.shape());
  require_shape("cuda::maxpool2d_backward", "grad_x", x.shape(), grad_x.shape());
  if (x.size() == 0) return;
  launch(maxpool2d_backward_kernel, blocks_for(x.size()), kThreadsPerBlock, 0, context.stream, x.data(),
         grad_y.data(),
         grad_x.data(), pool_geometry(x.shape(), y_shape, params));
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
