#include "cuda/conv2d_gemm.cuh"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cuda/conv_geometry.cuh"
#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// What every kernel of one group and chunk needs, read from the shapes on the host.
//   x [N, C_in, H, W], weight [C_out, C_in/g, k, k], y [N, C_out, H_out, W_out]
struct GemmConv : ConvGeometry {
  std::int64_t window;    // K = C_in/g·k·k: rows of col
  std::int64_t outputs;   // P = H_out·W_out: columns of one image
  std::int64_t first;     // the chunk's first image
  std::int64_t columns;   // c·P: columns of the chunk
  int group;              // g
};

GemmConv gemm_conv(const Shape& x, const Shape& weight, Conv2dParams params) {
  GemmConv c{conv_geometry(x, weight, params), 0, 0, 0, 0, 0};
  c.window = static_cast<std::int64_t>(c.in_per_group) * c.kernel * c.kernel;
  c.outputs = static_cast<std::int64_t>(c.out_height) * c.out_width;
  return c;
}

// col[r, q] for r = (ci, ky, kx) of the window and q = (image of the chunk, oh, ow): the input value the window
// at (oh, ow) sees at (ky, kx) of channel ci of the group, 0 in the padding.
__global__ void im2col_kernel(const float* x, float* col, GemmConv c) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= c.window * c.columns) return;
  const std::int64_t r = index / c.columns, q = index % c.columns;
  const int kx = static_cast<int>(r % c.kernel), ky = static_cast<int>(r / c.kernel % c.kernel);
  const int ci = static_cast<int>(r / (c.kernel * c.kernel));
  const std::int64_t n = c.first + q / c.outputs;
  const int ow = static_cast<int>(q % c.outputs % c.out_width), oh = static_cast<int>(q % c.outputs / c.out_width);
  const int h = oh * c.stride - c.pad + ky, w = ow * c.stride - c.pad + kx;
  const bool inside = h >= 0 && h < c.height && w >= 0 && w < c.width;
  const int channel = c.group * c.in_per_group + ci;
  col[index] = inside ? x[((n * c.in_channels + channel) * c.height + h) * c.width + w] : 0.0f;
}

// ∂x[n, ci, h, w] of the chunk's images and the group's channels: the sum of the ∂col entries of every window
// position that saw it (a gather: each ∂x written by one thread, no atomics), written or added.
__global__ void col2im_kernel(const float* grad_col, float* grad_x, GemmConv c, bool accumulate) {
  const std::int64_t plane = static_cast<std::int64_t>(c.height) * c.width;
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t chunk_images = c.columns / c.outputs;
  if (index >= chunk_images * c.in_per_group * plane) return;
  const int w = static_cast<int>(index % c.width), h = static_cast<int>(index / c.width % c.height);
  const int ci = static_cast<int>(index / plane % c.in_per_group);
  const std::int64_t image = index / (plane * c.in_per_group);
  float sum = 0.0f;
  for (int ky = 0; ky < c.kernel; ++ky) {
    const int top = h + c.pad - ky;  // oh·S when the window at row oh sees row h at ky
    if (top < 0 || top % c.stride != 0 || top / c.stride >= c.out_height) continue;
    for (int kx = 0; kx < c.kernel; ++kx) {
      const int left = w + c.pad - kx;
      if (left < 0 || left % c.stride != 0 || left / c.stride >= c.out_width) continue;
      const std::int64_t r = (static_cast<std::int64_t>(ci) * c.kernel + ky) * c.kernel + kx;
      const std::int64_t q =
          image * c.outputs + static_cast<std::int64_t>(top / c.stride) * c.out_width + left / c.stride;
      sum += grad_col[r * c.columns + q];
    }
  }
  const int channel = c.group * c.in_per_group + ci;
  float& into = grad_x[(((c.first + image) * c.in_channels + channel) * c.height + h) * c.width + w];
  into = accumulate ? into + sum : sum;
}

// The y (NCHW) position of element (co, q) of the group's product [C_out/g, c·P].
__device__ std::int64_t output_offset(const GemmConv& c, int co, std::int64_t q) {
  const std::int64_t n = c.first + q / c.outputs;
  return (n * c.out_channels + c.group * c.out_per_group + co) * c.outputs + q % c.outputs;
}

// y[n, g·C_out/g + co, p] = Y_g[co, q] + b: the product laid back out as NCHW, the bias added on the way.
__global__ void columns_to_output_kernel(const float* product, const float* bias, float* y, GemmConv c) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= c.out_per_group * c.columns) return;
  const int co = static_cast<int>(index / c.columns);
  y[output_offset(c, co, index % c.columns)] = product[index] + bias[c.group * c.out_per_group + co];
}

// ∂Y_g[co, q] = ∂y[n, g·C_out/g + co, p]: the group's gradient gathered as the product's layout.
__global__ void output_to_columns_kernel(const float* grad_y, float* grad_product, GemmConv c) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= c.out_per_group * c.columns) return;
  grad_product[index] = grad_y[output_offset(c, static_cast<int>(index / c.columns), index % c.columns)];
}

// The workspace cut into col [K, c·P], the product [C_out/g, c·P] and ones [c·P], for chunks of `chunk` images.
struct Workspace {
  float* col;
  float* product;
  float* ones;
  std::int64_t chunk;
};

