#include "cuda/gemm_ladder.cuh"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cuda/cuda_check.cuh"
#include "cuda/launch.cuh"

// Every kernel computes C [m, n] = α·A [m, k]·B [k, n] + β·C, row-major, for any extents: the
// loads of an edge tile read zeros past the matrices' edges, and the stores skip what lies past C's.
// Shared arrays are declared in non-template kernels, so the emulated device can fill them with NaN
// before every block: a value read before it was written shows.

namespace alexnet::cuda {
namespace {

// ---- What every step shares --------------------------------------------------------------------

// m[r, col] of a rows × cols row-major matrix, or 0 past its edges.
__device__ float element(const float* m, int rows, int cols, int r, int col) {
  return r < rows && col < cols ? m[static_cast<std::size_t>(r) * cols + col] : 0.0f;
}

// C[r, col] = α·sum + β·C[r, col] — with β = 0, α·sum and C is not read — and nothing past C's edges.
__device__ void store(float* c, int m, int n, int r, int col, float sum, float alpha, float beta) {
  if (r >= m || col >= n) return;
  float& out = c[static_cast<std::size_t>(r) * n + col];
  out = beta == 0.0f ? alpha * sum : alpha * sum + beta * out;
}

// Four consecutive floats moved by one 128-bit instruction: CUDA's float4 on a GPU (the address must be a
// multiple of 16 bytes, or the load faults); on the emulated device a struct of the same layout, whose load
// stops the program on an address a GPU would refuse.
#if defined(ALEXNET_EMULATED_GPU)
struct alignas(16) Float4 {
  float x, y, z, w;
};
inline Float4 load_vector(const float* p) {
  if (reinterpret_cast<std::uintptr_t>(p) % 16 != 0) {
    std::fprintf(stderr, "emulated GPU: misaligned 128-bit load at %p\n", static_cast<const void*>(p));
    std::abort();
  }
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
#else
using Float4 = float4;
__device__ __forceinline__ float4 load_vector(const float* p) { return *reinterpret_cast<const float4*>(p); }
#endif

// m[r, col .. col+3] of a rows × cols row-major matrix, zeros past its edges. With `vectors` (cols a multiple
// of 4, m 16-byte aligned; col is always a multiple of 4 here) one 128-bit load: then the four are all inside
// or all outside. Otherwise four scalar loads.
__device__ Float4 load_four(const float* m, int rows, int cols, int r, int col, bool vectors) {
  if (vectors) {
    if (r < rows && col < cols) return load_vector(m + static_cast<std::size_t>(r) * cols + col);
    return Float4{0.0f, 0.0f, 0.0f, 0.0f};
  }
  return Float4{element(m, rows, cols, r, col), element(m, rows, cols, r, col + 1),
                element(m, rows, cols, r, col + 2), element(m, rows, cols, r, col + 3)};
}

// ---- Steps 1 and 2: one thread per output --------------------------------------------------------
// Each output reads a row of A and a column of B from global memory: 2 loads of 4 bytes per multiply-add,
// an arithmetic intensity of 0.25 FLOP/byte before the caches help.
constexpr int kSide = 32;  // 32 × 32 threads per block, 32 × 32 outputs

// C[row, col]: a row of A times a column of B, read from global memory; nothing past C's edges.
__device__ void one_output(int m, int n, int k, float alpha, const float* a, const float* b, float beta, float* c,
                           int row, int col) {
  if (row >= m || col >= n) return;
  float sum = 0.0f;
  for (int i = 0; i < k; ++i) {
    sum += a[static_cast<std::size_t>(row) * k + i] * b[static_cast<std::size_t>(i) * n + col];
  }
  store(c, m, n, row, col, sum, alpha, beta);
}

// Step 1. threadIdx.x walks down a column of C: the 32 threads of a warp read 32 rows of A (32 cache lines
// for one value each) and write 32 rows of C; only their read of B is shared (one value, a broadcast).
__global__ void naive_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                             float* c) {
  one_output(m, n, k, alpha, a, b, beta, c, blockIdx.x * kSide + threadIdx.x, blockIdx.y * kSide + threadIdx.y);
}

// Step 2. The same arithmetic with threadIdx.x along a row of C: a warp reads one value of A (a broadcast)
// and 32 consecutive values of B (one 128-byte transaction), and writes 32 consecutive values of C.
__global__ void coalesced_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                 float* c) {
  one_output(m, n, k, alpha, a, b, beta, c, blockIdx.y * kSide + threadIdx.y, blockIdx.x * kSide + threadIdx.x);
}

// ---- Step 3: shared-memory tiles -----------------------------------------------------------------
// The block stages a 32 × 32 tile of A and of B in shared memory, then every staged value serves 32
// multiply-adds: global traffic falls 32-fold. Each multiply-add still reads 2 values from shared memory.
__global__ void shared_tiles_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                    float* c) {
  __shared__ float a_tile[kSide][kSide];  // a_tile[r][kk] = A[row0 + r, k0 + kk]
  __shared__ float b_tile[kSide][kSide];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * kSide + ty, col = blockIdx.x * kSide + tx;
  float sum = 0.0f;
  for (int k0 = 0; k0 < k; k0 += kSide) {
    a_tile[ty][tx] = element(a, m, k, row, k0 + tx);
    b_tile[ty][tx] = element(b, k, n, k0 + ty, col);
    __syncthreads();
    for (int kk = 0; kk < kSide; ++kk) sum += a_tile[ty][kk] * b_tile[kk][tx];
    __syncthreads();  // the tiles are overwritten by the next slice
  }
  store(c, m, n, row, col, sum, alpha, beta);
}

