/// @file gemm_tiles.cuh
/// @brief The tile machinery of chapter 16's SGEMM ladder from step 6 on — a 128 × 128 tile of C per block of 256
/// threads, K in slices of 8, warp tiles, two shared-memory stages — written once for any operands. The ladder
/// (gemm_ladder.cu) runs it on matrices in memory; the implicit-GEMM convolution (conv2d_implicit.cu) on matrices
/// it gathers from images as it goes. Included by those two files only.
///
/// An operand is a *loader* made for one thread at the kernel's start, knowing the tile position that thread
/// loads: A's loader one row of A, B's loader four consecutive columns of B. Each slice it is asked for four
/// values: `a.four(k)` is A[row, k … k+3], `b.four(k)` is B[k, col … col+3], zeros past the matrix. Whatever a
/// loader works out once per thread (which image a column belongs to, where its window starts) it keeps.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace alexnet::cuda::tiles {

constexpr int kTile = 128;     ///< rows and columns of C per block
constexpr int kSlice = 8;      ///< K per slice: a block stages A [128 × 8] and B [8 × 128] at a time
constexpr int kPerThread = 8;  ///< a thread's outputs: 8 × 8
constexpr int kThreads = kTile / kPerThread * (kTile / kPerThread);  ///< 256 per block

// Four consecutive floats moved by one 128-bit instruction: CUDA's float4 on a GPU (the address must be a
// multiple of 16 bytes, or the load faults); on the emulated device a struct of the same layout, whose load
// stops the program on an address a GPU would refuse.
#if defined(ALEXNET_EMULATED_GPU)
/// Four floats, 16-byte aligned (the emulated device's float4).
struct alignas(16) Float4 {
  float x, y, z, w;  ///< in memory order
};
/// p[0 … 3] in one load; stops the program when p is not a multiple of 16 bytes, as a GPU would fault.
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
/// Four floats, 16-byte aligned: CUDA's float4.
using Float4 = float4;
/// p[0 … 3] in one 128-bit load (p a multiple of 16 bytes).
__device__ __forceinline__ float4 load_vector(const float* p) { return *reinterpret_cast<const float4*>(p); }
#endif

// ---- What a thread loads each slice: 4 values of A's tile and 4 of B's ----------------------------------
/// The row of A's tile this thread loads (two threads per row, 4 k each).
__device__ inline int a_load_row() { return static_cast<int>(threadIdx.x) / (kSlice / 4); }
/// The first of its 4 k in A's slice: 0 or 4.
__device__ inline int a_load_k() { return static_cast<int>(threadIdx.x) % (kSlice / 4) * 4; }
/// The k of B's slice this thread loads (32 threads per k, 4 columns each).
__device__ inline int b_load_k() { return static_cast<int>(threadIdx.x) / (kTile / 4); }
/// The first of its 4 columns of B's tile.
__device__ inline int b_load_col() { return static_cast<int>(threadIdx.x) % (kTile / 4) * 4; }

/// A thread's share of one slice, in registers between its load and its store to shared memory.
struct SliceLoad {
  Float4 a;  ///< A[row, k … k+3]
  Float4 b;  ///< B[k, col … col+3]
};

/// This thread's share of the slice starting at k0.
template <class ALoader, class BLoader>
__device__ SliceLoad load_slice(const ALoader& a, const BLoader& b, int k0) {
  return {a.four(k0 + a_load_k()), b.four(k0 + b_load_k())};
}

/// Stores a thread's share in shared memory: A's four values transposed, a_tile[kk][r], so that the compute
/// loop reads a column of A's tile as consecutive words, as it reads a row of B's.
__device__ inline void stage_slice(const SliceLoad& loaded, float (*a_tile)[kTile], float (*b_tile)[kTile]) {
  const int r = a_load_row(), kq = a_load_k();
  a_tile[kq][r] = loaded.a.x;
  a_tile[kq + 1][r] = loaded.a.y;
  a_tile[kq + 2][r] = loaded.a.z;
  a_tile[kq + 3][r] = loaded.a.w;
  float* b_at = &b_tile[b_load_k()][b_load_col()];
  b_at[0] = loaded.b.x;
  b_at[1] = loaded.b.y;
  b_at[2] = loaded.b.z;
  b_at[3] = loaded.b.w;
}

// ---- Matrices in memory ----------------------------------------------------------------------------------
/// A matrix as a kernel reads it: rows × cols, stored row-major as rows × cols or, `transposed`, as cols × rows.
struct Operand {
  const float* values;  ///< device memory
  int rows;             ///< after the transpose
  int cols;             ///< after the transpose
  bool transposed;      ///< stored as cols × rows
};

/// The value at [r, col], which must lie inside the matrix.
__device__ inline float value(const Operand& m, int r, int col) {
  return m.transposed ? m.values[static_cast<std::size_t>(col) * m.rows + r]
                      : m.values[static_cast<std::size_t>(r) * m.cols + col];
}

/// The value at [r, col], or 0 past the matrix's edges.
__device__ inline float element(const Operand& m, int r, int col) {
  return r < m.rows && col < m.cols ? value(m, r, col) : 0.0f;
}

/// m[r, col … col+3], zeros past the edges. With `vectors` (m row-major, its rows a multiple of 4 long, 16-byte
/// aligned; col is always a multiple of 4 here) one 128-bit load: then the four are all inside or all outside.
/// Otherwise — a transposed operand, or rows of another length — four scalar loads.
__device__ inline Float4 four_in_row(const Operand& m, int r, int col, bool vectors) {
  if (vectors) {
    if (r < m.rows && col < m.cols) return load_vector(m.values + static_cast<std::size_t>(r) * m.cols + col);
    return Float4{0.0f, 0.0f, 0.0f, 0.0f};
  }
  return Float4{element(m, r, col), element(m, r, col + 1), element(m, r, col + 2), element(m, r, col + 3)};
}

