/// @file gemm_ladder.cuh
/// @brief Chapter 16's SGEMM ladder: C = α·A·B + β·C in fp32 by eight kernels, each one step
/// faster than the last — naive, coalesced, shared-memory tiles, 1-D and 2-D register blocking,
/// 128-bit loads with a transposed A tile, warp tiling, double-buffered shared memory. Every
/// step is kept, so a reader can time and test each one; every step takes A and B as stored or
/// transposed. The last step's tile machinery (gemm_tiles.cuh) also runs the implicit-GEMM
/// convolution (conv2d_implicit.cuh).
#pragma once

#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cuda/blas.cuh"

namespace alexnet::cuda {

/// @brief A step of the ladder, in the order the chapter climbs it.
enum class LadderKernel {
  Naive,           ///< one thread per output; a warp's threads walk down a column of C
  Coalesced,       ///< one thread per output; a warp's threads walk along a row of C
  SharedTiles,     ///< 32×32 tiles of A and B staged in shared memory, one output per thread
  Blocking1D,      ///< a 64×64 tile per block, 8 outputs of one column per thread
  Blocking2D,      ///< a 128×128 tile per block, an 8×8 outer product per thread
  Vectorized,      ///< 2-D blocking with 128-bit global loads and A's tile stored transposed
  WarpTiles,       ///< each warp a 64×32 sub-tile; its lanes read consecutive shared-memory words
  DoubleBuffered,  ///< two shared-memory stages: the next K slice is loaded while this one is used
};

/// @brief Every step, naive first.
const std::vector<LadderKernel>& ladder_kernels();

/// @brief The step's name as the chapter and the benchmark print it, e.g. "2-D blocking".
std::string ladder_name(LadderKernel kernel);

/// @brief Row-major operands of C [m, n] = α · A [m, k] · B [k, n] + β · C, where A and B may be stored transposed
/// (the fully connected layer's y = x·Wᵀ reads W [out, in] as B = Wᵀ; its ∂W = ∂yᵀ·x reads ∂y as A = ∂yᵀ). With
/// β = 0, C is written without being read (it may hold anything, NaN included), as cuBLAS does.
struct GemmOperands {
  int m = 0;                 ///< rows of A and C (≥ 1; no multiple of a tile required)
  int n = 0;                 ///< columns of B and C (≥ 1)
  int k = 0;                 ///< columns of A, rows of B (≥ 1)
  float alpha = 1;           ///< α, the product's scale
  float beta = 0;            ///< β, C's scale (0: C is not read)
  const float* a = nullptr;  ///< device, m × k
  const float* b = nullptr;  ///< device, k × n
  float* c = nullptr;        ///< device, m × n
  bool transpose_a = false;  ///< `a` holds Aᵀ, k × m
  bool transpose_b = false;  ///< `b` holds Bᵀ, n × k
};

/// @brief What a step asks of a streaming multiprocessor, as the CUDA runtime reports it for the kernel nvcc
/// built: "R registers per thread, S bytes of shared memory and T threads per block" (on the emulated device,
/// which has no registers, only the shared memory and threads).
std::string ladder_resources(LadderKernel kernel);

/// @brief Queues `kernel` computing `g` on `stream`. Throws std::invalid_argument naming the
/// extent when one is below 1.
void ladder_sgemm(LadderKernel kernel, cudaStream_t stream, const GemmOperands& g);

/// @brief A step of the ladder as a layer's matrix product (for the fully connected layer of `--kernels course`).
/// Its operands must be stored densely: each row as long as the matrix is wide.
class LadderProduct final : public MatrixProduct {
 public:
  /// @brief Products on `kernel`, by default the ladder's best step.
  explicit LadderProduct(LadderKernel kernel = LadderKernel::DoubleBuffered) : kernel_(kernel) {}
  /// @brief ladder_sgemm on context's stream; throws std::invalid_argument for an operand with gaps between rows.
  void gemm(const Context& context, int m, int n, int k, float alpha, MatrixOperand a, MatrixOperand b, float beta,
            float* c, int ldc) const override;

 private:
  LadderKernel kernel_;
};

}  // namespace alexnet::cuda