// ---- Step 4: 1-D register blocking ---------------------------------------------------------------
// A 64 × 64 tile of C per block of 512 threads, K in slices of 8. Each thread computes 8 outputs of one
// column: the value of B it reads from shared memory serves 8 multiply-adds, so a multiply-add reads
// 1 + 1/8 shared values instead of 2.
constexpr int k1dTile = 64, k1dSlice = 8, k1dPerThread = 8;
constexpr int k1dThreads = k1dTile * k1dTile / k1dPerThread;  // 512

__global__ void blocking_1d_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                   float* c) {
  __shared__ float a_tile[k1dTile][k1dSlice];  // a_tile[r][kk] = A[row0 + r, k0 + kk]
  __shared__ float b_tile[k1dSlice][k1dTile];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const int t = threadIdx.x, row0 = blockIdx.y * k1dTile, col0 = blockIdx.x * k1dTile;
  const int column = t % k1dTile, first_row = t / k1dTile * k1dPerThread;  // this thread's outputs in the tile
  float sum[k1dPerThread] = {};
  for (int k0 = 0; k0 < k; k0 += k1dSlice) {
    // 512 values of each tile, one per thread; consecutive threads read consecutive addresses.
    a_tile[t / k1dSlice][t % k1dSlice] = element(a, m, k, row0 + t / k1dSlice, k0 + t % k1dSlice);
    b_tile[t / k1dTile][t % k1dTile] = element(b, k, n, k0 + t / k1dTile, col0 + t % k1dTile);
    __syncthreads();
    for (int kk = 0; kk < k1dSlice; ++kk) {
      const float b_value = b_tile[kk][column];
      for (int i = 0; i < k1dPerThread; ++i) sum[i] += a_tile[first_row + i][kk] * b_value;
    }
    __syncthreads();
  }
  for (int i = 0; i < k1dPerThread; ++i) store(c, m, n, row0 + first_row + i, col0 + column, sum[i], alpha, beta);
}

// ---- Steps 5 to 8: a 128 × 128 tile per block of 256 threads, 8 × 8 outputs per thread -------------
// Per slice of K each thread reads 8 values of A and 8 of B from shared memory for 64 multiply-adds:
// a quarter of a shared read per multiply-add. The block loads (128 + 128) × 8 values of global memory
// for 128 × 128 × 8 multiply-adds: 32 FLOP per byte, above the H200's ridge point (about 12).
constexpr int kTile = 128, kSlice = 8, kPerThread = 8;
constexpr int kThreads = kTile / kPerThread * (kTile / kPerThread);  // 256
constexpr int kSliceValues = kTile * kSlice;                         // 1,024 values of A, and of B, per slice

// A thread's 8 × 8 square of outputs, from C[row, col] on.
__device__ void store_square(float* c, int m, int n, int row, int col, const float (*sum)[kPerThread], float alpha,
                             float beta) {
  for (int i = 0; i < kPerThread; ++i)
    for (int j = 0; j < kPerThread; ++j) store(c, m, n, row + i, col + j, sum[i][j], alpha, beta);
}

