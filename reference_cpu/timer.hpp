/// @file timer.hpp
/// @brief Wall-clock timing of host code for demos and benchmarks (never for tests).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace alexnet {

/// @brief Median wall-clock milliseconds of `repeats` calls of `work` (after one warm-up call).
template <typename Work>
double median_time_ms(Work&& work, int repeats = 5) {
  work();  // warm-up: page faults, caches, lazy initialisation
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    const auto stop = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace alexnet
