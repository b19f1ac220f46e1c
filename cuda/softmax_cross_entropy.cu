#include "cuda/softmax_cross_entropy.cuh"

#include <stdexcept>

#include "cuda/launch.cuh"
#include "reference_cpu/softmax_cross_entropy.hpp"

namespace alexnet::cuda {
namespace {

struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};

// Combines one value per thread into one value every thread of the block gets:
// first within each warp of 32 (shuffles), then across the warps (shared memory).
// blockDim.x must be a multiple of 32, at most 1024. `per_warp` is the caller's
// __shared__ float[32] (declared in the kernel, not in this template, so the emulated
// device can fill it with NaN before each block).
template <typename Op>
__device__ float block_reduce(float value, Op op, float* per_warp) {
  for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  __syncthreads();  // a previous call may still be reading per_warp
  if (threadIdx.x % 32 == 0) per_warp[threadIdx.x / 32] = value;
  __syncthreads();
  value = per_warp[0];
  for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w) value = op(value, per_warp[w]);
  return value;
}

// One block per row n: the max, then log Σ exp(z − max), then the probabilities;
// with labels, the row's loss log Σ exp(z − max) − (z[label] − max), divided by N,
// is added to loss[0].
__global__ void softmax_rows_kernel(const float* logits, const std::int64_t* labels, float* probabilities,
                                    float* loss, int rows, int classes) {
  __shared__ float per_warp[32];
  const int n = blockIdx.x;
  const float* z = logits + static_cast<std::size_t>(n) * classes;
  float row_max = -INFINITY;
  for (int k = threadIdx.x; k < classes; k += blockDim.x) row_max = fmaxf(row_max, z[k]);
  row_max = block_reduce(row_max, MaxOp{}, per_warp);
  float sum = 0.0f;
  for (int k = threadIdx.x; k < classes; k += blockDim.x) sum += expf(z[k] - row_max);
  const float log_sum_exp = logf(block_reduce(sum, SumOp{}, per_warp));
  float* p = probabilities + static_cast<std::size_t>(n) * classes;
  for (int k = threadIdx.x; k < classes; k += blockDim.x) p[k] = expf(z[k] - row_max - log_sum_exp);
  if (labels != nullptr && threadIdx.x == 0) {
    const std::int64_t label = labels[n];
    const float row_loss = label >= 0 && label < classes ? log_sum_exp - (z[label] - row_max) : NAN;
    atomicAdd(loss, row_loss / static_cast<float>(rows));
  }
}

// One thread per element: (p − [k = label]) / N.
__global__ void softmax_cross_entropy_backward_kernel(const float* probabilities, const std::int64_t* labels,
                                                      float* grad_logits, int rows, int classes) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<std::int64_t>(rows) * classes) return;
  const std::int64_t n = i / classes, k = i % classes;
  const float one_hot = labels[n] == k ? 1.0f : 0.0f;
  grad_logits[i] = (probabilities[i] - one_hot) / static_cast<float>(rows);
}

// `name` ("logits", "probabilities") must be [N, K] with K > 0.
void require_rows(const std::string& op, const char* name, const DeviceTensorF& t) {
  if (t.shape().size() != 2 || t.shape()[1] == 0) {
    throw std::invalid_argument(op + ": expected " + name + " [N, K] with K > 0, got " + to_string(t.shape()));
  }
}

void launch_softmax_rows(cudaStream_t stream, const DeviceTensorF& logits, const std::int64_t* labels,
                         DeviceTensorF& probabilities, float* loss) {
  const int rows = static_cast<int>(logits.shape()[0]), classes = static_cast<int>(logits.shape()[1]);
  if (rows == 0) return;
  launch(softmax_rows_kernel, rows, kThreadsPerBlock, 0, stream, logits.data(), labels, probabilities.data(), loss,
         rows, classes);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

DeviceTensor<std::int64_t> upload_labels(const Context& context, const std::vector<std::int64_t>& labels,
                                         std::int64_t classes) {
  const auto rows = static_cast<std::int64_t>(labels.size());
  cpu::check_labels("cuda::upload_labels", labels, rows, classes);
  return DeviceTensor<std::int64_t>(Tensor<std::int64_t>({rows}, labels), context.device);
}

void softmax_forward(const Context& context, const DeviceTensorF& logits, DeviceTensorF& probabilities) {
  const ScopedDevice device =
      use_device(context, "cuda::softmax_forward", {{"logits", logits}, {"probabilities", probabilities}});
  require_rows("cuda::softmax_forward", "logits", logits);
  require_shape("cuda::softmax_forward", "probabilities", logits.shape(), probabilities.shape());
  launch_softmax_rows(context.stream, logits, nullptr, probabilities, nullptr);
}

void softmax_cross_entropy_forward(const Context& context, const DeviceTensorF& logits,
                                   const DeviceTensor<std::int64_t>& labels, DeviceTensorF& probabilities,
                                   DeviceTensorF& loss) {
  const std::string op = "cuda::softmax_cross_entropy_forward";
  const ScopedDevice device = use_device(
      context, op, {{"logits", logits}, {"labels", labels}, {"probabilities", probabilities}, {"loss", loss}});
  require_rows(op, "logits", logits);
  require_shape(op, "labels", {logits.shape()[0]}, labels.shape());
  require_shape(op, "probabilities", logits.shape(), probabilities.shape());
  require_shape(op, "loss", {1}, loss.shape());
  CUDA_CHECK(cudaMemsetAsync(loss.data(), 0, loss.bytes(), context.stream));
  launch_softmax_rows(context.stream, logits, labels.data(), probabilities, loss.data());
}

void softmax_cross_entropy_backward(const Context& context, const DeviceTensorF& probabilities,
                                    const DeviceTensor<std::int64_t>& labels, DeviceTensorF& grad_logits) {
  const std::string op = "cuda::softmax_cross_entropy_backward";
  const ScopedDevice device = use_device(
      context, op, {{"probabilities", probabilities}, {"labels", labels}, {"grad_logits", grad_logits}});
  require_rows(op, "probabilities", probabilities);
  require_shape(op, "labels", {probabilities.shape()[0]}, labels.shape());
  require_shape(op, "grad_logits", probabilities.shape(), grad_logits.shape());
  if (probabilities.size() == 0) return;
  launch(softmax_cross_entropy_backward_kernel, blocks_for(probabilities.size()), kThreadsPerBlock, 0, context.stream,
         probabilities.data(), labels.data(), grad_logits.data(), static_cast<int>(probabilities.shape()[0]),
         static_cast<int>(probabilities.shape()[1]));
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
