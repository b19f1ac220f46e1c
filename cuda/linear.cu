#include "cuda/linear.cuh"

#include <stdexcept>
#include <string>

#include "cuda/launch.cuh"

namespace alexnet::cuda {
namespace {

// ---- Version 1: naive ------------------------------------------------------
// Thread (n, o) computes y[n, o] = b[o] + Σ_i W[o, i]·x[n, i] alone. Neighbouring
// threads read neighbouring rows of W, 4·in bytes apart, and every value is read
// from global memory once per use: 2 loads per multiply-add.
__global__ void linear_forward_naive_kernel(const float* x, const float* weight, const float* bias, float* y,
                                            int inputs, int outputs) {
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  const int n = blockIdx.y;
  if (o >= outputs) return;
  const float* w_row = weight + static_cast<std::size_t>(o) * inputs;
  const float* x_row = x + static_cast<std::size_t>(n) * inputs;
  float sum = bias[o];
  for (int i = 0; i < inputs; ++i) sum += w_row[i] * x_row[i];
  y[static_cast<std::size_t>(n) * outputs + o] = sum;
}

// ---- Version 2: shared-memory tiled matrix multiply ------------------------
// C [M, N] = op(A) [M, K] · op(B) [K, N] (+ bias[col]) (+ C itself when accumulate), everything row-major.
// op(A) is A stored as [M, K], or Aᵀ of an A stored as [K, M] when transpose_a;
// op(B) likewise [K, N] or [N, K]. One kernel serves forward and backward.
//
// A block of 16×16 threads owns a 64×64 tile of C. It walks K in slices of 16:
// the block copies a 64×16 slice of op(A) and a 16×64 slice of op(B) into shared
// memory once, then every value there is used 64 times. Each thread keeps a
// 4×4 set of outputs in registers (rows ty, ty+16, ty+32, ty+48; columns tx, ...):
// per step of k it reads 4 + 4 values from shared memory for 16 multiply-adds.
constexpr int kTile = 64;                     // C tile side per block
constexpr int kTileK = 16;                    // depth of one K slice
constexpr int kThreadsPerSide = 16;           // 16 × 16 = 256 threads per block
constexpr int kPerThread = kTile / kThreadsPerSide;  // 4 × 4 outputs per thread
constexpr int kBlockThreads = kThreadsPerSide * kThreadsPerSide;

// Element (row, col) of op(M), an rows × cols matrix; M is stored [rows, cols],
// or [cols, rows] when Transposed. Zero past the edges, so partial tiles need no
// special case in the multiply loop.
__device__ float op_element(const float* m, bool transposed, int rows, int cols, int row, int col) {
  if (row >= rows || col >= cols) return 0.0f;
  return transposed ? m[static_cast<std::size_t>(col) * rows + row] : m[static_cast<std::size_t>(row) * cols + col];
}

// The transposes are arguments, not template parameters: the emulated device (emulated_gpu/)
// can fill only a non-template kernel's __shared__ arrays with NaN before each block.
__global__ void gemm_tiled_kernel(const float* a, bool transpose_a, const float* b, bool transpose_b,
                                  const float* bias, bool accumulate, float* c, int m, int n, int k) {
  // Slices stored k-major; the +1 column staggers shared-memory banks for the stores.
  __shared__ float a_slice[kTileK][kTile + 1];  // a_slice[kk][r] = op(A)[row0 + r, k0 + kk]
  __shared__ float b_slice[kTileK][kTile + 1];  // b_slice[kk][c] = op(B)[k0 + kk, col0 + c]
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int tx = threadIdx.x, ty = threadIdx.y, thread = ty * kThreadsPerSide + tx;
  float sum[kPerThread][kPerThread] = {};

  for (int k0 = 0; k0 < k; k0 += kTileK) {
    // Stage both slices; consecutive threads walk the dimension that is
    // contiguous in memory, so the global loads coalesce.
    for (int e = thread; e < kTile * kTileK; e += kBlockThreads) {
      const int a_kk = transpose_a ? e / kTile : e % kTileK, a_r = transpose_a ? e % kTile : e / kTileK;
      a_slice[a_kk][a_r] = op_element(a, transpose_a, m, k, row0 + a_r, k0 + a_kk);
      const int b_kk = transpose_b ? e % kTileK : e / kTile, b_c = transpose_b ? e / kTileK : e % kTile;
      b_slice[b_kk][b_c] = op_element(b, transpose_b, k, n, k0 + b_kk, col0 + b_c);
    }
    __syncthreads();
    for (int kk = 0; kk < kTileK; ++kk) {
      float a_column[kPerThread], b_row[kPerThread];
      for (int i = 0; i < kPerThread; ++i) a_column[i] = a_slice[kk][ty + i * kThreadsPerSide];
      for (int j = 0; j < kPerThread; ++j) b_row[j] = b_slice[kk][tx + j * kThreadsPerSide];
      for (int i = 0; i < kPerThread; ++i)
        for (int j = 0; j < kPerThread; ++j) sum[i][j] += a_column[i] * b_row[j];
    }
    __syncthreads();  // the slices are overwritten by the next step
  }

  for (int i = 0; i < kPerThread; ++i) {
    for (int j = 0; j < kPerThread; ++j) {
      const int row = row0 + ty + i * kThreadsPerSide, col = col0 + tx + j * kThreadsPerSide;
      if (row >= m || col >= n) continue;
      float& out = c[static_cast<std::size_t>(row) * n + col];
      const float result = sum[i][j] + (bias ? bias[col] : 0.0f);
      out = accumulate ? out + result : result;  // beta = 1 or 0 on C
    }
  }
}

// C [m, n] = op(A) · op(B) (+ bias) (+ C when accumulate) on the tiled kernel, queued on `stream`.
void gemm_tiled(cudaStream_t stream, const float* a, bool transpose_a, const float* b, bool transpose_b,
                const float* bias, bool accumulate, float* c, int m, int n, int k) {
  if (m == 0 || n == 0) return;
  const dim3 grid((n + kTile - 1) / kTile, (m + kTile - 1) / kTile);
  launch(gemm_tiled_kernel, grid, dim3(kThreadsPerSide, kThreadsPerSide), 0, stream, a, transpose_a, b, transpose_b,
         bias, accumulate, c, m, n, k);
  CUDA_CHECK_LAUNCH();
}

// grad_bias[o] = Σ_n grad_y[n, o]: one thread per output, reading a column.
__global__ void column_sums_kernel(const float* grad_y, float* grad_bias, int batch, int outputs) {
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= outputs) return;
  float sum = 0.0f;
  for (int n = 0; n < batch; ++n) sum += grad_y[static_cast<std::size_t>(n) * outputs + o];
  grad_bias[o] = sum;
}

// The three extents of a linear layer, checked: x [N, in], W [out, in].
struct LinearExtents {
  int batch, inputs, outputs;
};

LinearExtents linear_extents(const std::string& op, const DeviceTensorF& x, const DeviceTensorF& weight) {
  if (x.shape().size() != 2 || weight.shape().size() != 2) {
    throw std::invalid_argument(op + ": expected x [N, in] and weight [out, in], got " + to_string(x.shape()) +
                                " and " + to_string(weight.shape()));
  }
  require_shape(op, "weight", {weight.shape()[0], x.shape()[1]}, weight.shape());
  return {static_cast<int>(x.shape()[0]), static_cast<int>(x.shape()[1]), static_cast<int>(weight.shape()[0])};
}

}  // namespace

