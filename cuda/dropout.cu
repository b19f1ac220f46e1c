#include "cuda/dropout.cuh"

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// One thread per Philox block: its four words decide four consecutive units, as dropout_keeps decides each. The
// tensor's unit i is the batch's unit first_unit + i, so thread t's block is ⌊first_unit/4⌋ + t and its word w is
// the tensor's unit 4·t + w − first_unit mod 4 (below 0 or past n for the first and last threads' spare words).
__global__ void dropout_kernel(const float* in, float* out, std::int64_t n, DropoutParams params, float scale) {
  const std::int64_t t = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::int64_t first = 4 * t - static_cast<std::int64_t>(params.first_unit % 4);  // the unit of word 0
  if (first >= n) return;
  const Philox4x32 bits = random_block(params.seed, params.step, params.first_unit / 4 + static_cast<std::uint64_t>(t));
  for (int w = 0; w < 4; ++w) {
    const std::int64_t i = first + w;
    if (i >= 0 && i < n) out[i] = dropout_keeps_word(params, bits.word[w]) ? in[i] * scale : 0.0f;
  }
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
  const std::int64_t philox_blocks = (static_cast<std::int64_t>(params.first_unit % 4) + in.size() + 3) / 4;
  launch(dropout_kernel, blocks_for(philox_blocks), kThreadsPerBlock, 0, context.stream, in.data(), out.data(),
         in.size(), params, dropout_scale(params));
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
