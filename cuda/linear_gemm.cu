#include "cuda/linear_gemm.cuh"

#include <stdexcept>
#include <string>

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// y[n, j] += b[j] for y [rows, columns].
__global__ void add_bias_kernel(float* y, const float* bias, std::int64_t rows, std::int64_t columns) {
  const std::int64_t index = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index < rows * columns) y[index] += bias[index % columns];
}

// N, in, out of x [N, in] and W [out, in], checked.
struct LinearShape {
  int batch, in, out;
};

LinearShape linear_shape(const std::string& op, const DeviceTensorF& x, const DeviceTensorF& weight) {
  if (x.shape().size() != 2 || weight.shape().size() != 2 || x.dim(1) != weight.dim(1)) {
    throw std::invalid_argument(op + ": expected x [N, in] and weight [out, in], got x " + to_string(x.shape()) +
                                " and weight " + to_string(weight.shape()));
  }
  return {static_cast<int>(x.dim(0)), static_cast<int>(x.dim(1)), static_cast<int>(weight.dim(0))};
}

}  // namespace

void linear_forward_gemm(const Context& context, const MatrixProduct& product, const DeviceTensorF& x,
                         const DeviceTensorF& weight, const DeviceTensorF& bias, DeviceTensorF& y) {
  const std::string op = "cuda::linear_forward_gemm";
  const LinearShape s = linear_shape(op, x, weight);
  require_shape(op, "bias", {s.out}, bias.shape());
  require_shape(op, "y", {s.batch, s.out}, y.shape());
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"weight", weight}, {"bias", bias}, {"y", y}});
  product.gemm(context, s.batch, s.out, s.in, 1.0f, {x.data(), false, s.in}, {weight.data(), true, s.in}, 0.0f,
               y.data(), s.out);
  launch(add_bias_kernel, blocks_for(y.size()), kThreadsPerBlock, 0, context.stream, y.data(), bias.data(),
         static_cast<std::int64_t>(s.batch), static_cast<std::int64_t>(s.out));
  CUDA_CHECK_LAUNCH();
}

void linear_backward_gemm(const Context& context, const MatrixProduct& product, const DeviceTensorF& x,
                          const DeviceTensorF& weight, const DeviceTensorF& grad_y, DeviceTensorF& grad_x,
                          DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, DeviceTensorF& workspace,
                          GradientMode mode) {
  const std::string op = "cuda::linear_backward_gemm";
  const LinearShape s = linear_shape(op, x, weight);
  require_shape(op, "grad_y", {s.batch, s.out}, grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_weight", weight.shape(), grad_weight.shape());
  require_shape(op, "grad_bias", {s.out}, grad_bias.shape());
  if (workspace.size() < s.batch) {
    throw std::invalid_argument(op + ": the workspace holds " + std::to_string(workspace.size()) +
                                " floats; the bias gradient needs " + std::to_string(s.batch));
  }
  const ScopedDevice device =
      use_device(context, op, {{"x", x}, {"weight", weight}, {"grad_y", grad_y}, {"grad_x", grad_x},
                               {"grad_weight", grad_weight}, {"grad_bias", grad_bias}, {"workspace", workspace}});
  const float beta_x = mode == GradientMode::Accumulate ? 1.0f : 0.0f;
  product.gemm(context, s.batch, s.in, s.out, 1.0f, {grad_y.data(), false, s.out}, {weight.data(), false, s.in},
               beta_x, grad_x.data(), s.in);
  product.gemm(context, s.out, s.in, s.batch, 1.0f, {grad_y.data(), true, s.out}, {x.data(), false, s.in}, 0.0f,
               grad_weight.data(), s.in);
  fill_ones(context, workspace.data(), s.batch);
  product.gemm(context, 1, s.out, s.batch, 1.0f, {workspace.data(), false, s.batch}, {grad_y.data(), false, s.out},
               0.0f, grad_bias.data(), s.out);
}

}  // namespace alexnet::cuda