Workspace cut(DeviceTensorF& workspace, const GemmConv& c, std::int64_t batch, const std::string& op) {
  const std::int64_t per_image = (c.window + c.out_per_group + 1) * c.outputs;
  const std::int64_t chunk = std::min(batch, workspace.size() / per_image);
  if (chunk < 1) {
    throw std::invalid_argument(op + ": the workspace holds " + std::to_string(workspace.size()) +
                                " floats; one image needs " + std::to_string(per_image));
  }
  const std::int64_t columns = chunk * c.outputs;
  return Workspace{workspace.data(), workspace.data() + c.window * columns,
                   workspace.data() + (c.window + c.out_per_group) * columns, chunk};
}

// Runs `body(chunk_workspace)` for every chunk of images and every group, `c` set to that chunk and group.
template <typename Body>
void for_each_chunk_and_group(GemmConv& c, std::int64_t batch, std::int64_t chunk, Body body) {
  for (c.first = 0; c.first < batch; c.first += chunk) {
    c.columns = std::min(chunk, batch - c.first) * c.outputs;
    for (c.group = 0; c.group < c.groups; ++c.group) body();
  }
}

void run_elementwise(void (*kernel)(const float*, float*, GemmConv), std::int64_t count, const Context& context,
                     const float* in, float* out, const GemmConv& c) {
  launch(kernel, blocks_for(count), kThreadsPerBlock, 0, context.stream, in, out, c);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

std::int64_t conv2d_gemm_workspace_floats(const Shape& x, const Shape& weight, Conv2dParams params) {
  const GemmConv c = gemm_conv(x, weight, params);
  return (c.window + c.out_per_group + 1) * c.outputs;
}

void conv2d_forward_gemm(const Context& context, const Blas& blas, const DeviceTensorF& x,
                         const DeviceTensorF& weight, const DeviceTensorF& bias, Conv2dParams params,
                         DeviceTensorF& y, DeviceTensorF& workspace) {
  const std::string op = "cuda::conv2d_forward_gemm";
  require_shape(op, "y", cpu::conv2d_output_shape(x.shape(), weight.shape(), bias.shape(), params), y.shape());
  const ScopedDevice device = use_device(
      context, op, {{"x", x}, {"weight", weight}, {"bias", bias}, {"y", y}, {"workspace", workspace}});
  GemmConv c = gemm_conv(x.shape(), weight.shape(), params);
  const Workspace space = cut(workspace, c, x.dim(0), op);
  for_each_chunk_and_group(c, x.dim(0), space.chunk, [&] {
    run_elementwise(im2col_kernel, c.window * c.columns, context, x.data(), space.col, c);
    const float* w_g = weight.data() + c.group * c.out_per_group * c.window;
    blas.gemm(context, c.out_per_group, static_cast<int>(c.columns), static_cast<int>(c.window), 1.0f,
              {w_g, false, static_cast<int>(c.window)}, {space.col, false, static_cast<int>(c.columns)}, 0.0f,
              space.product, static_cast<int>(c.columns));
    launch(columns_to_output_kernel, blocks_for(c.out_per_group * c.columns), kThreadsPerBlock, 0, context.stream,
           space.product, bias.data(), y.data(), c);
    CUDA_CHECK_LAUNCH();
  });
}

void conv2d_backward_gemm(const Context& context, const Blas& blas, const DeviceTensorF& x,
                          const DeviceTensorF& weight, const DeviceTensorF& grad_y, Conv2dParams params,
                          DeviceTensorF* grad_x, DeviceTensorF& grad_weight, DeviceTensorF& grad_bias,
                          DeviceTensorF& workspace, GradientMode mode) {
  const std::string op = "cuda::conv2d_backward_gemm";
  const ScopedDevice device =
      check_conv_backward(context, op, x, weight, grad_y, params, grad_x, grad_weight, grad_bias, workspace);
  GemmConv c = gemm_conv(x.shape(), weight.shape(), params);
  const Workspace space = cut(workspace, c, x.dim(0), op);
  const auto ones = std::min(space.chunk, x.dim(0)) * c.outputs;
  fill_ones(context, space.ones, ones);
  const int window = static_cast<int>(c.window);
  for_each_chunk_and_group(c, x.dim(0), space.chunk, [&] {
    const int columns = static_cast<int>(c.columns);
    const float beta = c.first == 0 ? 0.0f : 1.0f;  // the first chunk overwrites, the others add
    run_elementwise(im2col_kernel, c.window * c.columns, context, x.data(), space.col, c);
    run_elementwise(output_to_columns_kernel, c.out_per_group * c.columns, context, grad_y.data(), space.product, c);
    const std::int64_t rows = c.group * c.out_per_group;
    blas.gemm(context, c.out_per_group, window, columns, 1.0f, {space.product, false, columns},
              {space.col, true, columns}, beta, grad_weight.data() + rows * c.window, window);
    blas.gemm(context, c.out_per_group, 1, columns, 1.0f, {space.product, false, columns}, {space.ones, false, 1},
              beta, grad_bias.data() + rows, 1);
    if (grad_x == nullptr) return;
    blas.gemm(context, window, columns, c.out_per_group, 1.0f, {weight.data() + rows * c.window, true, window},
              {space.product, false, columns}, 0.0f, space.col, columns);
    const std::int64_t inputs = c.columns / c.outputs * c.in_per_group * c.height * c.width;
    launch(col2im_kernel, blocks_for(inputs), kThreadsPerBlock, 0, context.stream, space.col, grad_x->data(), c,
           mode == GradientMode::Accumulate);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace alexnet::cuda
