#include "cuda/gemm_ladder.cuh"

#include <cstdint>
#include <stdexcept>

#include "cuda/cuda_check.cuh"
#include "cuda/gemm_tiles.cuh"
#include "cuda/launch.cuh"

// Every kernel computes C [m, n] = α·A [m, k]·B [k, n] + β·C, row-major, for any extents: the
// loads of an edge tile read zeros past the matrices' edges, and the stores skip what lies past C's.
// Shared arrays are declared in non-template kernels, so the emulated device can fill them with NaN
// before every block: a value read before it was written shows.

namespace alexnet::cuda {
namespace {

using namespace tiles;  // steps 5 to 8: a 128 × 128 tile per block of 256 threads, 8 × 8 outputs per thread

// ---- What every step shares --------------------------------------------------------------------

// The extents and scalars of one product, passed by value to every step's kernel (its pointers are passed
// apart, so that the emulated device checks them as device memory).
struct Product {
  int m, n, k;
  float alpha, beta;
  bool transpose_a, transpose_b;  // a holds Aᵀ (k × m), b holds Bᵀ (n × k)
  bool vector_a, vector_b;        // steps 6 to 8: A's or B's rows may be read by 128-bit loads
};

__device__ Operand operand_a(const Product& p, const float* a) { return {a, p.m, p.k, p.transpose_a}; }
__device__ Operand operand_b(const Product& p, const float* b) { return {b, p.k, p.n, p.transpose_b}; }

// C[r, col] = α·sum + β·C[r, col] — with β = 0, α·sum and C is not read — and nothing past C's edges.
__device__ void store(float* c, const Product& p, int r, int col, float sum) {
  if (r >= p.m || col >= p.n) return;
  float& out = c[static_cast<std::size_t>(r) * p.n + col];
  out = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * out;
}

// ---- Steps 1 and 2: one thread per output --------------------------------------------------------
// Each output reads a row of A and a column of B from global memory: 2 loads of 4 bytes per multiply-add,
// an arithmetic intensity of 0.25 FLOP/byte before the caches help.
constexpr int kSide = 32;  // 32 × 32 threads per block, 32 × 32 outputs

// C[row, col]: a row of A times a column of B, read from global memory; nothing past C's edges.
__device__ void one_output(const Product& p, const float* a, const float* b, float* c, int row, int col) {
  if (row >= p.m || col >= p.n) return;
  const Operand a_m = operand_a(p, a), b_m = operand_b(p, b);
  float sum = 0.0f;
  for (int i = 0; i < p.k; ++i) sum += value(a_m, row, i) * value(b_m, i, col);
  store(c, p, row, col, sum);
}

// Step 1. threadIdx.x walks down a column of C: the 32 threads of a warp read 32 rows of A (32 cache lines
// for one value each) and write 32 rows of C; only their read of B is shared (one value, a broadcast).
__global__ void naive_kernel(Product p, const float* a, const float* b, float* c) {
  one_output(p, a, b, c, blockIdx.x * kSide + threadIdx.x, blockIdx.y * kSide + threadIdx.y);
}

// Step 2. The same arithmetic with threadIdx.x along a row of C: a warp reads one value of A (a broadcast)
// and 32 consecutive values of B (one 128-byte transaction), and writes 32 consecutive values of C.
__global__ void coalesced_kernel(Product p, const float* a, const float* b, float* c) {
  one_output(p, a, b, c, blockIdx.y * kSide + threadIdx.y, blockIdx.x * kSide + threadIdx.x);
}

// ---- Step 3: shared-memory tiles -----------------------------------------------------------------
// The block stages a 32 × 32 tile of A and of B in shared memory, then every staged value serves 32
// multiply-adds: global traffic falls 32-fold. Each multiply-add still reads 2 values from shared memory.
__global__ void shared_tiles_kernel(Product p, const float* a, const float* b, float* c) {
  __shared__ float a_tile[kSide][kSide];  // a_tile[r][kk] = A[row0 + r, k0 + kk]
  __shared__ float b_tile[kSide][kSide];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const Operand a_m = operand_a(p, a), b_m = operand_b(p, b);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * kSide + ty, col = blockIdx.x * kSide + tx;
  float sum = 0.0f;
  for (int k0 = 0; k0 < p.k; k0 += kSide) {
    a_tile[ty][tx] = element(a_m, row, k0 + tx);
    b_tile[ty][tx] = element(b_m, k0 + ty, col);
    __syncthreads();
    for (int kk = 0; kk < kSide; ++kk) sum += a_tile[ty][kk] * b_tile[kk][tx];
    __syncthreads();  // the tiles are overwritten by the next slice
  }
  store(c, p, row, col, sum);
}

// ---- Step 4: 1-D register blocking ---------------------------------------------------------------
// A 64 × 64 tile of C per block of 512 threads, K in slices of 8. Each thread computes 8 outputs of one
// column: the value of B it reads from shared memory serves 8 multiply-adds, so a multiply-add reads
// 1 + 1/8 shared values instead of 2.
constexpr int k1dTile = 64, k1dSlice = 8, k1dPerThread = 8;
constexpr int k1dThreads = k1dTile * k1dTile / k1dPerThread;  // 512

__global__ void blocking_1d_kernel(Product p, const float* a, const float* b, float* c) {
  __shared__ float a_tile[k1dTile][k1dSlice];  // a_tile[r][kk] = A[row0 + r, k0 + kk]
  __shared__ float b_tile[k1dSlice][k1dTile];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const Operand a_m = operand_a(p, a), b_m = operand_b(p, b);
  const int t = threadIdx.x, row0 = blockIdx.y * k1dTile, col0 = blockIdx.x * k1dTile;
  const int column = t % k1dTile, first_row = t / k1dTile * k1dPerThread;  // this thread's outputs in the tile
  float sum[k1dPerThread] = {};
  for (int k0 = 0; k0 < p.k; k0 += k1dSlice) {
    // 512 values of each tile, one per thread; consecutive threads read consecutive addresses.
    a_tile[t / k1dSlice][t % k1dSlice] = element(a_m, row0 + t / k1dSlice, k0 + t % k1dSlice);
    b_tile[t / k1dTile][t % k1dTile] = element(b_m, k0 + t / k1dTile, col0 + t % k1dTile);
    __syncthreads();
    for (int kk = 0; kk < k1dSlice; ++kk) {
      const float b_value = b_tile[kk][column];
      for (int i = 0; i < k1dPerThread; ++i) sum[i] += a_tile[first_row + i][kk] * b_value;
    }
    __syncthreads();
  }
  for (int i = 0; i < k1dPerThread; ++i) store(c, p, row0 + first_row + i, col0 + column, sum[i]);
}

// ---- Steps 5 to 8: a 128 × 128 tile per block of 256 threads, 8 × 8 outputs per thread -------------
// Per slice of K each thread reads 8 values of A and 8 of B from shared memory for 64 multiply-adds:
// a quarter of a shared read per multiply-add. The block loads (128 + 128) × 8 values of global memory
// for 128 × 128 × 8 multiply-adds: 32 FLOP per byte, above the H200's ridge point (about 12).
constexpr int kSliceValues = kTile * kSlice;  // 1,024 values of A, and of B, per slice

// A thread's 8 × 8 square of outputs, from C[row, col] on.
__device__ void store_square(float* c, const Product& p, int row, int col, const float (*sum)[kPerThread]) {
  for (int i = 0; i < kPerThread; ++i)
    for (int j = 0; j < kPerThread; ++j) store(c, p, row + i, col + j, sum[i][j]);
}

// Step 5. Thread t owns rows 8·(t / 16) … +7 and columns 8·(t % 16) … +7 of the tile.
__global__ void blocking_2d_kernel(Product p, const float* a, const float* b, float* c) {
  __shared__ float a_tile[kTile][kSlice];  // a_tile[r][kk] = A[row0 + r, k0 + kk]
  __shared__ float b_tile[kSlice][kTile];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const Operand a_m = operand_a(p, a), b_m = operand_b(p, b);
  const int t = threadIdx.x, row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int first_row = t / (kTile / kPerThread) * kPerThread, first_col = t % (kTile / kPerThread) * kPerThread;
  float sum[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < p.k; k0 += kSlice) {
    for (int e = t; e < kSliceValues; e += kThreads) {  // 4 values of each tile per thread
      a_tile[e / kSlice][e % kSlice] = element(a_m, row0 + e / kSlice, k0 + e % kSlice);
      b_tile[e / kTile][e % kTile] = element(b_m, k0 + e / kTile, col0 + e % kTile);
    }
    __syncthreads();
    for (int kk = 0; kk < kSlice; ++kk) {
      float a_column[kPerThread], b_row[kPerThread];  // registers: the outer product reads only these
      for (int i = 0; i < kPerThread; ++i) a_column[i] = a_tile[first_row + i][kk];
      for (int j = 0; j < kPerThread; ++j) b_row[j] = b_tile[kk][first_col + j];
      for (int i = 0; i < kPerThread; ++i)
        for (int j = 0; j < kPerThread; ++j) sum[i][j] += a_column[i] * b_row[j];
    }
    __syncthreads();
  }
  store_square(c, p, row0 + first_row, col0 + first_col, sum);
}

// The loaders of this thread for the block's tile at (row0, col0).
__device__ RowLoader a_loader(const Product& p, const float* a, int row0) {
  return {operand_a(p, a), row0 + a_load_row(), p.vector_a};
}
__device__ ColumnsLoader b_loader(const Product& p, const float* b, int col0) {
  return {operand_b(p, b), col0 + b_load_col(), p.vector_b};
}

// Step 6. Step 5's thread layout with the vector loads and the transposed A tile.
__global__ void vectorized_kernel(Product p, const float* a, const float* b, float* c) {
  __shared__ float a_tile[kSlice][kTile];  // a_tile[kk][r] = A[row0 + r, k0 + kk]: transposed
  __shared__ float b_tile[kSlice][kTile];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const int t = threadIdx.x, row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int first_row = t / (kTile / kPerThread) * kPerThread, first_col = t % (kTile / kPerThread) * kPerThread;
  const RowLoader a_rows = a_loader(p, a, row0);
  const ColumnsLoader b_columns = b_loader(p, b, col0);
  float sum[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < p.k; k0 += kSlice) {
    stage_slice(load_slice(a_rows, b_columns, k0), a_tile, b_tile);
    __syncthreads();
    for (int kk = 0; kk < kSlice; ++kk) {
      float a_column[kPerThread], b_row[kPerThread];
      for (int i = 0; i < kPerThread; ++i) a_column[i] = a_tile[kk][first_row + i];
      for (int j = 0; j < kPerThread; ++j) b_row[j] = b_tile[kk][first_col + j];
      for (int i = 0; i < kPerThread; ++i)
        for (int j = 0; j < kPerThread; ++j) sum[i][j] += a_column[i] * b_row[j];
    }
    __syncthreads();
  }
  store_square(c, p, row0 + first_row, col0 + first_col, sum);
}

// Step 7: the hierarchy block → warp → thread (gemm_tiles.cuh's warp_lane and multiply_slice).
__global__ void warp_tiles_kernel(Product p, const float* a, const float* b, float* c) {
  __shared__ float a_tile[kSlice][kTile];  // transposed, as in step 6
  __shared__ float b_tile[kSlice][kTile];
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const RowLoader a_rows = a_loader(p, a, row0);
  const ColumnsLoader b_columns = b_loader(p, b, col0);
  const WarpLane at = warp_lane();
  float sum[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < p.k; k0 += kSlice) {
    stage_slice(load_slice(a_rows, b_columns, k0), a_tile, b_tile);
    __syncthreads();
    multiply_slice(a_tile, b_tile, at, sum);
    __syncthreads();
  }
  store_outputs(row0, col0, sum, [&](int row, int col, float value) { store(c, p, row, col, value); });
}

// Step 8: step 7 with two shared-memory stages (gemm_tiles.cuh's double_buffered_slices).
__global__ void double_buffered_kernel(Product p, const float* a, const float* b, float* c) {
  __shared__ float a_tiles[2][kSlice][kTile];
  __shared__ float b_tiles[2][kSlice][kTile];
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  float sum[kPerThread][kPerThread] = {};
  double_buffered_slices(a_loader(p, a, row0), b_loader(p, b, col0), 0, p.k, a_tiles, b_tiles, sum);
  store_outputs(row0, col0, sum, [&](int row, int col, float value) { store(c, p, row, col, value); });
}

unsigned blocks(int extent, int per_block) { return static_cast<unsigned>((extent + per_block - 1) / per_block); }

// Whether a stored operand's rows may be read by 128-bit loads: not transposed, rows a multiple of 4 floats
// long, the first row 16-byte aligned.
bool vectors_fit(const float* p, int columns, bool transposed) {
  return !transposed && columns % 4 == 0 && reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

// A step's kernel, and the shape of its blocks: every launch configuration of the ladder.
struct StepLaunch {
  void (*kernel)(Product, const float*, const float*, float*);
  dim3 block;
  int tile_rows, tile_cols;  // of C, per block
};

StepLaunch step_launch(LadderKernel kernel) {
  switch (kernel) {
    case LadderKernel::Naive: return {naive_kernel, dim3(kSide, kSide), kSide, kSide};
    case LadderKernel::Coalesced: return {coalesced_kernel, dim3(kSide, kSide), kSide, kSide};
    case LadderKernel::SharedTiles: return {shared_tiles_kernel, dim3(kSide, kSide), kSide, kSide};
    case LadderKernel::Blocking1D: return {blocking_1d_kernel, dim3(k1dThreads), k1dTile, k1dTile};
    case LadderKernel::Blocking2D: return {blocking_2d_kernel, dim3(kThreads), kTile, kTile};
    case LadderKernel::Vectorized: return {vectorized_kernel, dim3(kThreads), kTile, kTile};
    case LadderKernel::WarpTiles: return {warp_tiles_kernel, dim3(kThreads), kTile, kTile};
    case LadderKernel::DoubleBuffered: return {double_buffered_kernel, dim3(kThreads), kTile, kTile};
  }
  throw std::invalid_argument("ladder_sgemm: unknown kernel");
}

}  // namespace

const std::vector<LadderKernel>& ladder_kernels() {
  static const std::vector<LadderKernel> all{
      LadderKernel::Naive,      LadderKernel::Coalesced,  LadderKernel::SharedTiles, LadderKernel::Blocking1D,
      LadderKernel::Blocking2D, LadderKernel::Vectorized, LadderKernel::WarpTiles,   LadderKernel::DoubleBuffered};
  return all;
}

std::string ladder_name(LadderKernel kernel) {
  switch (kernel) {
    case LadderKernel::Naive: return "1 naive";
    case LadderKernel::Coalesced: return "2 coalesced";
    case LadderKernel::SharedTiles: return "3 shared tiles";
    case LadderKernel::Blocking1D: return "4 1-D blocking";
    case LadderKernel::Blocking2D: return "5 2-D blocking";
    case LadderKernel::Vectorized: return "6 vectorized";
    case LadderKernel::WarpTiles: return "7 warp tiles";
    case LadderKernel::DoubleBuffered: return "8 double buffer";
  }
  return "unknown";
}

std::string ladder_resources(LadderKernel kernel) {
  const StepLaunch step = step_launch(kernel);
  const unsigned threads = step.block.x * step.block.y;
#if defined(ALEXNET_EMULATED_GPU)
  return std::to_string(threads) + " threads per block (registers: not known on the emulated device)";
#else
  cudaFuncAttributes attributes{};
  CUDA_CHECK(cudaFuncGetAttributes(&attributes, step.kernel));
  return std::to_string(attributes.numRegs) + " registers per thread, " +
         std::to_string(attributes.sharedSizeBytes) + " bytes of shared memory and " + std::to_string(threads) +
         " threads per block";
#endif
}

void ladder_sgemm(LadderKernel kernel, cudaStream_t stream, const GemmOperands& g) {
  if (g.m < 1 || g.n < 1 || g.k < 1) {
    throw std::invalid_argument("ladder_sgemm: expected m, n, k >= 1, got " + std::to_string(g.m) + ", " +
                                std::to_string(g.n) + ", " + std::to_string(g.k));
  }
  const StepLaunch step = step_launch(kernel);
  // Steps 1 and 2 put the rows of C on x and y in turn: the naive kernel's threadIdx.x walks down a column.
  const dim3 grid = kernel == LadderKernel::Naive ? dim3(blocks(g.m, step.tile_rows), blocks(g.n, step.tile_cols))
                                                  : dim3(blocks(g.n, step.tile_cols), blocks(g.m, step.tile_rows));
  const bool vector_a = vectors_fit(g.a, g.k, g.transpose_a), vector_b = vectors_fit(g.b, g.n, g.transpose_b);
  const Product product{g.m, g.n, g.k, g.alpha, g.beta, g.transpose_a, g.transpose_b, vector_a, vector_b};
  launch(step.kernel, grid, step.block, 0, stream, product, g.a, g.b, g.c);
  CUDA_CHECK_LAUNCH();
}

void LadderProduct::gemm(const Context& context, int m, int n, int k, float alpha, MatrixOperand a, MatrixOperand b,
                         float beta, float* c, int ldc) const {
  if (a.leading != (a.transposed ? m : k) || b.leading != (b.transposed ? k : n) || ldc != n) {
    throw std::invalid_argument("LadderProduct::gemm: expected dense operands (rows " +
                                std::to_string(a.transposed ? m : k) + ", " + std::to_string(b.transposed ? k : n) +
                                " and " + std::to_string(n) + " floats apart), got " + std::to_string(a.leading) +
                                ", " + std::to_string(b.leading) + " and " + std::to_string(ldc));
  }
  ladder_sgemm(kernel_, context.stream, {m, n, k, alpha, beta, a.values, b.values, c, a.transposed, b.transposed});
}

}  // namespace alexnet::cuda
