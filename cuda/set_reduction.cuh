/// @file set_reduction.cuh
/// @brief Many reductions at once, with enough blocks to fill the GPU: the statistics of batch and group
/// normalization and the sums of their backward passes.
///
/// A *set* is `runs` runs of `run` contiguous values; run r of set s starts at s·set_stride + r·run_stride.
/// Channel c of an [N, C, H, W] tensor is such a set: N runs (its planes) of H·W values, run n at
/// (n·C + c)·H·W. One block per channel is too few blocks to keep an H200's 132 SMs busy (96 channels
/// at CONV1), so reduce_sets() splits each set into `slices`:
///
/// 1. partial_reduction_kernel, grid (sets, slices): block (s, k) folds runs k, k + slices, … of set s
///    into one accumulator per thread (consecutive threads read consecutive addresses), merges the
///    block's accumulators in shared memory and writes one partial result;
/// 2. finish_reduction_kernel: one thread per set merges its slices' partial results, always in the same
///    order (so a run is deterministic), and hands the total to `finish`.
///
/// With a single slice the first kernel calls `finish` itself. The partial results live in scratch memory
/// the caller lends (an output the op writes afterwards), so nothing is allocated.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda/context.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/launch.cuh"

namespace alexnet::cuda {

/// @brief Where the values of each set lie (see the file's description).
struct SetLayout {
  std::int64_t sets;        ///< how many sets
  std::int64_t set_stride;  ///< floats from the start of one set to the next
  std::int64_t runs;        ///< runs per set
  std::int64_t run_stride;  ///< floats from the start of one run of a set to the next
  std::int64_t run;         ///< contiguous floats per run
};

/// @brief Count, mean and Σ(x − mean)² of a sequence, updated one value at a time (Welford) and merged
/// pairwise (Chan, Golub & LeVeque): one pass over the data, without the cancellation of Σx² − (Σx)²/m.
struct Moments {
  std::int64_t count;  ///< values seen
  float mean;          ///< their mean
  float squares;       ///< Σ(x − mean)² over them

  /// @brief Welford's update with one more value.
  __device__ void add(float x) {
    ++count;
    const float deviation = x - mean;
    mean += deviation / static_cast<float>(count);
    squares += deviation * (x - mean);
  }

  /// @brief The moments of both sequences together (Chan et al.'s formula).
  __device__ void merge(const Moments& other) {
    if (other.count == 0) return;
    const float total = static_cast<float>(count + other.count);
    const float shift = other.mean - mean, share = static_cast<float>(other.count) / total;
    mean += shift * share;
    squares += other.squares + shift * shift * static_cast<float>(count) * share;  // δ²·n_a·n_b/(n_a + n_b)
    count += other.count;
  }
};

/// @brief reduce_sets()'s `add` for the statistics: folds value x[at] into the set's moments.
struct AddValue {
  const float* x;  ///< the values

  /// @brief Folds x[at] in (the set and run do not matter here).
  __device__ void operator()(Moments& moments, std::int64_t, std::int64_t, std::int64_t at) const {
    moments.add(x[at]);
  }
};

/// @brief reduce_sets()'s `finish` for the statistics: set s's mean and biased variance (÷ m, as the
/// normalization uses it).
struct StoreMeanAndVariance {
  float* mean;      ///< [sets]
  float* variance;  ///< [sets]

  /// @brief Writes set s's mean and variance.
  __device__ void operator()(std::int64_t s, const Moments& moments) const {
    mean[s] = moments.mean;
    variance[s] = moments.squares / static_cast<float>(moments.count);
  }
};

/// @brief The grid of an elementwise kernel over `planes` planes of `plane` values: blocks (p, 0..) cover
/// plane p, so no thread divides to find its plane. `op` names the caller in the error.
inline dim3 plane_grid(const std::string& op, std::int64_t planes, std::int64_t plane) {
  if (blocks_for(plane) > 65535) {
    throw std::invalid_argument(op + ": expected planes of at most 65535·256 values, got " + std::to_string(plane));
  }
  return dim3(static_cast<unsigned>(planes), blocks_for(plane));
}

/// @brief Σ g and Σ g·(x − μ) of a normalization's backward (μ known from the forward).
struct GradientSums {
  float g;           ///< Σ g
  float g_centered;  ///< Σ g·(x − μ)

