/// @file gpu_timer.cuh
/// @brief Timing GPU work with CUDA events, for demos and benchmarks (never for tests).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

#include "cuda/cuda_check.cuh"

namespace alexnet {

/// @brief Median milliseconds, measured with CUDA events, of `repeats` calls of `work` (after one warm-up).
template <typename Work>
double median_gpu_time_ms(Work&& work, int repeats = 10) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  work();  // warm-up: module loading, caches
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    CUDA_CHECK(cudaEventRecord(start));
    work();
    CUDA_CHECK(cudaEventRecord(stop));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace alexnet
