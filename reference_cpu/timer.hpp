/// @file timer.hpp
/// @brief Wall-clock timing of host code for demos and benchmarks (never for tests).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace alexnet {

/// @brief Wall-clock milliseconds since `start`.
inline double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/// @brief The median, fastest and slowest of a set of times, in milliseconds.
struct Spread {
  double median;  ///< the middle time
  double min;     ///< the fastest
  double max;     ///< the slowest
};

/// @brief The Spread of `ms` (at least one time; of an even count, the upper of the two middle ones).
inline Spread spread_of(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

/// @brief The Spread of `repeats` timed calls of `work`, after `warm_ups` untimed ones (page faults, caches, lazy
/// initialisation).
template <typename Work>
Spread time_calls(Work&& work, int repeats = 5, int warm_ups = 1) {
  for (int w = 0; w < warm_ups; ++w) work();
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    ms.push_back(milliseconds_since(start));
  }
  return spread_of(ms);
}

/// @brief Median wall-clock milliseconds of `repeats` calls of `work` (after one warm-up call).
template <typename Work>
double median_time_ms(Work&& work, int repeats = 5) {
  return time_calls(work, repeats).median;
}

}  // namespace alexnet