/// A's loader for a matrix in memory: this thread's row of A, four consecutive k at a time.
struct RowLoader {
  Operand m;     ///< A
  int row;       ///< this thread's row
  bool vectors;  ///< 128-bit loads (see four_in_row)
  /// A[row, k … k+3].
  __device__ Float4 four(int k) const { return four_in_row(m, row, k, vectors); }
};

/// B's loader for a matrix in memory: this thread's four consecutive columns of B, one k at a time.
struct ColumnsLoader {
  Operand m;     ///< B
  int col;       ///< this thread's first column
  bool vectors;  ///< 128-bit loads (see four_in_row)
  /// B[k, col … col+3].
  __device__ Float4 four(int k) const { return four_in_row(m, k, col, vectors); }
};

// ---- The hierarchy block → warp → thread -----------------------------------------------------------------
// The block's 8 warps tile it 2 × 4, each warp a 64 × 32 sub-tile; a warp's 32 lanes as 8 × 4. Lane (lr, lc)
// owns rows lr, lr + 8, …, lr + 56 and columns lc, lc + 4, …, lc + 28 of its warp's sub-tile. For every kk and i,
// the 8 lane rows read 8 consecutive words of A's tile and for every j the 4 lane columns 4 consecutive words of
// B's: no two lanes of a warp touch different words of one shared-memory bank.
constexpr int kWarpRows = 64;  ///< rows of a warp's sub-tile
constexpr int kWarpCols = 32;  ///< columns of a warp's sub-tile
constexpr int kLaneRows = 8;   ///< lane rows of a warp: a lane's rows are 8 apart
constexpr int kLaneCols = 4;   ///< lane columns of a warp: a lane's columns are 4 apart

/// The tile's row and column of a thread's first output; the others step by kLaneRows and kLaneCols.
struct WarpLane {
  int row;  ///< within the block's 128 × 128 tile
  int col;  ///< within the block's 128 × 128 tile
};

/// This thread's place in the warp tiles.
__device__ inline WarpLane warp_lane() {
  const int warp = static_cast<int>(threadIdx.x) / warpSize, lane = static_cast<int>(threadIdx.x) % warpSize;
  return {warp / (kTile / kWarpCols) * kWarpRows + lane / kLaneCols,
          warp % (kTile / kWarpCols) * kWarpCols + lane % kLaneCols};
}

/// The multiply-adds of one staged slice for the lane at `at`: per kk, 8 values of A and 8 of B from shared
/// memory into registers, and their outer product into the 64 sums.
__device__ inline void multiply_slice(const float (*a_tile)[kTile], const float (*b_tile)[kTile], WarpLane at,
                                      float (*sum)[kPerThread]) {
  for (int kk = 0; kk < kSlice; ++kk) {
    float a_column[kPerThread], b_row[kPerThread];
    for (int i = 0; i < kPerThread; ++i) a_column[i] = a_tile[kk][at.row + i * kLaneRows];
    for (int j = 0; j < kPerThread; ++j) b_row[j] = b_tile[kk][at.col + j * kLaneCols];
    for (int i = 0; i < kPerThread; ++i)
      for (int j = 0; j < kPerThread; ++j) sum[i][j] += a_column[i] * b_row[j];
  }
}

/// Step 8's main loop: the slices of K from k_begin up to k_end (k_begin a multiple of kSlice; the loaders give
/// zeros past K), added into `sum`. Two stages of shared memory: the loads of slice s + 1 are issued before the
/// multiply-adds of slice s, so their latency hides behind them, and land in the other stage after. One barrier
/// per slice suffices: a thread writes stage (s + 1) % 2 only after the barrier that ended slice s − 1, the last
/// one that read it. The stages are declared by the calling kernel (shared arrays live in non-template functions:
/// see emulated_gpu/include/cuda_runtime.h).
template <class ALoader, class BLoader>
__device__ void double_buffered_slices(const ALoader& a, const BLoader& b, int k_begin, int k_end,
                                       float (*a_tiles)[kSlice][kTile], float (*b_tiles)[kSlice][kTile],
                                       float (*sum)[kPerThread]) {
  const WarpLane at = warp_lane();
  stage_slice(load_slice(a, b, k_begin), a_tiles[0], b_tiles[0]);
  __syncthreads();
  const int slices = (k_end - k_begin + kSlice - 1) / kSlice;
  for (int s = 0; s < slices; ++s) {
    const int stage = s % 2;
    const bool next = s + 1 < slices;
    SliceLoad loaded{};
    if (next) loaded = load_slice(a, b, k_begin + (s + 1) * kSlice);
    multiply_slice(a_tiles[stage], b_tiles[stage], at, sum);
    if (next) stage_slice(loaded, a_tiles[1 - stage], b_tiles[1 - stage]);
    __syncthreads();
  }
}

/// Hands each of this thread's 64 sums to `store(row, col, value)` with its row and column in C, the block's
/// tile starting at (row0, col0). The store skips what lies past C.
template <class Store>
__device__ void store_outputs(int row0, int col0, const float (*sum)[kPerThread], const Store& store) {
  const WarpLane at = warp_lane();
  for (int i = 0; i < kPerThread; ++i)
    for (int j = 0; j < kPerThread; ++j) store(row0 + at.row + i * kLaneRows, col0 + at.col + j * kLaneCols, sum[i][j]);
}

}  // namespace alexnet::cuda::tiles