// Step 5. Thread t owns rows 8·(t / 16) … +7 and columns 8·(t % 16) … +7 of the tile.
__global__ void blocking_2d_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                   float* c) {
  __shared__ float a_tile[kTile][kSlice];  // a_tile[r][kk] = A[row0 + r, k0 + kk]
  __shared__ float b_tile[kSlice][kTile];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const int t = threadIdx.x, row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int first_row = t / (kTile / kPerThread) * kPerThread, first_col = t % (kTile / kPerThread) * kPerThread;
  float sum[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < k; k0 += kSlice) {
    for (int e = t; e < kSliceValues; e += kThreads) {  // 4 values of each tile per thread
      a_tile[e / kSlice][e % kSlice] = element(a, m, k, row0 + e / kSlice, k0 + e % kSlice);
      b_tile[e / kTile][e % kTile] = element(b, k, n, k0 + e / kTile, col0 + e % kTile);
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
  store_square(c, m, n, row0 + first_row, col0 + first_col, sum, alpha, beta);
}

// Steps 6 to 8 stage a slice with one 128-bit load of A and one of B per thread. A's four values (one row,
// four consecutive k) are stored transposed, a_tile[kk][r], so that the compute loop reads a column of A's
// tile as consecutive words, as it reads a row of B's.
struct SliceLoad {
  Float4 a, b;  // this thread's four values of A's slice (one row) and of B's (one row)
};

__device__ SliceLoad load_slice(const float* a, const float* b, int m, int n, int k, int row0, int col0, int k0,
                                bool vector_a, bool vector_b) {
  const int t = threadIdx.x;
  return {load_four(a, m, k, row0 + t / (kSlice / 4), k0 + t % (kSlice / 4) * 4, vector_a),
          load_four(b, k, n, k0 + t / (kTile / 4), col0 + t % (kTile / 4) * 4, vector_b)};
}

__device__ void stage_slice(const SliceLoad& loaded, float (*a_tile)[kTile], float (*b_tile)[kTile]) {
  const int t = threadIdx.x, r = t / (kSlice / 4), kq = t % (kSlice / 4) * 4;
  a_tile[kq][r] = loaded.a.x;
  a_tile[kq + 1][r] = loaded.a.y;
  a_tile[kq + 2][r] = loaded.a.z;
  a_tile[kq + 3][r] = loaded.a.w;
  float* b_at = &b_tile[t / (kTile / 4)][t % (kTile / 4) * 4];
  b_at[0] = loaded.b.x;
  b_at[1] = loaded.b.y;
  b_at[2] = loaded.b.z;
  b_at[3] = loaded.b.w;
}

// Step 6. Step 5's thread layout with the vector loads and the transposed A tile.
__global__ void vectorized_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                  float* c, bool vector_a, bool vector_b) {
  __shared__ float a_tile[kSlice][kTile];  // a_tile[kk][r] = A[row0 + r, k0 + kk]: transposed
  __shared__ float b_tile[kSlice][kTile];  // b_tile[kk][c] = B[k0 + kk, col0 + c]
  const int t = threadIdx.x, row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const int first_row = t / (kTile / kPerThread) * kPerThread, first_col = t % (kTile / kPerThread) * kPerThread;
  float sum[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < k; k0 += kSlice) {
    stage_slice(load_slice(a, b, m, n, k, row0, col0, k0, vector_a, vector_b), a_tile, b_tile);
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
  store_square(c, m, n, row0 + first_row, col0 + first_col, sum, alpha, beta);
}

// Steps 7 and 8: the hierarchy block → warp → thread. The block's 8 warps tile it 2 × 4, each warp a
// 64 × 32 sub-tile; a warp's 32 lanes as 8 × 4. Lane (lr, lc) owns rows lr, lr + 8, …, lr + 56 and columns
// lc, lc + 4, …, lc + 28 of its warp's sub-tile. For every kk and i, the 8 lane rows read 8 consecutive
// words of A's tile and for every j the 4 lane columns 4 consecutive words of B's: no two lanes of a warp
// touch different words of one shared-memory bank.
constexpr int kWarpRows = 64, kWarpCols = 32, kLaneRows = 8, kLaneCols = 4;

struct WarpLane {
  int row, col;  // the tile's row and column of this thread's first output; the others step by 8 and 4
};

__device__ WarpLane warp_lane() {
  const int warp = static_cast<int>(threadIdx.x) / warpSize, lane = static_cast<int>(threadIdx.x) % warpSize;
  return {warp / (kTile / kWarpCols) * kWarpRows + lane / kLaneCols,
          warp % (kTile / kWarpCols) * kWarpCols + lane % kLaneCols};
}

// The multiply-adds of one staged slice for the lane at `at`.
__device__ void multiply_slice(const float (*a_tile)[kTile], const float (*b_tile)[kTile], WarpLane at,
                               float (*sum)[kPerThread]) {
  for (int kk = 0; kk < kSlice; ++kk) {
    float a_column[kPerThread], b_row[kPerThread];
    for (int i = 0; i < kPerThread; ++i) a_column[i] = a_tile[kk][at.row + i * kLaneRows];
    for (int j = 0; j < kPerThread; ++j) b_row[j] = b_tile[kk][at.col + j * kLaneCols];
    for (int i = 0; i < kPerThread; ++i)
      for (int j = 0; j < kPerThread; ++j) sum[i][j] += a_column[i] * b_row[j];
  }
}

__device__ void store_warp_tile(float* c, int m, int n, int row0, int col0, WarpLane at,
                                const float (*sum)[kPerThread], float alpha, float beta) {
  for (int i = 0; i < kPerThread; ++i)
    for (int j = 0; j < kPerThread; ++j)
      store(c, m, n, row0 + at.row + i * kLaneRows, col0 + at.col + j * kLaneCols, sum[i][j], alpha, beta);
}

// Step 7.
__global__ void warp_tiles_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                  float* c, bool vector_a, bool vector_b) {
  __shared__ float a_tile[kSlice][kTile];  // transposed, as in step 6
  __shared__ float b_tile[kSlice][kTile];
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const WarpLane at = warp_lane();
  float sum[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < k; k0 += kSlice) {
    stage_slice(load_slice(a, b, m, n, k, row0, col0, k0, vector_a, vector_b), a_tile, b_tile);
    __syncthreads();
    multiply_slice(a_tile, b_tile, at, sum);
    __syncthreads();
  }
  store_warp_tile(c, m, n, row0, col0, at, sum, alpha, beta);
}

// Step 8. Two stages of shared memory: the loads of slice s + 1 are issued before the multiply-adds of
// slice s, so their latency hides behind them, and land in the other stage after. One barrier per slice
// suffices: a thread writes stage (s + 1) % 2 only after the barrier that ended slice s − 1, the last one
// that read it.
__global__ void double_buffered_kernel(int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                                       float* c, bool vector_a, bool vector_b) {
  __shared__ float a_tiles[2][kSlice][kTile];
  __shared__ float b_tiles[2][kSlice][kTile];
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  const WarpLane at = warp_lane();
  float sum[kPerThread][kPerThread] = {};
  stage_slice(load_slice(a, b, m, n, k, row0, col0, 0, vector_a, vector_b), a_tiles[0], b_tiles[0]);
  __syncthreads();
  const int slices = (k + kSlice - 1) / kSlice;
  for (int s = 0; s < slices; ++s) {
    const int stage = s % 2;
    const bool next = s + 1 < slices;
    SliceLoad loaded{};
    if (next) loaded = load_slice(a, b, m, n, k, row0, col0, (s + 1) * kSlice, vector_a, vector_b);
    multiply_slice(a_tiles[stage], b_tiles[stage], at, sum);
    if (next) stage_slice(loaded, a_tiles[1 - stage], b_tiles[1 - stage]);
    __syncthreads();
  }
  store_warp_tile(c, m, n, row0, col0, at, sum, alpha, beta);
}

unsigned blocks(int extent, int per_block) { return static_cast<unsigned>((extent + per_block - 1) / per_block); }

bool aligned_for_vectors(const float* p, int columns) {
  return columns % 4 == 0 && reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

// A step's kernel, and the shape of its blocks: every launch configuration of the ladder.
struct StepLaunch {
  void (*plain)(int, int, int, float, const float*, const float*, float, float*);  // steps 1 to 5
  void (*vectors)(int, int, int, float, const float*, const float*, float, float*, bool, bool);  // steps 6 to 8
  dim3 block;
  int tile_rows, tile_cols;  // of C, per block
};

StepLaunch step_launch(LadderKernel kernel) {
  switch (kernel) {
    case LadderKernel::Naive: return {naive_kernel, nullptr, dim3(kSide, kSide), kSide, kSide};
    case LadderKernel::Coalesced: return {coalesced_kernel, nullptr, dim3(kSide, kSide), kSide, kSide};
    case LadderKernel::SharedTiles: return {shared_tiles_kernel, nullptr, dim3(kSide, kSide), kSide, kSide};
    case LadderKernel::Blocking1D: return {blocking_1d_kernel, nullptr, dim3(k1dThreads), k1dTile, k1dTile};
    case LadderKernel::Blocking2D: return {blocking_2d_kernel, nullptr, dim3(kThreads), kTile, kTile};
    case LadderKernel::Vectorized: return {nullptr, vectorized_kernel, dim3(kThreads), kTile, kTile};
    case LadderKernel::WarpTiles: return {nullptr, warp_tiles_kernel, dim3(kThreads), kTile, kTile};
    case LadderKernel::DoubleBuffered: return {nullptr, double_buffered_kernel, dim3(kThreads), kTile, kTile};
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
  CUDA_CHECK(step.plain ? cudaFuncGetAttributes(&attributes, step.plain)
                        : cudaFuncGetAttributes(&attributes, step.vectors));
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
  if (step.plain) {
    launch(step.plain, grid, step.block, 0, stream, g.m, g.n, g.k, g.alpha, g.a, g.b, g.beta, g.c);
  } else {
    launch(step.vectors, grid, step.block, 0, stream, g.m, g.n, g.k, g.alpha, g.a, g.b, g.beta, g.c,
           aligned_for_vectors(g.a, g.k), aligned_for_vectors(g.b, g.n));
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
