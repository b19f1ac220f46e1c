#include "cuda/dropout.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// One thread per unit: thread i asks the generator exactly what the CPU loop asks for unit i.
__global__ void dropout_kernel(const float* in, float* out, std::int64_t n, DropoutParams params, float scale) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = dropout_keeps(params, static_cast<std::uint64_t>(i)) ? in[i] * scale : 0.0f;
}

// Forward and backward are the same diagonal map: the mask times the scale.
void apply_dropout_mask(const Context& context, const std::string& op, const char* in_name, const DeviceTensorF& in,
                        const DropoutParams& params, const char* out_name, DeviceTensorF& out) {
  const ScopedDevice device = use_device(context, op, {{in_name, in}, {out_name, out}});
  check_dropout_params(op, params);
  require_shape(op, "output", in.shape(), out.shape());
  if (in.size() == 0) return;
  if (!params.training) {
    CUDA_CHECK(cudaMemcpyAsync(out.data(), in.data(), in.bytes(), cudaMemcpyDeviceToDevice, context.stream));
    return;
  }
  launch(dropout_kernel, blocks_for(in.size()), kThreadsPerBlock, 0, context.stream, in.data(), out.data(), in.size(),
         params, dropout_scale(params));
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void dropout_forward(const Context& context, const DeviceTensorF& x, const DropoutParams& params, DeviceTensorF& y) {
  apply_dropout_mask(context, "cuda::dropout_forward", "x", x, params, "y", y);
}

void dropout_backward(const Context& context, const DeviceTensorF& grad_y, const DropoutParams& params,
                      DeviceTensorF& grad_x) {
  apply_dropout_mask(context, "cuda::dropout_backward", "grad_y", grad_y, params, "grad_x", grad_x);
}

}  // namespace alexnet::cuda
