/// @file workspace.hpp
/// @brief Scratch memory the fast ops reuse across calls, layers and steps (the im2col matrix).
#pragma once

#include <cstddef>
#include <vector>

namespace alexnet::fast {

/// @brief Scratch buffer `slot` (0 or 1) of at least `floats` values: grown when a layer needs more,
/// never shrunk, so after the first step no call allocates. Contents are whatever was there.
float* workspace(int slot, std::size_t floats);

/// @brief Bytes the workspace holds now (both slots): the largest im2col matrices seen so far.
std::size_t workspace_bytes();

/// @brief Lets freed blocks of any size stay in the process's heap (glibc's mmap and trim thresholds raised
/// to 1 GiB): FC6's 151 MB weight gradient, or the mini network's activations, allocated afresh every step,
/// then cost no page faults.
void keep_large_blocks_in_heap();

}  // namespace alexnet::fast