void linear_forward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                    const DeviceTensorF& bias, DeviceTensorF& y, LinearVersion version) {
  const std::string op = "cuda::linear_forward";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"weight", weight}, {"bias", bias}, {"y", y}});
  const LinearExtents e = linear_extents(op, x, weight);
  require_shape(op, "bias", {e.outputs}, bias.shape());
  require_shape(op, "y", {e.batch, e.outputs}, y.shape());
  if (y.size() == 0) return;
  switch (version) {
    case LinearVersion::Naive:
      launch(linear_forward_naive_kernel, dim3(blocks_for(e.outputs), e.batch), kThreadsPerBlock, 0, context.stream,
             x.data(), weight.data(), bias.data(), y.data(), e.inputs, e.outputs);
      CUDA_CHECK_LAUNCH();
      break;
    case LinearVersion::Tiled:  // y = x · Wᵀ: W is stored [out, in] = [N, K], read transposed
      gemm_tiled(context.stream, x.data(), false, weight.data(), true, bias.data(), false, y.data(), e.batch,
                 e.outputs, e.inputs);
      break;
  }
}

void linear_backward(const Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                     const DeviceTensorF& grad_y, DeviceTensorF& grad_x, DeviceTensorF& grad_weight,
                     DeviceTensorF& grad_bias, GradientMode mode) {
  const std::string op = "cuda::linear_backward";
  const ScopedDevice device = use_device(context, op, {{"x", x}, {"weight", weight}, {"grad_y", grad_y},
                                                       {"grad_x", grad_x}, {"grad_weight", grad_weight},
                                                       {"grad_bias", grad_bias}});
  const LinearExtents e = linear_extents(op, x, weight);
  require_shape(op, "grad_y", {e.batch, e.outputs}, grad_y.shape());
  require_shape(op, "grad_x", x.shape(), grad_x.shape());
  require_shape(op, "grad_weight", weight.shape(), grad_weight.shape());
  require_shape(op, "grad_bias", {e.outputs}, grad_bias.shape());
  // grad_x [N, in] (+)= grad_y [N, out] · W [out, in]
  gemm_tiled(context.stream, grad_y.data(), false, weight.data(), false, nullptr, mode == GradientMode::Accumulate,
             grad_x.data(), e.batch, e.inputs, e.outputs);
  // grad_W [out, in] = grad_yᵀ [out, N] · x [N, in]: grad_y is stored [N, out] = [K, M], read transposed
  gemm_tiled(context.stream, grad_y.data(), true, x.data(), false, nullptr, false, grad_weight.data(), e.outputs,
             e.inputs, e.batch);
  if (e.outputs == 0) return;
  launch(column_sums_kernel, blocks_for(e.outputs), kThreadsPerBlock, 0, context.stream, grad_y.data(),
         grad_bias.data(), e.batch, e.outputs);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
