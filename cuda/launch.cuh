/// @file launch.cuh
/// @brief Grid sizes for the simplest launch: one thread per element.
#pragma once

#include <cstdint>

namespace alexnet::cuda {

/// @brief Threads per block of the one-thread-per-element kernels.
constexpr int kThreadsPerBlock = 256;

/// @brief Blocks that cover `n` elements with kThreadsPerBlock threads each.
inline unsigned blocks_for(std::int64_t n) {
  return static_cast<unsigned>((n + kThreadsPerBlock - 1) / kThreadsPerBlock);
}

}  // namespace alexnet::cuda