  /// @brief The sums of both parts together.
  __device__ void merge(const GradientSums& other) {
    g += other.g;
    g_centered += other.g_centered;
  }
};

/// @brief Merges every thread's accumulator; all threads get the total. `shared` holds kThreadsPerBlock of
/// them (blockDim.x = kThreadsPerBlock): a tree of pairwise merges.
template <class Accumulator>
__device__ Accumulator block_merge(const Accumulator& mine, Accumulator* shared) {
  shared[threadIdx.x] = mine;
  __syncthreads();
  for (int half = kThreadsPerBlock / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) shared[threadIdx.x].merge(shared[threadIdx.x + half]);
    __syncthreads();
  }
  const Accumulator total = shared[0];
  __syncthreads();  // before a next call overwrites shared
  return total;
}

/// @brief Pass 1: `add(accumulator, set, run, index)` for each value of the block's runs, then one result
/// per block (see the file's description).
template <class Accumulator, class Add, class Finish>
__global__ void partial_reduction_kernel(SetLayout layout, Add add, Finish finish, Accumulator* partials) {
  // kThreadsPerBlock accumulators, in dynamic shared memory declared as double (8-byte aligned) in every
  // instantiation: a static __shared__ array in a template is not filled with NaN by the emulated device.
  ALEXNET_DYNAMIC_SHARED(double, reduction_memory);
  auto* shared = reinterpret_cast<Accumulator*>(reduction_memory);
  const auto set = static_cast<std::int64_t>(blockIdx.x);
  const std::int64_t slice = blockIdx.y, slices = gridDim.y;
  Accumulator mine{};
  for (std::int64_t run = slice; run < layout.runs; run += slices) {
    const std::int64_t first = set * layout.set_stride + run * layout.run_stride;
    for (std::int64_t i = threadIdx.x; i < layout.run; i += blockDim.x) add(mine, set, run, first + i);
  }
  const Accumulator total = block_merge(mine, shared);
  if (threadIdx.x != 0) return;
  if (slices == 1) {
    finish(set, total);
  } else {
    partials[set * slices + slice] = total;
  }
}

/// @brief Pass 2: one thread per set merges its slices in order and finishes.
template <class Accumulator, class Finish>
__global__ void finish_reduction_kernel(std::int64_t sets, std::int64_t slices, const Accumulator* partials,
                                        Finish finish) {
  const std::int64_t set = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (set >= sets) return;
  Accumulator total = partials[set * slices];
  for (std::int64_t k = 1; k < slices; ++k) total.merge(partials[set * slices + k]);
  finish(set, total);
}

/// @brief About 8 blocks of 256 threads per SM of an H200 (132 SMs): enough to hide the memory's latency.
constexpr std::int64_t kBlocksToFillTheGpu = 1024;

/// @brief Reduces every set of `layout` with `add` and hands each total to `finish(set, total)`, on the
/// context's stream. `scratch` (`scratch_floats` floats of device memory the op overwrites afterwards)
/// holds the partial results; the slices per set are as many as fill the GPU and fit there.
template <class Accumulator, class Add, class Finish>
void reduce_sets(const Context& context, const SetLayout& layout, Add add, Finish finish, float* scratch,
                 std::int64_t scratch_floats) {
  const std::int64_t fit = scratch_floats * static_cast<std::int64_t>(sizeof(float)) /
                           (static_cast<std::int64_t>(sizeof(Accumulator)) * layout.sets);
  const std::int64_t wanted = (kBlocksToFillTheGpu + layout.sets - 1) / layout.sets;
  const std::int64_t slices = std::max<std::int64_t>(1, std::min({wanted, layout.runs, fit, std::int64_t{65535}}));
  auto* partials = reinterpret_cast<Accumulator*>(scratch);
  launch(partial_reduction_kernel<Accumulator, Add, Finish>,
         dim3(static_cast<unsigned>(layout.sets), static_cast<unsigned>(slices)), kThreadsPerBlock,
         kThreadsPerBlock * sizeof(Accumulator), context.stream, layout, add, finish, partials);
  CUDA_CHECK_LAUNCH();
  if (slices == 1) return;
  launch(finish_reduction_kernel<Accumulator, Finish>, blocks_for(layout.sets), kThreadsPerBlock, 0, context.stream,
         layout.sets, slices, partials, finish);
  CUDA_CHECK_LAUNCH();
}

}  // namespace alexnet::cuda
